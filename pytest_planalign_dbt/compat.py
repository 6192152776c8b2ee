"""Migration aid: the orchestrator's ``run_dbt_command`` on top of DbtRunner.

    # before
    from planalign_orchestrator.dbt_runner import DbtRunner
    # after
    from pytest_planalign_dbt.compat import DbtRunner, run_dbt_command
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .runner import (  # noqa: F401  (re-exported under the orchestrator's names)
    DbtCompilationError,
    DbtDataQualityError,
    DbtError,
    DbtExecutionError,
    DbtResult,
    DbtRunner,
    DbtTransientError,
    classify_dbt_error,
    retry_with_backoff,
)

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
