"""DbtRunner: the façade over command building, executors, classification and retries."""

from __future__ import annotations

import dataclasses
import logging
import os
import random
import re
import shlex
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .arguments import check_settings, directory_argument
from .dbt_artifacts import write_manifest
from .command import (
    DbtCommand,
    make_command,
    parse_command_for,
    validate_threads,
    validate_timeout,
)
from .events import Dispatcher, EventSink, ProgressEvent, line_callback
from .executors import EXECUTORS
from .executors.base import Executor
from .invocation import Invocation, RunContext
from .executors.inprocess import InProcessExecutor
from .executors.subprocess import SubprocessExecutor
from .failures.errors import DbtConfigError
from .failures.gone import explain_failure, say_engine_gone
from .macros import Macros
from .model_runs import ModelRuns
from .parts import delegate
from .profiles import ProfilesCopy, resolve_profiles_dir
from .project import find_project_dir, fingerprint, load_project
from .reading import Reader
from .results import DbtResult
from .layout import UNDECODABLE, check_utf8
from .retry import RetryPolicy, run_with_retries
from .secrets import Redactor, env_secrets, var_secrets
from .versions import effective_environ

log = logging.getLogger(__name__)


class DbtRunner:
    """Runs dbt commands against one project: validated, classified, retried, thread-safe.

    Args:
        working_dir: the directory that holds dbt_project.yml.
        threads: dbt's threads for every call (None: the profile's own setting).
        profiles_dir: where profiles.yml is (default: DBT_PROFILES_DIR, the project, ~/.dbt).
        target: the profile's target (default: the profile's own).
        executor: "inprocess" (dbt's programmatic API, the parse reused) or "subprocess".
        retry_policy: the backoff for transient failures (a locked DuckDB file, a lost connection).
        timeout: seconds before a call is cancelled (None: no limit).
        target_path: dbt's --target-path (relative to the project).
        log_path: dbt's --log-path (relative to the project).
        dbt_executable: the ``dbt`` a subprocess runs (default: the one beside this Python).
        reuse_manifest_across_vars: one parse for every vars set (a stale one is redone).
        callback_drain_timeout: seconds to deliver the last lines and progress events.
        env: the environment dbt reads (default: os.environ; the project's .env is added).
        database_suffix: a suffix for DuckDB file names and server schemas (one per worker).
        write_json: True (default): run_results.json every call, manifest.json whenever the call
            ran on another parse than the file on disk (runner/executors/artifacts.py);
            "always": manifest.json every call too, as the dbt CLI; False: neither.
        keep_parses: keep dbt's partial-parse file per vars set (target/, reused next run).
        reparse_unseen_vars: derive the parse for new vars from a kept one where dbt allows.

    Raises:
        DbtConfigError: a setting is unusable (no dbt_project.yml, no profile, bad target...).
        DbtCommandError: threads is not a whole number >= 1.
    """

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
        write_json: bool | str = True,
        keep_parses: bool = True,
        reparse_unseen_vars: bool = True,
    ) -> None:
        self.project_dir = find_project_dir(working_dir)
        # None: the profile's own threads setting.
        self.threads = None if threads is None else validate_threads(threads)
        if executor not in EXECUTORS:
            raise DbtConfigError(f"executor must be one of {', '.join(EXECUTORS)}, got {executor!r}")
        self.timeout = validate_timeout(timeout)
        # dbt 1.12 adds the project's .env to the environment (never over what is set).
        self.env = effective_environ(self.project_dir, os.environ if env is None else env)
        self.profiles_dir = resolve_profiles_dir(profiles_dir, self.project_dir, self.env)
        self.target = target
        self.target_path = directory_argument("target_path", target_path, self.project_dir)
        self.log_path = directory_argument("log_path", log_path, self.project_dir)
        self.info = load_project(self.project_dir, self.profiles_dir, self.target_path)
        check_settings(self.info, target, self.env, executor, dbt_executable, write_json)
        self.retry_policy = retry_policy or RetryPolicy()
        self.executor_name = executor
        self.executor: Executor = (
            InProcessExecutor(reuse_manifest_across_vars, keep_parses, reparse_unseen_vars,
                              rewrite_manifest=write_json == "always")
            if executor == "inprocess"
            else SubprocessExecutor(dbt_executable)
        )
        self.callback_drain_timeout = callback_drain_timeout
        if database_suffix is not None and not re.fullmatch(r"[-\w.]+", database_suffix):
            raise DbtConfigError(
                f"database_suffix must be letters, digits, '-', '_' or '.', got {database_suffix!r}"
            )
        self.database_suffix = database_suffix or ""
        self._profiles = ProfilesCopy(self.profiles_dir, self.project_dir, self.database_suffix)
        self.write_json = bool(write_json)
        self.redact = Redactor([*self.info.secrets, *env_secrets(self.env)])
        # Subprocess runs of one runner share a database: one at a time, like in-process.
        self._lock = threading.RLock()
        self._rng = random.Random()
        self.reading = Reader(self)
        self.macros = Macros(self, self.reading)
        self.model_runs = ModelRuns(self)

    # Reading (``dbt ls``, ``dbt show``) and macros, from the parts that hold them (parts.py).
    list_nodes = delegate(Reader.list_nodes, "reading")
    show = delegate(Reader.show, "reading")
    rows = delegate(Reader.rows, "reading")
    unanswered = delegate(Reader.unanswered, "reading")
    enabled_names = delegate(Reader.enabled_names, "reading")
    disabled_names = delegate(Reader.disabled_names, "reading")
    render = delegate(Macros.render, "macros")
    query = delegate(Macros.query, "macros")
    macro = delegate(Macros.macro, "macros")
    render_macro = delegate(Macros.render_macro, "macros")
    run_operation = delegate(Macros.run_operation, "macros")
    # The orchestrator's model runs.
    run_model = delegate(ModelRuns.run_model, "model_runs")
    run_models = delegate(ModelRuns.run_models, "model_runs")

    def dbt_profiles_dir(self) -> Path | None:
        """The profiles dir handed to dbt: the user's, or a private copy (profiles.ProfilesCopy)."""
        if not self.executor.shares_cwd and not self.database_suffix:
            return self.profiles_dir
        return self._profiles.dir_for_dbt()

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
        """The validated argv this runner would run (nothing starts).

        Args:
            command_args: the dbt command and its flags, as a list or one shell-quoted string.
            simulation_year: sets the ``simulation_year`` var (the orchestrator's shorthand).
            dbt_vars: dbt vars for this call (merged with ``--vars`` in ``command_args``).
            threads: dbt's threads for this call (default: the runner's).
            full_refresh: dbt's --full-refresh.
            fail_fast: dbt's --fail-fast.

        Raises:
            DbtCommandError: a flag the runner owns is passed, a selector is unknown, vars are
                not a mapping, threads are not >= 1.
        """
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

        Args:
            command_args: as for ``command_for``; so are ``simulation_year``, ``dbt_vars``,
                ``threads``, ``full_refresh`` and ``fail_fast``.
            description: the words of the runner's INFO log lines for this call.
            stream_output: print dbt's lines as they come (when ``on_line`` is not given).
            on_line: called with each of dbt's lines (secrets redacted), from dbt's threads.
            on_progress: called with a ProgressEvent as each node starts and finishes.
            retry: retry transient failures with the runner's backoff (False: one attempt).
            timeout: seconds before the call is cancelled (default: the runner's).
            raise_on_error: raise the DbtError on failure (default: the value of ``retry``).
            cancel: set from another thread to stop the run, as Ctrl+C does.
            max_attempts: the orchestrator's name for the policy's attempts, for this call.

        Returns:
            The DbtResult: success, dbt's lines, one NodeResult per node, the error if any.

        Raises:
            DbtError: the classified failure (a subclass per kind), when raising is on.
            DbtCommandError: the command is refused before dbt starts.
        """
        __tracebackhide__ = True  # pytest shows the caller's line, not ours
        command = self.command_for(
            command_args, simulation_year=simulation_year, dbt_vars=dbt_vars, threads=threads,
            full_refresh=full_refresh, fail_fast=fail_fast,
        )
        timeout = self.timeout if timeout is None else validate_timeout(timeout)
        redact = self.redact.extended(var_secrets(dict(command.vars)))
        line_cb = line_callback(on_line, stream_output, redact)
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
        if result.error is not None and UNDECODABLE in result.error.dbt_message:
            check_utf8(self.info.layout)  # dbt's message names no file: ours names it, or dbt's stands
        if result.error is not None:
            explain_failure(result.error, self.info.layout.ref_names, lambda: self.unanswered(command.vars))
        if not result.success and raise_on_error and result.error is not None:
            raise result.error
        return result

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
        parse = parse_command_for(
            command, self.write_json, project_dir=str(self.project_dir),
            profiles_dir=str(profiles_dir) if profiles_dir else None, target=self.target,
            target_path=str(self.target_path) if self.target_path else None,
            log_path=str(self.log_path) if self.log_path else None,
        )
        fp = self.fingerprint() if self.executor.caches_manifest else ""
        return RunContext(
            project_dir=self.project_dir, target_path=self.artifacts_path, timeout=timeout,
            parse_command=parse, fingerprint=fp, env=self.env, cancel=cancel,
            parse_uses_user_profiles=not self.database_suffix, secrets=tuple(self.redact.secrets),
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
            inv = self.executor.run(command, self._context(command, timeout, cancel), sink)
        finally:
            dispatcher.close(self.callback_drain_timeout)
        say_engine_gone(inv, self.info, self.target)
        return inv

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
        attempts = run_with_retries(
            command, lambda current: self._run_once(current, timeout, on_line, on_progress, cancel),
            policy, redact or self.redact, self._rng,
        )
        return attempts.result(self._log_file())

    def _log_file(self) -> str:
        return str((self.log_path or self.project_dir / "logs") / "dbt.log")

    def close(self) -> None:
        """Remove the private profiles.yml copy now (it is removed at exit anyway)."""
        self._profiles.remove()

    def manifest_file(self, dest: Path, *, write: bool = True) -> Path | None:
        """The latest call's ``manifest.json``: the artifacts' own when it holds that call's parse
        (always, out of process), else the parse in memory written at ``dest`` (None: not written)."""
        kept = self.executor.manifest()
        if kept is None or self.executor.manifest_on_disk(kept, self.artifacts_path):
            return self.artifacts_path / "manifest.json"
        if write:
            dest.parent.mkdir(parents=True, exist_ok=True)
            write_manifest(kept, dest)
            return dest
        return None

    def invalidate_manifest(self) -> None:
        """Forget the cached parse; the next in-process call parses again."""
        self.executor.invalidate()

