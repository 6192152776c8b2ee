"""The PlanAlign orchestrator's drop-in, at the import path its users know.

It lives beside the runner core (``runner/compat.py``: no pytest in it); this module names it.
"""

from __future__ import annotations

from .runner import (  # noqa: F401  (the orchestrator's names)
    DbtCompilationError,
    DbtDataQualityError,
    DbtError,
    DbtExecutionError,
    DbtResult,
    DbtTransientError,
    classify_dbt_error,
    compat,
    retry_with_backoff,
)

DATABASE_PATH_ENV = compat.DATABASE_PATH_ENV
DbtRunner = compat.DbtRunner
run_dbt_command = compat.run_dbt_command

__all__ = list(compat.__all__)
