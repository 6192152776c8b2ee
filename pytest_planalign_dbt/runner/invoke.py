"""Executors: what every executor shares (Invocation, RunContext, the protocol), and the
in-process one (the subprocess executor is in subproc.py).

In-process runs go through dbt's public ``dbtRunner``, one at a time per
process (dbt keeps process-global state; dbt-core#9603), reusing the parsed
manifest while the project, profile, target and vars are unchanged. After
each run the adapter's connections are closed so a DuckDB file is free for
other processes (dbt-duckdb keeps it open otherwise; dbt-core#11980).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .command import DbtCommand
from .dbt_internals import (
    FULL_PARSE_EVENTS,
    PARTIAL_PARSE_FILE_FLAG,
    STALE_MANIFEST,
    cancel_open_queries,
    event_to_dict,
    release_connections,
    stale_manifest,
)
from .events import EventSink
from .graph import DbtGraph
from .heap import FrozenHeap
from .parse_cache import ParseStore, base_key, parse_key
from .results import (
    NodeResult,
    nodes_from_execution_result,
    rows_from_execution_result,
)
from .manifests import ManifestMemory
from .unseen_vars import parse_from_other_vars
from .versions import effective_vars, load_dotenv_into

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


def stopped(ctx: RunContext, timed_out: bool) -> tuple[bool, str | None]:
    """(cancelled on request, the fatal message) for a run that was stopped, either way."""
    cancelled = ctx.cancel is not None and ctx.cancel.is_set() and not timed_out
    if timed_out:
        return False, f"dbt ran longer than the timeout of {ctx.timeout}s and was cancelled"
    if cancelled:
        return True, "the dbt run was cancelled"
    return False, None


# The debug-level events the EventSink reads (dbt could not read or use its saved parse).
DEBUG_EVENTS_READ = FULL_PARSE_EVENTS


class DbtCancelled(Exception):
    """Raised inside dbt's node threads once a run is cancelled: the node errors at once."""


# Events fired inside a node's own error handling (dbt's call_runner catches what they
# raise and marks only that node errored). NodeStart fires outside it: never raise there.
CANCEL_POINTS = frozenset({"LogStartLine", "NodeCompiling", "NodeExecuting"})


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
        return str(res.exception) or type(res.exception).__name__
    return sink.fatal if not res.success and not nodes else None


