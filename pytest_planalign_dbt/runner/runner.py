"""DbtRunner: the façade over command building, executors, classification and retries."""

from __future__ import annotations

import dataclasses
import logging
import os
import random
import re
import shlex
import shutil
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .command import V2_PARSER_ENV, DbtCommand, make_command, validate_threads
from .errors import DbtCommandError, DbtConfigError, DbtError
from .events import Dispatcher, EventSink, ProgressEvent
from .invoke import Executor, InProcessExecutor, Invocation, RunContext
from .project import (
    Redactor,
    env_secrets,
    find_project_dir,
    fingerprint,
    load_project,
    require_profiles,
    resolve_profiles_dir,
    var_secrets,
    write_cwd_free_profiles,
)
from .reading import RunnerQueries
from .results import DbtResult, NodeResult, merge_nodes
from .retry import RetryPolicy, plan_retry
from .subproc import SubprocessExecutor
from .verdict import classify_invocation, split_result
from .versions import check_engine, effective_environ

log = logging.getLogger(__name__)

EXECUTORS = ("inprocess", "subprocess")


# Subcommands whose task writes manifest.json when it ends (``GraphRunnableTask.run``, with
# --write-json): the parse before them need not write it too.
WRITES_MANIFEST_AT_END = frozenset({"build", "run", "test", "seed", "snapshot", "compile", "clone", "retry"})


