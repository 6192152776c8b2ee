"""What the runner knows of a database engine, as one record per engine family.

An ``Engine`` says which profile outputs it serves, how each xdist worker or scenario gets a
database of its own, what to check before dbt starts, which messages mean "busy or unreachable,
try again", which say who holds a lock, the fix to suggest for its own failures, what to release
between in-process calls, and how to say that the engine itself is gone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# A rule reads a failure's message and gives the fix to suggest, or None.
FixRule = Callable[[str], "str | None"]


def matches(pattern: str, fix: str, flags: int = 0) -> FixRule:
    """A rule that suggests ``fix`` when ``pattern`` is found in the message."""
    compiled = re.compile(pattern, flags)
    return lambda message: fix if compiled.search(message) else None


def _nothing(*_: Any) -> None:
    return None


def _unchanged(output: dict[str, Any], project_dir: Path, suffix: str) -> bool:
    return False


@dataclass(frozen=True)
class Engine:
    """One engine family (see the module's docstring)."""

    name: str
    # The profile outputs it serves (an output's ``type``, ``method``...).
    serves: Callable[[Mapping[str, Any]], bool]
    # Give the output (in the runner's private profiles copy) a database of its own for
    # ``suffix`` (one per worker or scenario) and make it independent of the working directory,
    # in place; True when it changed.
    isolate: Callable[[dict[str, Any], Path, str], bool] = _unchanged
    # Why this machine cannot run the output (checked before dbt starts), or None.
    check: Callable[[Mapping[str, Any], Mapping[str, str]], "str | None"] = _nothing
    # Messages that mean busy or unreachable: retried.
    transient: tuple[re.Pattern[str], ...] = ()
    # Whether an output talks to a server (asked before dbt starts: see endpoint).
    has_server: Callable[[Mapping[str, Any]], bool] = lambda output: False
    # The server a target talks to, (host, port), from its raw output and its rendered target
    # dict (dbt's ``to_target_dict``); None: no server to ask (a file, an engine in this process).
    endpoint: Callable[[Mapping[str, Any], Mapping[str, Any]], "tuple[str, int] | None"] = (
        lambda output, rendered: None)
    # Who holds a lock the message names ({"file", "exe", "pid"}): waited for past the retries.
    lock_holder: Callable[[str], "Mapping[str, str] | None"] = _nothing
    # Fixes for this engine's own failures, tried before the generic rules of a kind.
    fixes: tuple[FixRule, ...] = ()
    # Files the engine keeps inside a project (a DuckDB database beside dbt_project.yml): never
    # project sources, so an edit check ignores them.
    data_suffixes: tuple[str, ...] = ()
    # Handles to release after each in-process call (a file lock held between calls...).
    release: Callable[[], None] = _nothing
    # A message of the engine gone from this process (not busy: not retried) said in plain
    # words for this output; any other message as it is.
    say_gone: Callable[[Mapping[str, Any], str], str] = lambda output, message: message
