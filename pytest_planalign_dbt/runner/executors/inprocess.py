"""The in-process executor: dbt's public ``dbtRunner`` in this process, one call at a time.

dbt is not safe to run twice at once in one process (process-global state; dbt-core#9603): every
call holds one process-wide lock. The parsed manifest is reused while the project, profile, target
and vars allow it (parse/reuse.py). After each run the adapter's connections are closed so a DuckDB
file is free for other processes (dbt-duckdb keeps it open otherwise; dbt-core#11980).
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from .. import adapters
from ..command import DbtCommand
from ..dbt_internals import (
    FULL_PARSE_EVENTS,
    STALE_MANIFEST,
    cancel_open_queries,
    check_cycles_once,
    close_left_pools,
    drop_inline_nodes,
    event_to_dict,
    forget_compilation,
    keep_native_rows,
    release_connections,
    select_bare_wildcards_by_name,
    stale_manifest,
    track_thread_pools,
)
from ..events import EventSink
from ..graph import DbtGraph
from ..parse.heap import FrozenHeap
from ..parse.reuse import ParseReuse
from ..results import (
    NodeResult,
    nodes_from_execution_result,
    rows_from_execution_result,
)
from ..versions import load_dotenv_into
from .artifacts import ManifestsOnDisk
from ..invocation import Invocation, RunContext, stopped

log = logging.getLogger(__name__)

# dbt is not safe to run twice at once in one process: every in-process
# invocation, from any runner or thread, holds this lock.
DBT_PROCESS_LOCK = threading.RLock()
# Commands that can use a pre-parsed manifest.
MANIFEST_SUBCOMMANDS = frozenset(
    {"build", "clone", "compile", "docs", "list", "ls", "retry", "run", "run-operation", "seed",
     "show", "snapshot", "source", "test"}
)


# In-process: dbt's own stdout logger stays silent (lines reach us as events); its log file
# is written as the CLI writes it (``--log-level`` alone would silence it too); no usage
# stats are sent (a blocked network would stall every call on it).
QUIET_FLAGS = ("--log-level", "none", "--log-level-file", "debug", "--no-use-colors",
               "--no-send-anonymous-usage-stats")


# The debug-level events the EventSink reads (dbt could not read or use its saved parse).
DEBUG_EVENTS_READ = FULL_PARSE_EVENTS


class DbtCancelled(Exception):
    """Raised inside dbt's node threads once a run is cancelled: the node errors at once."""


# Events fired inside a node's own error handling (dbt's call_runner catches what they
# raise and marks only that node errored). NodeStart fires outside it: never raise there.
CANCEL_POINTS = frozenset({"LogStartLine", "NodeCompiling", "NodeExecuting"})


def _callback(sink: EventSink, cancel: threading.Event) -> Any:
    """dbt's event callback: runs on dbt's threads; converts and hands over, raises only to cancel."""

    def callback(msg: Any) -> None:
        if cancel.is_set() and msg.info.name in CANCEL_POINTS:
            raise DbtCancelled("cancelled before it ran (timeout or Ctrl+C)")
        if msg.info.level == "debug" and msg.info.name not in DEBUG_EVENTS_READ:
            return  # most of dbt's events (SQL, connections): nothing we read, costly to convert
        try:
            sink.feed(event_to_dict(msg))
        except Exception:  # pragma: no cover - defensive: dbt must never see our errors
            log.debug("could not handle a dbt event", exc_info=True)

    return callback


def _fatal_of(res: Any, nodes: list[NodeResult], sink: EventSink) -> str | None:
    """Why an in-process run failed as a whole (an exception, or dbt's MainEncounteredError)."""
    if res.exception is not None:
        return sink.explained(str(res.exception) or type(res.exception).__name__)
    return sink.fatal if not res.success and not nodes else None


