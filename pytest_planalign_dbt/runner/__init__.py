"""The dbt runner core: no pytest here, usable from scripts and orchestrators."""

from __future__ import annotations

from .command import DbtCommand, make_command
from .errors import (
    DbtCommandError,
    DbtCompilationError,
    DbtConfigError,
    DbtDataQualityError,
    DbtError,
    DbtExecutionError,
    DbtSelectionError,
    DbtTimeoutError,
    DbtTransientError,
    DbtUnitTestError,
    classify_dbt_error,
)
from .events import ProgressEvent
from .results import DbtResult, NodeResult
from .retry import RetryPolicy, retry_with_backoff
from .runner import DbtRunner

__all__ = [
    "DbtCommand", "DbtCommandError", "DbtCompilationError", "DbtConfigError", "DbtDataQualityError",
    "DbtError", "DbtExecutionError", "DbtResult", "DbtSelectionError", "DbtRunner", "DbtTimeoutError", "DbtTransientError", "DbtUnitTestError",
    "NodeResult", "ProgressEvent", "RetryPolicy", "make_command", "classify_dbt_error",
    "retry_with_backoff",
]
