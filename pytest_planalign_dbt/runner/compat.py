"""Migration aid: the PlanAlign orchestrator's runner, as a drop-in on top of DbtRunner.

    # before
    from planalign_orchestrator.dbt_runner import DbtRunner
    # after
    from pytest_planalign_dbt.compat import DbtRunner, run_dbt_command

``compat.DbtRunner`` takes the orchestrator's constructor (``working_dir``, ``threads``,
``executable``, ``verbose``, ``database_path``, ``threading_enabled``, ``threading_mode``,
``db_manager``, ``project_dir``, ``dbt_artifacts_dir``, the model-parallelization keywords)
and methods (``set_schedule_context``, ``update_thread_count``, ``execute_command(...,
log_performance=)``, ``run_models_by_tag``, ``execute_command_with_threads``) with their
meaning, and runs dbt in-process: the parse is reused between calls.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from . import (  # noqa: F401  (re-exported under the orchestrator's names)
    DbtCompilationError,
    DbtDataQualityError,
    DbtError,
    DbtExecutionError,
    DbtResult,
    DbtTransientError,
    classify_dbt_error,
    retry_with_backoff,
)
from .command import validate_threads
from .executors.subprocess import default_dbt_executable
from .failures.errors import DbtCommandError, DbtSelectionError
from .runner import DbtRunner as CoreRunner

log = logging.getLogger(__name__)
# The orchestrator's profile reads its DuckDB path from this env var (env_var('DATABASE_PATH')).
DATABASE_PATH_ENV = "DATABASE_PATH"
# The workflow stages the orchestrator's runner ran by their tag.
STAGE_TAGS = frozenset({"EVENT_GENERATION", "STATE_ACCUMULATION", "VALIDATION", "FOUNDATION", "REPORTING"})
NO_ENGINE = ("no model-level engine here: one dbt invocation runs a stage's independent models "
             "in parallel on dbt's threads")


class DbtRunner(CoreRunner):
    """The orchestrator's DbtRunner: its keywords and methods, dbt in-process underneath."""

    def __init__(
        self,
        working_dir: Path | str = Path("dbt"),
        threads: int = 1,
        executable: str = "dbt",
        *,
        verbose: bool = False,
        database_path: str | Path | None = None,
        threading_enabled: bool = True,
        threading_mode: str = "selective",
        db_manager: Any = None,
        project_dir: Path | str | None = None,
        dbt_artifacts_dir: Path | str | None = None,
        enable_model_parallelization: bool = False,
        model_parallelization_max_workers: int = 4,
        model_parallelization_memory_limit_mb: float = 4000.0,
        **kwargs: Any,
    ) -> None:
        project = Path(project_dir if project_dir is not None else working_dir)
        if database_path is not None:
            # As the old runner did for its subprocess, but absolute: dbt runs in this process.
            os.environ[DATABASE_PATH_ENV] = str(Path(database_path).expanduser().absolute())
        if executable not in ("dbt", default_dbt_executable()):
            # A specific dbt binary only a subprocess can run.
            kwargs.setdefault("executor", "subprocess")
            kwargs.setdefault("dbt_executable", executable)
        # The orchestrator's "streaming" handed lines to on_line and printed nothing: dbt's
        # output is printed only when verbose (or stream_default=True) asks for it.
        self.stream_default = bool(kwargs.pop("stream_default", verbose))
        artifacts = Path(dbt_artifacts_dir).absolute() if dbt_artifacts_dir is not None else None
        self.dbt_artifacts_dir = artifacts
        super().__init__(
            project, threads=threads if threading_enabled else 1,
            target_path=artifacts / "target" if artifacts is not None else None,
            log_path=artifacts / "logs" if artifacts is not None else None, **kwargs,
        )
        self.executable = executable
        self.verbose = verbose
        self.database_path = database_path
        self.threading_enabled = threading_enabled
        self.threading_mode = threading_mode
        self.db_manager = db_manager
        # Model-level parallelization was the orchestrator's own engine; dbt's threads do it here.
        self.enable_model_parallelization = enable_model_parallelization
        self.model_parallelization_max_workers = model_parallelization_max_workers
        self.model_parallelization_memory_limit_mb = model_parallelization_memory_limit_mb
        self.stage: str | None = None
        self.year: int | None = None
        self._work_schedule: Any = None  # the orchestrator's WorkSchedule: its run record
        self._schedule_runner_kind = "dbt"
        if verbose:
            logging.getLogger("pytest_planalign_dbt").setLevel(logging.INFO)

    @property
    def working_dir(self) -> Path:
        """The dbt project dir (the orchestrator's name)."""
        return self.project_dir

    @property
    def target_path(self) -> Path:
        """Where dbt writes its artifacts (``dbt_artifacts_dir``, else the project's target/)."""
        info = getattr(self, "info", None)  # None while the core constructor is still running
        return self._artifacts_dir or (info.target_path if info is not None else None)  # type: ignore[return-value]

    @target_path.setter
    def target_path(self, value: Path | None) -> None:
        self._artifacts_dir = value

    @property
    def log_path(self) -> Path:
        """Where dbt writes dbt.log (``dbt_artifacts_dir/logs``, else the project's logs/)."""
        info = getattr(self, "info", None)  # None while the core constructor is still running
        return self._log_dir or (info.layout.log_path if info is not None else None)  # type: ignore[return-value]

    @log_path.setter
    def log_path(self, value: Path | None) -> None:
        self._log_dir = value

    def configure_work_schedule(self, schedule: Any, *, runner_kind: str = "dbt") -> None:
        """Attach the orchestrator's run record: every call is recorded in it, as its runner did."""
        self._work_schedule = schedule
        self._schedule_runner_kind = runner_kind

    def set_schedule_context(self, stage: str | None = None, year: int | None = None) -> None:
        """The stage and year of the calls that follow (they label the log lines)."""
        self.stage, self.year = stage, year

    def update_thread_count(self, new_thread_count: int) -> None:
        self.threads = validate_threads(new_thread_count)

    def get_thread_utilization_info(self) -> dict[str, Any]:
        return {
            "thread_count": self.threads, "threading_enabled": self.threading_enabled,
            "threading_mode": self.threading_mode, "single_threaded_fallback": self.threads == 1,
        }

    def execute_command(
        self, command_args: Sequence[str] | str, description: str = "Running dbt command",
        simulation_year: int | None = None, dbt_vars: Mapping[str, Any] | None = None,
        stream_output: bool | None = None, on_line: Any = None, *, log_performance: bool = True,
        **kwargs: Any,
    ) -> DbtResult:
        """The orchestrator's call: closes its own DuckDB connections first, as it did."""
        __tracebackhide__ = True
        self._record_schedule(command_args, simulation_year)
        self._close_foreign_connections()
        if self.stage or self.year:
            description = f"[{self.stage or '-'} {self.year or '-'}] {description}"
        # The orchestrator's stream_output chose how its subprocess ran; neither printed.
        stream = self.stream_default if stream_output is None else (stream_output and self.stream_default)
        raise_on_error = kwargs.pop("raise_on_error", kwargs.get("retry", True))
        result = super().execute_command(command_args, description, simulation_year, dbt_vars, stream, on_line,
                                         raise_on_error=False, **kwargs)
        if isinstance(result.error, DbtSelectionError):
            # The orchestrator's runner: a selection that matches nothing is dbt's exit 0.
            log.warning("%s: %s", description, result.error.dbt_message)
            result = dataclasses.replace(result, success=True, return_code=0, error=None)
        if not result.success and raise_on_error and result.error is not None:
            raise result.error
        if log_performance:
            log.info("%s: %.1fs with %s thread(s)", description, result.execution_time, self.threads)
        return result

    def _record_schedule(self, command_args: Sequence[str] | str, simulation_year: int | None) -> None:
        """The call in the orchestrator's work schedule, when it keeps one."""
        if self._work_schedule is None:
            return
        args = command_args.split() if isinstance(command_args, str) else command_args
        self._work_schedule.record(
            command=" ".join(str(a) for a in args), stage=self.stage,
            year=simulation_year if simulation_year is not None else self.year,
            runner_kind=self._schedule_runner_kind)

    def execute_command_with_threads(self, command_args: Sequence[str], threads: int, **kwargs: Any) -> DbtResult:
        return self.execute_command(command_args, threads=threads, **kwargs)

    def run_models_by_tag(
        self, tag: str, simulation_year: int | None = None, threads: int | None = None, **kwargs: Any
    ) -> DbtResult:
        """``dbt run --select tag:<tag>`` (the orchestrator's per-stage call)."""
        if not isinstance(tag, str) or not tag.strip():
            raise DbtCommandError(f"tag must be a non-empty string, got {tag!r}")
        kwargs.setdefault("description", f"Running models tagged {tag}")
        return self.execute_command(["run", "--select", f"tag:{tag}"], simulation_year=simulation_year,
                                    threads=threads, **kwargs)

    def run_stage_models(self, stage: str, simulation_year: int, threads: int | None = None,
                         **kwargs: Any) -> list[DbtResult]:
        """One call per workflow stage, as the orchestrator's runner mapped them: the tagged
        stages by tag, INITIALIZATION as ``staging.*``, REPORTING as ``tag:REPORTING``, any other
        name as a tag."""
        if stage == "INITIALIZATION":
            return [self.execute_command(["run", "--select", "staging.*"], simulation_year=simulation_year,
                                         threads=threads, **kwargs)]
        if stage not in STAGE_TAGS:
            log.warning("unknown stage %r: running it as a tag", stage)
        return [self.run_models_by_tag(stage, simulation_year, threads=threads, **kwargs)]

    def run_models_with_smart_parallelization(
        self, models: Sequence[str], *, stage_name: str = "unknown", simulation_year: int,
        dbt_vars: Mapping[str, Any] | None = None, enable_conditional_parallelization: bool = False,
        execution_id: str | None = None,
    ) -> dict[str, Any]:
        """The models of a stage in one dbt invocation (dbt's threads run the independent ones
        at once), answered in the shape of the orchestrator's sequential fallback."""
        started = time.monotonic()
        results = self.run_models(list(models), parallel=True, simulation_year=simulation_year,
                                  dbt_vars=dict(dbt_vars or {}), retry=False, raise_on_error=False)
        by_model = dict(zip(models, results))
        errors = [f"Model {m} failed with code {r.return_code}" for m, r in by_model.items() if not r.success]
        return {"success": not errors, "model_results": by_model, "execution_time": time.monotonic() - started,
                "parallelism_achieved": self.threads or 1, "resource_usage": {}, "errors": errors}

    def get_parallelization_info(self) -> dict[str, Any]:
        """No model-level engine of its own: dbt's threads parallelise within one invocation."""
        return {"available": False, "reason": NO_ENGINE, "fallback_mode": "dbt threads",
                "configuration": {"max_workers": self.model_parallelization_max_workers,
                                  "memory_limit_mb": self.model_parallelization_memory_limit_mb,
                                  "threading_mode": self.threading_mode, "dbt_threads": self.threads}}

    def validate_stage_for_parallelization(self, stage_models: Sequence[str]) -> dict[str, Any]:
        return {"parallelizable": False, "reason": NO_ENGINE}

    def enable_parallelization(self, max_workers: int | None = None, memory_limit_mb: float | None = None) -> bool:
        """False, as the orchestrator's runner answered without its engine: dbt's threads do it."""
        if max_workers is not None:
            self.model_parallelization_max_workers = max_workers
        if memory_limit_mb is not None:
            self.model_parallelization_memory_limit_mb = memory_limit_mb
        log.warning("model-level parallelization: %s", NO_ENGINE)
        return False

    def disable_parallelization(self) -> None:
        self.enable_model_parallelization = False

    def _close_foreign_connections(self) -> None:
        """The orchestrator's own DuckDB connections share this process's DuckDB instance (and
        its settings, e.g. external access disabled): close them before dbt runs."""
        if self.db_manager is None:
            return
        try:
            self.db_manager.close_all()
        except Exception as exc:  # the old runner went on too; say so
            log.warning("could not close the orchestrator's DuckDB connections (db_manager.close_all): %s; "
                        "a connection left open in this process can make dbt fail on that database file", exc)