class InProcessExecutor:
    """Runs dbt through ``dbt.cli.main.dbtRunner`` in this process."""

    name = "inprocess"
    shares_cwd = caches_manifest = reads_results_in_memory = True

    def __init__(self, reuse_manifest_across_vars: bool = False, keep_parses: bool = True,
                 reparse_unseen_vars: bool = True, rewrite_manifest: bool = False) -> None:
        self.reuse = ParseReuse(QUIET_FLAGS, reuse_manifest_across_vars, keep_parses, reparse_unseen_vars)
        # False: a runnable task's artifacts are written here, manifest.json only for a new parse.
        self.rewrite_manifest = rewrite_manifest
        self.artifacts = ManifestsOnDisk()

    @property
    def parses(self) -> int:
        """Parses run (full or partial)."""
        return self.reuse.parses

    @property
    def full_parses(self) -> int:
        """Parses in which dbt parsed the whole project."""
        return self.reuse.full_parses

    def invalidate(self) -> None:
        self.reuse.memory.clear()

    def manifest(self) -> Any:
        """The manifest of the latest parse used (None before the first parse)."""
        return self.reuse.memory.latest

    def manifest_on_disk(self, manifest: Any, target_path: Path) -> bool:
        """True when ``target_path``'s manifest.json was written from ``manifest`` and is unchanged."""
        return self.artifacts.is_current(manifest, target_path)

    def run(self, command: DbtCommand, ctx: RunContext, sink: EventSink) -> Invocation:
        cancel = threading.Event()
        callback = _callback(sink, cancel)
        takes_over = not self.rewrite_manifest and self.artifacts.takes_over(command)
        argv = [*command.argv, *(["--no-write-json"] if takes_over else []), *QUIET_FLAGS]
        started = time.monotonic()
        with DBT_PROCESS_LOCK, FrozenHeap() as heap:
            self.reuse.last = None
            load_dotenv_into(ctx.project_dir)  # as dbt 1.12 does when run from the project dir
            try:
                ran = self._run_locked(command, ctx, sink, argv, callback, cancel, heap)
                if takes_over and not isinstance(ran, Invocation):
                    self.artifacts.write(ran[0].result, ran[2], ctx.target_path)
            finally:
                close_left_pools()
                release_connections()
                adapters.release()
            parse = self.reuse.last
        if isinstance(ran, Invocation):
            inv = ran  # the parse failed
        else:
            res, timed_out, manifest = ran
            inv = self._invocation(command, ctx, sink, argv, res, timed_out, manifest, time.monotonic() - started)
        inv.parse = parse
        return inv

    def _run_locked(
        self, command: DbtCommand, ctx: RunContext, sink: EventSink, argv: list[str], callback: Any,
        cancel: threading.Event, heap: FrozenHeap,
    ) -> Invocation | tuple[Any, bool, Any]:
        """Parse if needed, invoke; once more after a fresh parse if the reused one was stale."""
        from dbt.cli.main import dbtRunner

        select_bare_wildcards_by_name()
        check_cycles_once()
        keep_native_rows()
        track_thread_pools()
        manifest, reused = None, False
        if command.subcommand in MANIFEST_SUBCOMMANDS:
            parses = self.reuse.parses
            manifest, failed = self.reuse.manifest_for(ctx, callback, sink)
            if failed is not None:
                return failed
            reused = self.reuse.parses == parses
            heap.freeze_new()
        forget_compilation(manifest)
        res, timed_out = self._invoke(dbtRunner(manifest=manifest, callbacks=[callback]), argv, ctx.timeout,
                                      cancel, ctx.cancel)
        drop_inline_nodes(manifest)
        if reused and (stale_manifest(res) or any(STALE_MANIFEST in line for line in sink.lines)):
            # The reused parse no longer fits (e.g. vars that shape the DAG changed
            # under reuse_manifest_across_vars): parse again and run once more.
            log.warning("the reused dbt manifest is stale; parsing again")
            self.invalidate()
            manifest, failed = self.reuse.manifest_for(ctx, callback, sink)
            if failed is not None:
                return failed
            heap.freeze_new()
            forget_compilation(manifest)
            res, timed_out = self._invoke(dbtRunner(manifest=manifest, callbacks=[callback]), argv,
                                          ctx.timeout, cancel, ctx.cancel)
            drop_inline_nodes(manifest)
        return res, timed_out, manifest

    @staticmethod
    def _invocation(
        command: DbtCommand, ctx: RunContext, sink: EventSink, argv: list[str], res: Any, timed_out: bool,
        manifest: Any, duration: float,
    ) -> Invocation:
        """What dbtRunner's result says, in the shape both executors share."""
        exception = res.exception
        nodes = nodes_from_execution_result(res.result, ctx.target_path)
        cancelled, fatal = stopped(ctx, timed_out)
        fatal = fatal or _fatal_of(res, nodes, sink)
        # dbt's exit codes: 0 success, 1 a node failed, 2 dbt could not run.
        code = 0 if res.success else (2 if exception is not None or not nodes else 1)
        inv = Invocation(
            command=command, argv=["dbt", *argv], return_code=code, lines=sink.lines,
            stderr="" if exception is None else fatal or "", nodes=nodes, fatal=fatal,
            invocation_id=sink.invocation_id, duration=duration, timed_out=timed_out,
            cancelled=cancelled, no_nodes=sink.no_nodes_selected,
            rows=rows_from_execution_result(res.result) if command.subcommand == "show" else None,
            output=[str(x) for x in res.result] if isinstance(res.result, list) else list(sink.previews),
        )
        if manifest is not None and any(n.failed for n in nodes):
            inv.graph = DbtGraph.from_manifest(manifest)
        return inv

    def _invoke(
        self, runner: Any, argv: list[str], timeout: float | None, cancel: threading.Event,
        requested: threading.Event | None,
    ) -> tuple[Any, bool]:
        """Invoke on a worker thread so a timeout or Ctrl+C can stop dbt cleanly."""
        box: dict[str, Any] = {}
        # Waiting on an Event, not Thread.join: a join interrupted by Ctrl+C can make
        # is_alive() report a running thread as stopped (CPython < 3.13).
        done = threading.Event()

        def target() -> None:
            try:
                box["res"] = runner.invoke(argv)
            finally:
                done.set()

        worker = threading.Thread(target=target, name="dbt-invoke", daemon=True)
        deadline = None if timeout is None else time.monotonic() + timeout
        worker.start()
        timed_out = False
        try:
            while not done.wait(0.05):
                if deadline is not None and time.monotonic() > deadline:
                    timed_out = True
                    self._stop(done, cancel)
                    break
                if requested is not None and requested.is_set():
                    self._stop(done, cancel)
                    break
        except KeyboardInterrupt:
            self._stop(done, cancel)
            raise
        done.wait()
        return box["res"], timed_out

    @staticmethod
    def _stop(done: threading.Event, cancel: threading.Event) -> None:
        """Nodes not yet running error at once; running queries are cancelled."""
        cancel.set()
        while not done.is_set():
            cancel_open_queries()
            done.wait(0.5)
