"""The database engines the runner knows, one module per family, behind one record (base.Engine).

Nothing outside this package names an engine: profiles isolate each worker through ``isolate``,
arguments refuse what ``refusal`` says, classification reads ``is_transient``, the fix table reads
``fix_rules``, retries wait for ``lock_holder``, the in-process executor calls ``release`` after
each call and the runner says a dead engine through ``say_gone``.

Adding an engine (Trino, ClickHouse...): a module here with its ``ENGINE = Engine(...)``, listed
in ``ENGINES`` before ``servers`` (the last resort, which serves any output), and its tests.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import duckdb, servers, spark
from .base import Engine, FixRule

# The first engine that serves an output is its engine.
ENGINES: tuple[Engine, ...] = (duckdb.ENGINE, spark.ENGINE, servers.ENGINE)


def engine_for(output: Mapping[str, Any]) -> Engine:
    """The engine of a profile output (``servers`` for any type no other module serves)."""
    return next(e for e in ENGINES if e.serves(output))


def isolate(output: dict[str, Any], project_dir: Path, suffix: str) -> bool:
    """The output made independent of the working directory, with a database (file, schema,
    metastore) of its own for ``suffix``, in place; True when it changed."""
    return engine_for(output).isolate(output, project_dir, suffix)


def refusal(output: Mapping[str, Any], environ: Mapping[str, str]) -> str | None:
    """Why this machine cannot run the output (said before dbt starts), or None."""
    return engine_for(output).check(output, environ)


def is_transient(message: str) -> bool:
    """True when the message says a database was busy or unreachable for a while (retryable)."""
    return any(p.search(message) for e in ENGINES for p in e.transient)


def lock_holder(message: str) -> Mapping[str, str] | None:
    """Who holds the lock the message names ({"file", "exe", "pid"}), or None."""
    return next((h for e in ENGINES if (h := e.lock_holder(message)) is not None), None)


def fix_rules() -> tuple[FixRule, ...]:
    """Every engine's fix rules, in ``ENGINES`` order."""
    return tuple(rule for e in ENGINES for rule in e.fixes)


def data_suffixes() -> tuple[str, ...]:
    """The file name endings of every engine's data kept inside a project."""
    return tuple(suffix for e in ENGINES for suffix in e.data_suffixes)


def release() -> None:
    """Release what every engine holds between in-process calls."""
    for e in ENGINES:
        e.release()


def unanswered(output: Mapping[str, Any], rendered: Mapping[str, Any], timeout: float = 5.0) -> str | None:
    """Why the target's server does not answer a connection (said before dbt starts), or None:
    it answers, or the engine has no server to ask."""
    engine = engine_for(output)
    found = engine.endpoint(output, rendered) if engine.has_server(output) else None
    if found is None:
        return None
    host, port = found
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as exc:
        why = exc.strerror or str(exc) or type(exc).__name__
        return (f"the {output.get('type')} server at {host}:{port} does not answer ({why}): start it, or "
                "point the profile's host and port at one that runs")


def say_gone(output: Mapping[str, Any], message: str) -> str:
    """``message`` with an engine gone from this process said as such (else unchanged)."""
    return engine_for(output).say_gone(output, message)


__all__ = ["ENGINES", "Engine", "FixRule", "data_suffixes", "engine_for", "fix_rules", "is_transient", "isolate",
           "lock_holder", "refusal", "release", "say_gone", "unanswered"]
