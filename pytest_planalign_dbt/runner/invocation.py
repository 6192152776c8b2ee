"""One dbt invocation: the RunContext it runs in and the Invocation it leaves, whichever executor
ran it. Below the executors: failures/, parse/ and retries read these without reaching up."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .command import DbtCommand
from .graph import DbtGraph
from .results import NodeResult, ParseInfo


@dataclass
class Invocation:
    """What one dbt invocation did, whichever executor ran it."""

    command: DbtCommand
    argv: list[str]
    return_code: int
    lines: list[str]
    stderr: str
    nodes: list[NodeResult]
    fatal: str | None
    invocation_id: str | None
    duration: float
    timed_out: bool = False
    cancelled: bool = False
    # dbt said the selection matched no enabled node (NoNodesForSelectionCriteria).
    no_nodes: bool = False
    # Typed rows of `dbt show` (in-process only).
    rows: list[dict[str, Any]] | None = None
    # What the command printed as its output: `ls` lines, `show` previews (JSON text).
    output: list[str] = field(default_factory=list)
    # The project's graph, for retrying a sub-graph (read only when a node failed).
    graph: DbtGraph | None = None
    # How the call got its manifest (in-process only).
    parse: ParseInfo | None = None


@dataclass(frozen=True)
class RunContext:
    """Where and how to run: filled in by the runner for each invocation."""

    project_dir: Path
    target_path: Path
    timeout: float | None
    parse_command: DbtCommand
    fingerprint: str
    env: Mapping[str, str] | None = None
    # The parse reads the user's own profiles.yml (not a copy with a worker's database file).
    parse_uses_user_profiles: bool = True
    stop_grace: float = 5.0
    # Set from another thread to stop the run (pytest -x, Ctrl+C in the plugin's main thread).
    cancel: threading.Event | None = None
    # Secret values the runner knows: never left in a file it keeps (parse/cache.py).
    secrets: tuple[str, ...] = ()


def stopped(ctx: RunContext, timed_out: bool) -> tuple[bool, str | None]:
    """(cancelled on request, the fatal message) for a run that was stopped, either way."""
    cancelled = ctx.cancel is not None and ctx.cancel.is_set() and not timed_out
    if timed_out:
        return False, f"dbt ran longer than the timeout of {ctx.timeout}s and was cancelled"
    if cancelled:
        return True, "the dbt run was cancelled"
    return False, None
