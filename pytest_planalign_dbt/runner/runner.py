"""DbtRunner: the façade over command building, executors, classification and retries."""

from __future__ import annotations

import dataclasses
import json
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

from .command import DbtCommand, make_command, replace_selection, validate_threads
from .errors import (
    TRANSIENT,
    DbtCommandError,
    DbtConfigError,
    DbtError,
    DbtSelectionError,
    DbtTimeoutError,
    classify_message,
    error_for,
    pick_kind,
)
from .events import Dispatcher, EventSink, ProgressEvent
from .invoke import Executor, InProcessExecutor, Invocation, RunContext, SubprocessExecutor
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
from .results import DbtResult, NodeResult, disabled_names, failure_block, merge_nodes
from .retry import RetryPolicy

log = logging.getLogger(__name__)

EXECUTORS = ("inprocess", "subprocess")
# What ref() accepts as a name: dbt allows '-' and other characters in file names; quotes,
# braces and whitespace could break out of the generated ref() call.
MODEL_NAME = re.compile(r"[^\s'\"{}%#\\]+")
NODE_RESOURCE_TYPES = ("seed", "model", "snapshot", "test", "unit_test")
LIST_KEYS = (
    "unique_id", "name", "resource_type", "original_file_path", "package_name", "tags", "fqn",
    "depends_on", "config",
)


