"""pytest-planalign-dbt: run dbt projects from pytest, node by node."""

from __future__ import annotations

from .runner import (
    DbtCommandError,
    DbtCompilationError,
    DbtConfigError,
    DbtDataQualityError,
    DbtError,
    DbtExecutionError,
    DbtResult,
    DbtRunner,
    DbtSelectionError,
    DbtTimeoutError,
    DbtTransientError,
    DbtUnitTestError,
    NodeResult,
    ProgressEvent,
    RetryPolicy,
    classify_dbt_error,
    retry_with_backoff,
)

__version__ = "0.1.0"

__all__ = [
    "DbtCommandError", "DbtCompilationError", "DbtConfigError", "DbtDataQualityError", "DbtError",
    "DbtExecutionError", "DbtResult", "DbtRunner", "DbtSelectionError", "DbtTimeoutError", "DbtTransientError", "DbtUnitTestError",
    "NodeResult", "ProgressEvent", "RetryPolicy", "__version__", "classify_dbt_error",
    "retry_with_backoff",
]
