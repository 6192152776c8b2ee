"""A failed call whose engine or server is gone: a dead JVM said in plain words by its engine
(adapters.say_gone) and classified again, so it is not retried as a busy server; a server that
no longer answers named by its address once the retries are spent."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any

from .. import adapters
from .classify import classify_node
from .errors import DbtError, with_closest_ref
from .kinds import Kind


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


def explain_failure(error: DbtError, ref_names: Callable[[], Iterable[str]],
                    unanswered: Callable[[], str | None]) -> None:
    """What the runner adds to a failure's fix once the call is over: the closest names to a
    ref dbt could not find; and when a transient failure outlived its retries, the server by its
    address if it does not answer now (asked then, never on success)."""
    with_closest_ref(error, ref_names)
    if error.kind == Kind.TRANSIENT:
        why = unanswered()
        if why is not None:
            error.refix(why)