_RUNNERS: dict[Path, DbtRunner] = {}


def _runner_for(working_dir: Path | str) -> DbtRunner:
    """One runner per project dir, so the parsed manifest is reused across calls."""
    key = Path(working_dir).resolve()
    if key not in _RUNNERS:
        _RUNNERS[key] = DbtRunner(key)
    return _RUNNERS[key]


def run_dbt_command(
    command_args: Sequence[str],
    description: str = "Running dbt command",
    simulation_year: int | None = None,
    dbt_vars: Mapping[str, Any] | None = None,
    *,
    working_dir: Path | str = Path("dbt"),
    runner: DbtRunner | None = None,
) -> bool:
    """Run a dbt command; print a short status line; return True on success.

    The old semantics: no exception for a dbt failure (the status line says what
    failed, classified from dbt's structured results). Bad input (an unknown
    subcommand, non-JSON vars) still raises ValueError before dbt starts.
    """
    runner = runner or _runner_for(working_dir)
    year = f" (year {simulation_year})" if simulation_year is not None else ""
    print(f"{description}{year}...", flush=True)
    result = runner.execute_command(
        command_args, description=description, simulation_year=simulation_year,
        dbt_vars=dbt_vars, stream_output=False, retry=True, raise_on_error=False,
    )
    if result.success:
        print(f"  ok: {description} in {result.execution_time:.1f}s", flush=True)
        return True
    error = result.error
    first = str(error).splitlines()[0] if error else f"dbt exited with {result.return_code}"
    print(f"  FAILED: {description}: {first}", file=sys.stderr, flush=True)
    if error is not None:
        print(f"  fix: {error.fix}", file=sys.stderr, flush=True)
    return False


__all__ = [
    "DATABASE_PATH_ENV", "DbtCompilationError", "DbtDataQualityError", "DbtError", "DbtExecutionError",
    "DbtResult", "DbtRunner", "DbtTransientError", "classify_dbt_error", "retry_with_backoff",
    "run_dbt_command",
]
