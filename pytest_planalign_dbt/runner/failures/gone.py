"""A failed call whose engine is gone from this process (a dead JVM...): said in plain words by
its engine (adapters.say_gone) and classified again, so it is not retried as a busy server."""

from __future__ import annotations

import dataclasses
from typing import Any

from .. import adapters
from .classify import classify_node


def say_engine_gone(inv: Any, info: Any, target: str | None) -> None:
    """The messages of a failed invocation on ``info``'s ``target`` with a gone engine said as
    such. Successes cost nothing (the profile is read on failure only)."""
    if not inv.return_code:
        return
    output = info.target_output(target)

    def said(text: str | None) -> str | None:
        return adapters.say_gone(output, text) if text else text

    inv.fatal, inv.stderr = said(inv.fatal), said(inv.stderr) or ""
    inv.nodes = [dataclasses.replace(n, message=m, error_class=classify_node(n.status, m, n.resource_type))
                 if n.message and (m := said(n.message)) != n.message else n for n in inv.nodes]