class InProcessExecutor:
    """Runs dbt through ``dbt.cli.main.dbtRunner`` in this process."""

    name = "inprocess"
    shares_cwd = caches_manifest = reads_results_in_memory = True

    def __init__(self, reuse_manifest_across_vars: bool = False, keep_parses: bool = True,
                 reparse_unseen_vars: bool = True) -> None:
        self.reuse_manifest_across_vars = reuse_manifest_across_vars
        self._memory = ManifestMemory()  # parsed manifests in memory (runner/manifests.py)
        # dbt's partial-parse file kept per vars set on disk (runner/parse_cache.py).
        self.keep_parses = keep_parses
        # For vars not seen yet: start from a kept parse of other vars (runner/unseen_vars.py).
        self.reparse_unseen_vars = reparse_unseen_vars
        self.parses = 0  # parses run (full or partial)
        self.full_parses = 0  # of which dbt parsed the whole project

    def _key(self, ctx: RunContext) -> tuple[Any, ...]:
        argv = list(ctx.parse_command.argv)
        if self.reuse_manifest_across_vars and "--vars" in argv:
            i = argv.index("--vars")
            del argv[i : i + 2]
        return (tuple(argv), ctx.fingerprint)

    def invalidate(self) -> None:
        self._memory.clear()

    def manifest(self) -> Any:
        """The manifest of the latest parse used (None before the first parse)."""
        return self._memory.latest

    def run(self, command: DbtCommand, ctx: RunContext, sink: EventSink) -> Invocation:
        cancel = threading.Event()
        callback = _callback(sink, cancel)
        argv = [*command.argv, *QUIET_FLAGS]
        started = time.monotonic()
        with DBT_PROCESS_LOCK, FrozenHeap() as heap:
            load_dotenv_into(ctx.project_dir)  # as dbt 1.12 does when run from the project dir
            try:
                ran = self._run_locked(command, ctx, sink, argv, callback, cancel, heap)
            finally:
                release_connections()
        if isinstance(ran, Invocation):
            return ran  # the parse failed
        res, timed_out, manifest = ran
        return self._invocation(command, ctx, sink, argv, res, timed_out, manifest,
                                time.monotonic() - started)

    def _run_locked(
        self, command: DbtCommand, ctx: RunContext, sink: EventSink, argv: list[str], callback: Any,
        cancel: threading.Event, heap: FrozenHeap,
    ) -> Invocation | tuple[Any, bool, Any]:
        """Parse if needed, invoke; once more after a fresh parse if the reused one was stale."""
        from dbt.cli.main import dbtRunner

        manifest, reused = None, False
        if command.subcommand in MANIFEST_SUBCOMMANDS:
            parses = self.parses
            manifest, failed = self._manifest_for(ctx, callback, sink)
            if failed is not None:
                return failed
            reused = self.parses == parses
            heap.freeze_new()
        res, timed_out = self._invoke(dbtRunner(manifest=manifest, callbacks=[callback]), argv, ctx.timeout,
                                      cancel, ctx.cancel)
        if reused and (stale_manifest(res) or any(STALE_MANIFEST in line for line in sink.lines)):
            # The reused parse no longer fits (e.g. vars that shape the DAG changed
            # under reuse_manifest_across_vars): parse again and run once more.
            log.warning("the reused dbt manifest is stale; parsing again")
            self.invalidate()
            manifest, failed = self._manifest_for(ctx, callback, sink)
            if failed is not None:
                return failed
            heap.freeze_new()
            res, timed_out = self._invoke(dbtRunner(manifest=manifest, callbacks=[callback]), argv,
                                          ctx.timeout, cancel, ctx.cancel)
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

    def _manifest_for(self, ctx: RunContext, callback: Any, sink: EventSink) -> tuple[Any, Invocation | None]:
        key = self._key(ctx)
        parse_argv, cli_vars = ctx.parse_command.argv, ctx.parse_command.vars
        kept_manifest = self._memory.get(key)
        if kept_manifest is None and self.reparse_unseen_vars:
            kept_manifest = self._memory.same_parse(parse_argv, cli_vars, ctx.fingerprint, ctx.project_dir,
                                                    ctx.target_path)
            if kept_manifest is not None:
                self._memory.put(key, parse_argv, cli_vars, kept_manifest)
        if kept_manifest is not None:
            return kept_manifest, None
        started, started_ns = time.monotonic(), time.time_ns()
        store = ParseStore(ctx.target_path) if self.keep_parses else None
        store_key = parse_key(parse_argv)
        usable_by_cli = not cli_vars and ctx.parse_uses_user_profiles
        with store.cli_file_aside(usable_by_cli) if store is not None else contextlib.nullcontext() as cli_file:
            kept, doctored = self._handed_over(store, store_key, ctx, cli_file)
            try:
                manifest, failed = self._parse(ctx, callback, sink, [*parse_argv, *kept, *QUIET_FLAGS], started)
                if failed is None:
                    self._keep(store, store_key, ctx, started_ns, doctored)
            finally:
                if doctored is not None:
                    doctored.unlink(missing_ok=True)
        if failed is not None:
            return None, failed
        self._memory.put(key, parse_argv, cli_vars, manifest)
        return manifest, None

    def _parse(self, ctx: RunContext, callback: Any, sink: EventSink, argv: list[str],
               started: float) -> tuple[Any, Invocation | None]:
        """One ``dbt parse``: the manifest, or the invocation that says why there is none."""
        from dbt.cli.main import dbtRunner

        full_before = len(sink.full_parses)
        res = dbtRunner(callbacks=[callback]).invoke(argv)
        self._count_parse(sink, full_before, started)
        if isinstance(res.exception, KeyboardInterrupt):
            raise KeyboardInterrupt
        if not res.success or res.result is None:
            self.invalidate()
            fatal = str(res.exception) if res.exception else (sink.fatal or "dbt parse failed")
            return None, Invocation(
                command=ctx.parse_command, argv=["dbt", *argv], return_code=2, lines=sink.lines,
                stderr=fatal, nodes=[], fatal=fatal, invocation_id=sink.invocation_id,
                duration=time.monotonic() - started,
            )
        return res.result, None

    @staticmethod
    def _keep(store: ParseStore | None, key: str, ctx: RunContext, started_ns: int, doctored: Path | None) -> None:
        """Keep this parse for its vars: the file dbt wrote, or, when dbt found nothing to parse
        again in a parse derived from other vars, that derived file (it is dbt's parse for them)."""
        if store is None:
            return
        argv = ctx.parse_command.argv
        parsed_for = effective_vars(ctx.project_dir, ctx.parse_command.vars)
        if store.written_since(started_ns):
            store.save(key, base_key(argv), parsed_for)
        elif doctored is not None:
            store.save(key, base_key(argv), parsed_for, source=doctored)

    def _handed_over(self, store: ParseStore | None, key: str, ctx: RunContext,
                     cli_file: Path | None) -> tuple[list[str], Path | None]:
        """The arguments that hand dbt a parse to start from: kept for these vars, made from a
        parse of other vars (that file is returned, to be removed after the parse), or the dbt
        CLI's own (``cli_file``, set aside while we parse)."""
        if store is None:
            return [], None
        kept = store.args_for(key)
        if kept:
            return kept, None
        vars_ = ctx.parse_command.vars
        doctored = (parse_from_other_vars(store, key, ctx.project_dir, ctx.target_path, ctx.parse_command.argv,
                                          vars_, cli_file if vars_ else None)
                    if self.reparse_unseen_vars else None)
        if doctored is not None:
            return [PARTIAL_PARSE_FILE_FLAG, str(doctored)], doctored
        return ([PARTIAL_PARSE_FILE_FLAG, str(cli_file)] if cli_file is not None else []), None

    def _count_parse(self, sink: EventSink, full_before: int, started: float) -> None:
        self.parses += 1
        full = len(sink.full_parses) > full_before
        self.full_parses += full
        log.info("parsed the dbt project in %.2fs (%s)", time.monotonic() - started,
                 f"full: {sink.full_parses[-1]}" if full else "partial")

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


# Set by coverage.py's subprocess patch: dbt's own process runs none of our code (nor the
# user's), and tracing all of dbt under coverage only makes every call slower.
COVERAGE_ENV = ("COVERAGE_PROCESS_CONFIG", "COVERAGE_PROCESS_START")


def child_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of a dbt child process."""
    env = {k: v for k, v in environ.items() if k not in COVERAGE_ENV}
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env