class DbtRunner(RunnerQueries):
    """Runs dbt commands against one project: validated, classified, retried, thread-safe."""

    def __init__(
        self,
        working_dir: Path | str = Path("dbt"),
        threads: int | None = 4,
        *,
        profiles_dir: Path | str | None = None,
        target: str | None = None,
        executor: str = "inprocess",
        retry_policy: RetryPolicy | None = None,
        timeout: float | None = None,
        target_path: Path | str | None = None,
        log_path: Path | str | None = None,
        dbt_executable: str | None = None,
        reuse_manifest_across_vars: bool = False,
        callback_drain_timeout: float = 5.0,
        env: Mapping[str, str] | None = None,
        database_suffix: str | None = None,
        write_json: bool = True,
        keep_parses: bool = True,
        reparse_unseen_vars: bool = True,
    ) -> None:
        self.project_dir = find_project_dir(working_dir)
        # None: the profile's own threads setting.
        self.threads = None if threads is None else validate_threads(threads)
        if executor not in EXECUTORS:
            raise DbtConfigError(f"executor must be one of {', '.join(EXECUTORS)}, got {executor!r}")
        self.timeout = _validate_timeout(timeout)
        # dbt 1.12 adds the project's .env to the environment (never over what is set).
        self.env = effective_environ(self.project_dir, os.environ if env is None else env)
        self.profiles_dir = resolve_profiles_dir(profiles_dir, self.project_dir, self.env)
        self.target = target
        self.target_path = self._abs(target_path) if target_path is not None else None
        self.log_path = self._abs(log_path) if log_path is not None else None
        self.info = load_project(self.project_dir, self.profiles_dir, self.target_path)
        require_profiles(self.info)
        if target is not None and self.info.targets() and target not in self.info.targets():
            raise DbtConfigError(
                f"target {target!r} is not in profile {self.info.profile!r}: use one of "
                f"{', '.join(self.info.targets())}"
            )
        if executor == "inprocess" or dbt_executable is None:
            check_engine(require_core=executor == "inprocess")
        if self.env.get(V2_PARSER_ENV, "").strip().lower() not in ("", "0", "false", "no"):
            raise DbtConfigError(
                f"{V2_PARSER_ENV} is set: the runner keeps and reuses dbt-core's own parse, which "
                f"the v2 parser does not write; unset {V2_PARSER_ENV} for this process"
            )
        self.retry_policy = retry_policy or RetryPolicy()
        self.executor_name = executor
        self.executor: Executor = (
            InProcessExecutor(reuse_manifest_across_vars, keep_parses, reparse_unseen_vars)
            if executor == "inprocess"
            else SubprocessExecutor(dbt_executable)
        )
        self.callback_drain_timeout = callback_drain_timeout
        if database_suffix is not None and not re.fullmatch(r"[-\w.]+", database_suffix):
            raise DbtConfigError(
                f"database_suffix must be letters, digits, '-', '_' or '.', got {database_suffix!r}"
            )
        self.database_suffix = database_suffix or ""
        # False: dbt skips rewriting manifest.json / run_results.json on every call, most of
        # the per-call cost that grows with the project (for tight per-model loops).
        self.write_json = write_json
        self.redact = Redactor([*self.info.secrets, *env_secrets(self.env)])
        # Subprocess runs of one runner share a database: one at a time, like in-process.
        self._lock = threading.RLock()
        self._profiles_copy: Path | None = None
        self._profiles_stamp: tuple[int, int] | None = None
        self._use_copy = False
        self._rng = random.Random()

    def _abs(self, path: Path | str) -> Path:
        p = Path(path).expanduser()
        return p if p.is_absolute() else (self.project_dir / p).resolve()

    def dbt_profiles_dir(self) -> Path | None:
        """The profiles dir handed to dbt.

        A subprocess runs with its working directory set to the project, so relative
        DuckDB paths resolve as after ``cd working_dir``. In-process runs share the
        process's working directory, so they get a private copy of profiles.yml with
        those paths made absolute (refreshed whenever the original changes); so do runs
        with a ``database_suffix`` (a DuckDB file per xdist worker or scenario).
        """
        if not self.executor.shares_cwd and not self.database_suffix:
            return self.profiles_dir
        source = (self.profiles_dir or Path.home() / ".dbt") / "profiles.yml"
        try:
            st = source.stat()
        except OSError:
            return self.profiles_dir
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp != self._profiles_stamp:
            if self._profiles_copy is None:
                self._profiles_copy = Path(tempfile.mkdtemp(prefix="planalign-dbt-profiles-"))
                # It may hold resolved secrets: removed with the runner, or at exit at the latest.
                self._cleanup = weakref.finalize(self, shutil.rmtree, str(self._profiles_copy), True)
            self._profiles_stamp = stamp
            self._use_copy = write_cwd_free_profiles(
                source.parent, self.project_dir, self._profiles_copy, self.database_suffix
            )
        return self._profiles_copy if self._use_copy else self.profiles_dir

    def fingerprint(self) -> str:
        """A cheap digest of the project's state (its files and profiles.yml: paths, sizes,
        mtimes; not its target or log dirs): any edit changes it."""
        extra = [(self.profiles_dir or Path.home() / ".dbt") / "profiles.yml"]
        skip = [p for p in (self.target_path, self.log_path) if p is not None]
        return fingerprint(self.project_dir, extra, skip)

    @property
    def artifacts_path(self) -> Path:
        return self.target_path or self.info.target_path

    @property
    def adapter_type(self) -> str | None:
        return self.info.adapter_type(self.target)

    def command_for(
        self,
        command_args: Sequence[str] | str,
        *,
        simulation_year: int | None = None,
        dbt_vars: Mapping[str, Any] | None = None,
        threads: int | None = None,
        full_refresh: bool = False,
        fail_fast: bool = False,
    ) -> DbtCommand:
        """The validated argv this runner would run (pure; nothing starts)."""
        if isinstance(command_args, str):
            command_args = shlex.split(command_args)
        self.info.check_selector(command_args)
        profiles_dir = self.dbt_profiles_dir()
        if not self.write_json and self.executor.reads_results_in_memory:
            # (a subprocess's node results come from run_results.json: it always writes it)
            if isinstance(command_args, str):
                command_args = shlex.split(command_args)
            if command_args and "--no-write-json" not in command_args:
                command_args = [*command_args, "--no-write-json"]
        return make_command(
            command_args,
            simulation_year=simulation_year,
            dbt_vars=dbt_vars,
            project_dir=str(self.project_dir),
            profiles_dir=str(profiles_dir) if profiles_dir else None,
            target=self.target,
            threads=self.threads if threads is None else threads,
            full_refresh=full_refresh,
            fail_fast=fail_fast,
            target_path=str(self.target_path) if self.target_path else None,
            log_path=str(self.log_path) if self.log_path else None,
        )

    def execute_command(
        self,
        command_args: Sequence[str] | str,
        description: str = "Running dbt command",
        simulation_year: int | None = None,
        dbt_vars: Mapping[str, Any] | None = None,
        stream_output: bool = True,
        on_line: Callable[[str], Any] | None = None,
        *,
        on_progress: Callable[[ProgressEvent], Any] | None = None,
        retry: bool = True,
        timeout: float | None = None,
        threads: int | None = None,
        full_refresh: bool = False,
        fail_fast: bool = False,
        raise_on_error: bool | None = None,
        cancel: threading.Event | None = None,
        max_attempts: int | None = None,
    ) -> DbtResult:
        """Run one dbt command; raise the classified DbtError on failure unless retry=False.

        ``raise_on_error`` (default: the value of ``retry``) separates raising from
        retrying; ``cancel``, set from another thread, stops the run like Ctrl+C;
        ``max_attempts`` (the orchestrator's name) overrides the policy's attempts.
        """
        __tracebackhide__ = True  # pytest shows the caller's line, not ours
        command = self.command_for(
            command_args, simulation_year=simulation_year, dbt_vars=dbt_vars, threads=threads,
            full_refresh=full_refresh, fail_fast=fail_fast,
        )
        timeout = self.timeout if timeout is None else _validate_timeout(timeout)
        redact = self.redact.extended(var_secrets(dict(command.vars)))
        line_cb = self._line_callback(on_line, stream_output, redact)
        policy = self.retry_policy
        if max_attempts is not None:
            policy = dataclasses.replace(policy, max_attempts=max_attempts)
        if not retry:
            policy = RetryPolicy(max_attempts=1)
        log.info("%s: %s", description, redact(command.shell()))
        started = time.monotonic()
        with self._lock:
            result = self._run_with_retries(command, policy, timeout, line_cb, on_progress, cancel, redact)
        result.execution_time = time.monotonic() - started
        log.info(
            "%s: %s in %.2fs after %d attempt(s); dbt log: %s", description,
            "succeeded" if result.success else "failed", result.execution_time, result.attempts,
            result.log_path,
        )
        if raise_on_error is None:
            raise_on_error = retry
        if not result.success and raise_on_error and result.error is not None:
            raise result.error
        return result

    @staticmethod
    def _line_callback(
        on_line: Callable[[str], Any] | None, stream_output: bool, redact: Redactor
    ) -> Callable[[str], Any] | None:
        if on_line is not None:
            user = on_line
            return lambda line: user(redact(line))
        if stream_output:
            return lambda line: print(redact(line), file=sys.stdout, flush=True)
        return None

    def _context(
        self, command: DbtCommand, timeout: float | None, cancel: threading.Event | None = None
    ) -> RunContext:
        # The parse reads the user's own profiles.yml (a private copy only makes DuckDB paths
        # absolute, which a parse never opens): the parse's profile is the dbt CLI's, so each
        # can partially parse from the other's file. Not with a suffix: the database name
        # changes with the file name, and nodes carry it.
        profiles_dir = self.dbt_profiles_dir()
        if profiles_dir != self.profiles_dir and not self.database_suffix:
            profiles_dir = self.profiles_dir or Path.home() / ".dbt"  # where the copy came from
        # dbt's parse writes manifest.json (0.6 s at 130 models, 0.8 s at 1,500 nodes) unless
        # told not to. Not when the command asks for no JSON, nor when it writes manifest.json
        # itself as it ends (dbt's runnable tasks do): the parse's copy would be thrown away.
        quiet_parse = (not self.write_json or "--no-write-json" in command.argv
                       or command.subcommand in WRITES_MANIFEST_AT_END)
        parse = make_command(
            ["parse", "--no-write-json"] if quiet_parse else ["parse"],
            dbt_vars=command.vars,
            project_dir=str(self.project_dir),
            profiles_dir=str(profiles_dir) if profiles_dir else None,
            target=self.target,
            target_path=str(self.target_path) if self.target_path else None,
            log_path=str(self.log_path) if self.log_path else None,
        )
        fp = self.fingerprint() if self.executor.caches_manifest else ""
        return RunContext(
            project_dir=self.project_dir, target_path=self.artifacts_path, timeout=timeout,
            parse_command=parse, fingerprint=fp, env=self.env, cancel=cancel,
            parse_uses_user_profiles=not self.database_suffix,
        )

    def _run_once(
        self,
        command: DbtCommand,
        timeout: float | None,
        on_line: Callable[[str], Any] | None,
        on_progress: Callable[[ProgressEvent], Any] | None,
        cancel: threading.Event | None = None,
    ) -> Invocation:
        dispatcher = Dispatcher()
        sink = EventSink(dispatcher, on_line, on_progress)
        try:
            return self.executor.run(command, self._context(command, timeout, cancel), sink)
        finally:
            dispatcher.close(self.callback_drain_timeout)

    def _run_with_retries(
        self,
        command: DbtCommand,
        policy: RetryPolicy,
        timeout: float | None,
        on_line: Callable[[str], Any] | None,
        on_progress: Callable[[ProgressEvent], Any] | None,
        cancel: threading.Event | None = None,
        redact: Redactor | None = None,
    ) -> DbtResult:
        redact = redact or self.redact
        attempts = _Attempts(command, redact)
        current: DbtCommand | None = command
        while current is not None:
            inv = attempts.add(self._run_once(current, timeout, on_line, on_progress, cancel))
            current = self._next_attempt(command, inv, attempts, policy)
        return attempts.result(self._log_file())

    def _next_attempt(
        self, command: DbtCommand, inv: Invocation, attempts: _Attempts, policy: RetryPolicy
    ) -> DbtCommand | None:
        """The command to run next after a transient failure (after the backoff), or None."""
        error = attempts.error
        if error is None or attempts.count >= policy.max_attempts or inv.cancelled or inv.timed_out:
            return None
        retry_command = plan_retry(command, inv)
        if retry_command is None:
            return None
        wait = policy.delay(attempts.count, self._rng)
        log.warning(
            "transient dbt failure (attempt %d/%d): %s; retrying %s in %.2fs",
            attempts.count, policy.max_attempts, _first_line(error.dbt_message),
            "the failed nodes" if retry_command is not command else "the command", wait,
        )
        time.sleep(wait)
        return retry_command

    def _log_file(self) -> str:
        return str((self.log_path or self.project_dir / "logs") / "dbt.log")

    def run_model(self, name: str, **kwargs: Any) -> DbtResult:
        """``dbt run --select <name>``."""
        __tracebackhide__ = True  # pytest shows the caller's line, not ours
        if not isinstance(name, str) or not name.strip():
            raise DbtCommandError(f"model name must be a non-empty string, got {name!r}")
        kwargs.setdefault("description", f"Running model {name}")
        return self.execute_command(["run", "--select", name], **kwargs)

    def run_models(
        self, models: Iterable[str], parallel: bool = False, **kwargs: Any
    ) -> list[DbtResult]:
        """One DbtResult per requested model, in order.

        parallel=True runs all of them in one dbt invocation (dbt's threads) and
        splits the results per model; parallel=False runs them one by one.
        """
        __tracebackhide__ = True  # pytest shows the caller's line, not ours
        names = list(models)
        if not names:
            return []
        if not parallel:
            return [self.run_model(name, **kwargs) for name in names]
        retry = kwargs.pop("retry", True)
        kwargs.setdefault("description", f"Running {len(names)} models")
        combined = self.execute_command(["run", "--select", *names], retry=False, **kwargs)
        results = [split_result(combined, name) for name in names]
        if retry:
            failed = [r for r in results if r.error is not None]
            if failed:
                raise failed[0].error  # type: ignore[misc]
        return results

    def close(self) -> None:
        """Remove the private profiles.yml copy now (it is removed at exit anyway)."""
        cleanup = getattr(self, "_cleanup", None)
        if cleanup is not None:
            cleanup()
        self._profiles_copy = None
        self._profiles_stamp = None

    def invalidate_manifest(self) -> None:
        """Forget the cached parse; the next in-process call parses again."""
        self.executor.invalidate()


