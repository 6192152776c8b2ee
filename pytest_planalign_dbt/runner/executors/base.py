"""The executor protocol: what the runner needs from an executor (its Invocation and RunContext
live in runner/invocation.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from ..command import DbtCommand
from ..events import EventSink
from ..invocation import Invocation, RunContext


class Executor(Protocol):
    """What the runner needs from an executor, and what each one needs from the runner."""

    name: str
    # True: dbt runs in this process, whose working directory it shares with every thread,
    # so relative DuckDB paths must be made absolute (a private profiles.yml copy).
    shares_cwd: bool
    # True: the parsed manifest is kept between calls (the runner fingerprints the project
    # so an edit invalidates it).
    caches_manifest: bool
    # True: node results come from dbt's objects, so --no-write-json costs nothing.
    reads_results_in_memory: bool

    def run(self, command: DbtCommand, ctx: RunContext, sink: EventSink) -> Invocation: ...

    def invalidate(self) -> None: ...

    def manifest(self) -> Any: ...

    def manifest_on_disk(self, manifest: Any, target_path: Path) -> bool: ...
