"""The subprocess executor: ``dbt`` as a child process, JSON log lines on stdout.

It runs in its own process group; on timeout, Ctrl+C or a failure of ours the whole
group is stopped and reaped, so no orphan keeps a database lock.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..command import DbtCommand
from ..events import EventSink
from ..failures.errors import DbtError
from ..graph import DbtGraph
from ..results import nodes_from_run_results_json, read_run_results
from ..typed_rows import ROWS_FILE_ENV, read_tables
from ..wildcards import needs_leaf_matching
from ..invocation import Invocation, RunContext, stopped

# Set by coverage.py's subprocess patch: dbt's own process runs none of our code (nor the
# user's), and tracing all of dbt under coverage only makes every call slower.
COVERAGE_ENV = ("COVERAGE_PROCESS_CONFIG", "COVERAGE_PROCESS_START")


def child_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of a dbt child process."""
    env = {k: v for k, v in environ.items() if k not in COVERAGE_ENV}
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def default_dbt_executable() -> str:
    """The ``dbt`` next to this Python, else the one on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    if beside.is_file():
        return str(beside)
    return shutil.which("dbt") or "dbt"


# dbt's CLI with this runner's fixes (dbt_cli.py), in this Python.
OUR_CLI = [sys.executable, "-m", "pytest_planalign_dbt.runner.dbt_cli"]


class SubprocessExecutor:
    """Runs ``dbt`` as a child process with JSON log lines on stdout."""

    name = "subprocess"
    shares_cwd = caches_manifest = reads_results_in_memory = False

    def __init__(self, dbt_executable: str | None = None) -> None:
        self.dbt_executable = dbt_executable or default_dbt_executable()
        # The dbt installed here, with the fixes it needs (dbt_cli.py); a dbt the caller named
        # runs as it is.
        self.program = [self.dbt_executable]
        # Rows as the database returned them (typed_rows.py) need our child; a named dbt prints JSON.
        self.typed_rows = dbt_executable is None
        if dbt_executable is None and needs_leaf_matching():
            self.program = OUR_CLI

    def invalidate(self) -> None:
        """Nothing is cached across subprocess runs."""

    def manifest(self) -> Any:
        """No parsed manifest lives in this process."""
        return None

    def manifest_on_disk(self, manifest: Any, target_path: Path) -> bool:
        """dbt wrote the artifacts itself: what is on disk is its own (never asked: no manifest here)."""
        return True  # pragma: no cover - manifest() is always None

    def run(self, command: DbtCommand, ctx: RunContext, sink: EventSink) -> Invocation:
        if command.subcommand == "show" and self.typed_rows:
            with tempfile.TemporaryDirectory(prefix="planalign-rows-") as scratch:
                rows_file = Path(scratch) / "rows.jsonl"
                env = {**(os.environ if ctx.env is None else ctx.env), ROWS_FILE_ENV: str(rows_file)}
                inv = self._run(OUR_CLI, command, dataclasses.replace(ctx, env=env), sink)
                tables = read_tables(rows_file)
            if tables is not None and len(tables) == len(inv.output):  # one per preview dbt printed
                inv.rows = [row for table in tables for row in table]
            return inv
        return self._run(self.program, command, ctx, sink)

    def _run(self, program: list[str], command: DbtCommand, ctx: RunContext, sink: EventSink) -> Invocation:
        argv = [
            *program, *command.argv, "--log-format", "json", "--no-use-colors",
            "--no-send-anonymous-usage-stats",
        ]
        started = time.monotonic()
        proc = self._start(argv, ctx)
        stderr_parts: list[str] = []
        readers = [
            threading.Thread(target=self._read_stdout, args=(proc, sink), daemon=True),
            threading.Thread(target=lambda: stderr_parts.extend(proc.stderr or []), daemon=True),
        ]
        for reader in readers:
            reader.start()
        try:
            timed_out = self._wait(proc, ctx, started)
        finally:
            for reader in readers:
                reader.join(5)
        return self._invocation(command, ctx, sink, argv, proc.returncode, "".join(stderr_parts), timed_out,
                                time.monotonic() - started)

    def _start(self, argv: list[str], ctx: RunContext) -> subprocess.Popen[str]:
        try:
            return subprocess.Popen(
                argv, cwd=ctx.project_dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL, text=True, bufsize=1, env=child_env(os.environ if ctx.env is None else ctx.env),
                start_new_session=True,
            )
        except FileNotFoundError:
            raise DbtError(
                f"dbt executable not found: {self.dbt_executable}",
                fix="install dbt-core in this environment, or pass dbt_executable= with its path",
            ) from None

    def _wait(self, proc: subprocess.Popen[str], ctx: RunContext, started: float) -> bool:
        """Wait for dbt, stopping it on timeout or cancel; True when it timed out."""
        deadline = None if ctx.timeout is None else started + ctx.timeout
        timed_out = False
        try:
            while proc.poll() is None:
                try:
                    proc.wait(0.1)
                except subprocess.TimeoutExpired:
                    timed_out = deadline is not None and time.monotonic() > deadline
                    if timed_out or (ctx.cancel is not None and ctx.cancel.is_set()):
                        self.stop(proc, ctx.stop_grace)
        except BaseException:
            # Ctrl+C or an error of ours: never leave dbt running (it may hold a lock).
            self.stop(proc, ctx.stop_grace)
            raise
        return timed_out

    @staticmethod
    def _invocation(
        command: DbtCommand, ctx: RunContext, sink: EventSink, argv: list[str], code: int, stderr: str,
        timed_out: bool, duration: float,
    ) -> Invocation:
        """What the process left behind (its events, run_results.json of this invocation only)."""
        data, manifest = read_run_results(ctx.target_path, sink.invocation_id)
        nodes = []
        if data is not None:
            nodes = nodes_from_run_results_json(data, (manifest or {}).get("nodes"), ctx.target_path)
        cancelled, fatal = stopped(ctx, timed_out)
        if fatal is None and (code not in (0, 1) or (code and not nodes)):
            fatal = sink.fatal or _last_error_lines(sink.lines, stderr) or f"dbt exited with code {code}"
        inv = Invocation(
            command=command, argv=argv, return_code=code, lines=sink.lines, stderr=stderr,
            nodes=nodes, fatal=fatal, invocation_id=sink.invocation_id, duration=duration,
            timed_out=timed_out, cancelled=cancelled, no_nodes=sink.no_nodes_selected,
            output=list(sink.printed if command.subcommand in ("ls", "list") else sink.previews),
        )
        if manifest is not None and any(n.failed for n in nodes):
            inv.graph = DbtGraph.from_manifest_json(manifest)
        return inv

    @staticmethod
    def _read_stdout(proc: subprocess.Popen[str], sink: EventSink) -> None:
        for line in proc.stdout or []:
            if line.startswith("{"):
                try:
                    event = json.loads(line)
                except ValueError:
                    sink.feed_raw_line(line)
                else:
                    sink.feed(event)
            elif line.strip():
                sink.feed_raw_line(line)

    @staticmethod
    def stop(proc: subprocess.Popen[str], grace: float) -> None:
        """SIGINT the process group (dbt cancels its queries), then TERM, then KILL; reap it."""
        for sig, wait in ((signal.SIGINT, grace), (signal.SIGTERM, 2.0), (signal.SIGKILL, 5.0)):
            if proc.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(wait)
        # Children of dbt (none by default) die with the group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _last_error_lines(lines: list[str], stderr: str) -> str | None:
    picked = [line for line in lines if "Error" in line or "error" in line]
    if picked:
        return "\n".join(picked[-10:])
    tail = stderr.strip().splitlines()[-10:]
    return "\n".join(tail) or None