class _Attempts:
    """What the attempts of one command add up to (a retry's results replace the first's)."""

    def __init__(self, command: DbtCommand, redact: Redactor) -> None:
        self.command = command
        self.redact = redact
        self.count = 0
        self.nodes: list[NodeResult] = []
        self.lines: list[str] = []
        self.stderr: list[str] = []
        self.error: DbtError | None = None
        self.last: Invocation | None = None

    def add(self, inv: Invocation) -> Invocation:
        redact = self.redact
        # Secrets never travel further than this: messages feed errors, reports, JUnit.
        inv.nodes = [dataclasses.replace(n, message=redact(n.message)) if n.message else n for n in inv.nodes]
        inv.fatal = redact(inv.fatal) if inv.fatal else inv.fatal
        self.count += 1
        self.nodes = merge_nodes(self.nodes, inv.nodes)
        self.lines.extend(inv.lines)
        if inv.stderr:
            self.stderr.append(inv.stderr)
        self.error = classify_invocation(inv, self.nodes)
        self.last = inv
        return inv

    def result(self, log_path: str) -> DbtResult:
        inv, error, redact = self.last, self.error, self.redact
        assert inv is not None
        result = DbtResult(
            success=error is None,
            stdout=redact("\n".join(self.lines)),
            stderr=redact("\n".join(self.stderr)),
            execution_time=0.0,
            return_code=0 if error is None else (inv.return_code or 1),
            command=[redact(a) for a in ("dbt", *self.command.argv)],
            nodes=[n for n in self.nodes if not n.is_hook],
            error=error,
            attempts=self.count,
            invocation_id=inv.invocation_id,
            log_path=log_path,
            output=list(inv.output),
            hooks=[n for n in self.nodes if n.is_hook],
            rows=inv.rows,
        )
        if error is not None:
            error.result = result
        return result


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _validate_timeout(timeout: float | None) -> float | None:
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise DbtConfigError(f"timeout must be a number of seconds > 0 (or None), got {timeout!r}")
    return float(timeout)