class DbtRunner:
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
    ) -> None:
        self.project_dir = find_project_dir(working_dir)
        # None: the profile's own threads setting.
        self.threads = None if threads is None else validate_threads(threads)
        if executor not in EXECUTORS:
            raise DbtConfigError(f"executor must be one of {', '.join(EXECUTORS)}, got {executor!r}")
        self.timeout = _validate_timeout(timeout)
        self.env = dict(os.environ if env is None else env)
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
        self.retry_policy = retry_policy or RetryPolicy()
        self.executor_name = executor
        self.executor: Executor = (
            InProcessExecutor(reuse_manifest_across_vars)
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
        self._check_selector(command_args)
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

    def _check_selector(self, args: Sequence[str]) -> None:
        """An unknown ``--selector`` is refused before dbt starts, naming the known ones."""
        for i, arg in enumerate(args):
            if arg.split("=", 1)[0] != "--selector":
                continue
            name = arg.split("=", 1)[1] if "=" in arg else (args[i + 1] if i + 1 < len(args) else "")
            known = self.info.selector_names()
            if known is not None and name and name not in known:
                raise DbtCommandError(
                    f"--selector {name}: no selector of that name in selectors.yml; it has: "
                    f"{', '.join(known) or 'none'}"
                )
            if known is None and name:
                raise DbtCommandError(
                    f"--selector {name}: the project has no selectors.yml; define the selector "
                    "there, or use --select"
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
        profiles_dir = self.dbt_profiles_dir()
        parse = make_command(
            ["parse"],
            dbt_vars=command.vars,
            project_dir=str(self.project_dir),
            profiles_dir=str(profiles_dir) if profiles_dir else None,
            target=self.target,
            target_path=str(self.target_path) if self.target_path else None,
            log_path=str(self.log_path) if self.log_path else None,
        )
        extra = [self.profiles_dir / "profiles.yml"] if self.profiles_dir else []
        skip = [p for p in (self.target_path, self.log_path) if p is not None]
        fp = fingerprint(self.project_dir, extra, skip) if self.executor.caches_manifest else ""
        return RunContext(
            project_dir=self.project_dir, target_path=self.artifacts_path, timeout=timeout,
            parse_command=parse, fingerprint=fp, env=self.env, cancel=cancel,
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
        attempt, current = 1, command
        nodes: list[NodeResult] = []
        lines: list[str] = []
        stderr: list[str] = []
        while True:
            inv = self._run_once(current, timeout, on_line, on_progress, cancel)
            # Secrets never travel further than this: messages feed errors, reports, JUnit.
            inv.nodes = [
                dataclasses.replace(n, message=redact(n.message)) if n.message else n for n in inv.nodes
            ]
            inv.fatal = redact(inv.fatal) if inv.fatal else inv.fatal
            nodes = merge_nodes(nodes, inv.nodes)
            lines.extend(inv.lines)
            if inv.stderr:
                stderr.append(inv.stderr)
            error = classify_invocation(inv, nodes)
            retry_command = None
            stopped = inv.cancelled or inv.timed_out
            if error is not None and attempt < policy.max_attempts and not stopped:
                retry_command = self._retry_command(command, inv)
            if retry_command is None:
                break
            wait = policy.delay(attempt, self._rng)
            log.warning(
                "transient dbt failure (attempt %d/%d): %s; retrying %s in %.2fs",
                attempt, policy.max_attempts, _first_line(error.dbt_message) if error else "",
                "the failed nodes" if retry_command is not command else "the command", wait,
            )
            time.sleep(wait)
            attempt, current = attempt + 1, retry_command
        result = DbtResult(
            success=error is None,
            stdout=redact("\n".join(lines)),
            stderr=redact("\n".join(stderr)),
            execution_time=0.0,
            return_code=0 if error is None else (inv.return_code or 1),
            command=[redact(a) for a in ("dbt", *command.argv)],
            nodes=nodes,
            attempts=attempt,
            invocation_id=inv.invocation_id,
            log_path=str((self.log_path or self.project_dir / "logs") / "dbt.log"),
            output=list(inv.output),
            hooks=[n for n in nodes if n.is_hook],
            rows=inv.rows,
        )
        result.nodes = [n for n in nodes if not n.is_hook]
        if error is not None:
            error.result = result
        result.error = error
        return result

    def _retry_command(self, original: DbtCommand, inv: Invocation) -> DbtCommand | None:
        """What to re-run after a transient failure, or None when nothing should be retried."""
        failed = [n for n in inv.nodes if n.failed]
        if not failed:
            # dbt could not start (e.g. a DuckDB lock at connection time): all again if transient.
            if inv.fatal and not inv.timed_out and classify_message(inv.fatal) == TRANSIENT:
                return original
            return None
        transient = [n for n in failed if n.error_class == TRANSIENT]
        graph = inv.graph
        if not transient or graph is None:
            return None
        others = [n.unique_id for n in failed if n.error_class != TRANSIENT]
        blocked = graph.descendants(others)
        rerun = {n.unique_id for n in transient}
        skipped = {n.unique_id for n in inv.nodes if n.status == "skipped"}
        rerun |= (graph.descendants(rerun) & skipped) - blocked
        selectors = sorted(filter(None, (graph.selector(uid) for uid in rerun)))
        if not selectors:
            return None
        return DbtCommand(
            subcommand=original.subcommand,
            argv=replace_selection(original.argv, selectors),
            vars=original.vars,
        )

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

    def run_models_by_tag(
        self, tag: str, simulation_year: int | None = None, threads: int | None = None, **kwargs: Any
    ) -> DbtResult:
        """``dbt run --select tag:<tag>`` (the orchestrator's per-stage call)."""
        __tracebackhide__ = True  # pytest shows the caller's line, not ours
        if not isinstance(tag, str) or not tag.strip():
            raise DbtCommandError(f"tag must be a non-empty string, got {tag!r}")
        kwargs.setdefault("description", f"Running models tagged {tag}")
        return self.execute_command(
            ["run", "--select", f"tag:{tag}"], simulation_year=simulation_year, threads=threads, **kwargs
        )

    def list_nodes(
        self,
        select: Sequence[str] = (),
        exclude: Sequence[str] = (),
        selector: str | None = None,
        *,
        resource_types: Sequence[str] = NODE_RESOURCE_TYPES,
        simulation_year: int | None = None,
        dbt_vars: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """The nodes dbt's own selector syntax selects (``dbt ls``), as dicts of LIST_KEYS."""
        __tracebackhide__ = True  # pytest shows the caller's line, not ours
        # --no-write-json: listing must not replace the last build's run_results.json.
        args = ["ls", "--output", "json", "--output-keys", *LIST_KEYS, "--no-write-json"]
        for resource_type in resource_types:
            args += ["--resource-type", resource_type]
        if select:
            args += ["--select", *select]
        if exclude:
            args += ["--exclude", *exclude]
        if selector:
            args += ["--selector", selector]
        result = self.execute_command(
            args, description="Listing dbt nodes", simulation_year=simulation_year,
            dbt_vars=dbt_vars, stream_output=False,
        )
        nodes = []
        for line in result.output:
            try:
                nodes.append(json.loads(line))
            except ValueError:
                continue
        return nodes

    def show(
        self,
        *,
        select: str | None = None,
        inline: str | None = None,
        limit: int = 5,
        simulation_year: int | None = None,
        dbt_vars: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Rows from ``dbt show`` of a node (e.g. a failing test) or inline SQL; limit -1 = all."""
        __tracebackhide__ = True  # pytest shows the caller's line, not ours
        if (select is None) == (inline is None):
            raise DbtCommandError("show() needs exactly one of select= or inline=")
        # --no-write-json: reading rows must not replace the last build's run_results.json.
        args = ["show", "--output", "json", "--limit", str(int(limit)), "--no-write-json"]
        args += ["--select", select] if select is not None else ["--inline", str(inline)]
        result = self.execute_command(
            args, description="Reading rows through dbt", simulation_year=simulation_year,
            dbt_vars=dbt_vars, stream_output=False,
        )
        if result.rows is not None:
            return result.rows
        rows: list[dict[str, Any]] = []
        for preview in result.output:
            data = json.loads(preview) if preview else []
            # dbt's preview is the row list; its printed form wraps it as {"show": rows}.
            rows.extend(data.get("show", []) if isinstance(data, dict) else data)
        return rows

    def rows(
        self,
        model: str,
        *,
        where: str | None = None,
        limit: int = -1,
        simulation_year: int | None = None,
        dbt_vars: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """A relation's rows by model (or seed/snapshot) name, through dbt's ref().

        In-process, values keep their types (dates, numbers); from a subprocess they come
        as dbt's JSON preview gives them. A versioned model takes ``name.v2`` or just
        ``name`` (its latest version).
        """
        __tracebackhide__ = True  # pytest shows the caller's line, not ours
        if not isinstance(model, str) or not MODEL_NAME.fullmatch(model):
            raise DbtCommandError(
                f"model must be the name of a model, seed or snapshot (as in ref()), got {model!r}"
            )
        name, _, version = model.partition(".v")
        ref = f"ref('{name}', v={version})" if version.isdigit() else f"ref('{model}')"
        sql = f"select * from {{{{ {ref} }}}}"
        if where:
            sql += f" where {where}"
        try:
            return self.show(inline=sql, limit=limit, simulation_year=simulation_year, dbt_vars=dbt_vars)
        except DbtError as exc:
            if re.search(r"not found|parsing inline", exc.dbt_message, re.I):
                raise DbtCommandError(
                    f"no model, seed or snapshot named {model!r} in project {self.info.name} "
                    "(or it is disabled): `dbt ls --resource-type model --resource-type seed` lists them"
                ) from None
            raise

    def disabled_names(self) -> list[str]:
        """Names of nodes disabled by ``enabled: false`` (known after a parse or a listing)."""
        return disabled_names(self.executor.manifest(), self.artifacts_path)

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


def split_result(combined: DbtResult, name: str) -> DbtResult:
    """The part of a multi-model result that concerns model ``name``."""
    nodes = [n for n in combined.nodes if n.name == name or n.unique_id == name]
    # Hooks ran for every model of the invocation: each part carries them (and their failure).
    failed = [n for n in (*nodes, *combined.hooks) if n.failed]
    error = None
    if failed:
        error = error_for(pick_kind(n.error_class or "unknown" for n in failed), failed[0].message or "",
                          nodes=failed)
    elif not nodes and combined.error is not None:
        error = combined.error
    part = DbtResult(
        success=error is None,
        stdout=combined.stdout,
        stderr=combined.stderr,
        execution_time=sum(n.execution_time for n in nodes) if nodes else combined.execution_time,
        return_code=0 if error is None else 1,
        command=combined.command,
        nodes=nodes,
        error=error,
        attempts=combined.attempts,
        invocation_id=combined.invocation_id,
        log_path=combined.log_path,
        hooks=list(combined.hooks),
    )
    if error is not None:
        error.result = part
    return part


# Commands that must select something: an empty selection here is a mistake, not a success.
MUST_SELECT = frozenset({"build", "run", "seed", "snapshot", "test", "clone"})


def classify_invocation(inv: Invocation, nodes: Sequence[NodeResult]) -> DbtError | None:
    """The DbtError for an invocation (from its node results first), or None on success."""
    failed = [n for n in nodes if n.failed]
    if inv.timed_out:
        return DbtTimeoutError(inv.fatal or "timed out", nodes=failed)
    if inv.cancelled:
        return DbtError(
            inv.fatal or "the dbt run was cancelled", nodes=failed,
            fix="the run was stopped on request (Ctrl+C, pytest -x); run it again to finish",
        )
    if failed:
        kind = pick_kind(n.error_class or "unknown" for n in failed)
        first = next((n for n in failed if n.error_class == kind), failed[0])
        message = first.message or ""
        if first.ephemeral_parent:
            # dbt reports no result for an ephemeral model: its error lives in the log lines
            # and in the "skipped" results of the nodes that inline it.
            message = failure_block(inv.lines, first.ephemeral_parent.split(".")[-1]) or message
        return error_for(kind, message, nodes=[first, *(n for n in failed if n is not first)])
    if inv.fatal:
        return error_for(classify_message(inv.fatal), inv.fatal)
    if inv.return_code != 0:
        return error_for("unknown", "\n".join(inv.lines[-10:]) or f"dbt exited with {inv.return_code}")
    if inv.no_nodes and inv.command.subcommand in MUST_SELECT and all(n.is_hook for n in nodes):
        selection = " ".join(_selection_of(inv.command.argv)) or "(none)"
        return DbtSelectionError(
            f"the selection {selection} matches no enabled dbt node, so dbt ran nothing",
            fix="check the names and selectors (`dbt ls --select ...` lists what a selection "
            "means); a node with `enabled: false` is never selected",
        )
    return None


def _selection_of(argv: Sequence[str]) -> list[str]:
    """The selection flags and their values in an argv."""
    out: list[str] = []
    taking = False
    for arg in argv:
        if arg.split("=", 1)[0] in ("--select", "-s", "--models", "-m", "--exclude", "--selector"):
            out.append(arg)
            taking = "=" not in arg
        elif taking and not arg.startswith("-"):
            out.append(arg)
        else:
            taking = False
    return out


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _validate_timeout(timeout: float | None) -> float | None:
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise DbtConfigError(f"timeout must be a number of seconds > 0 (or None), got {timeout!r}")
    return float(timeout)
