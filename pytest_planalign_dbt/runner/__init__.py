"""The dbt runner core: no pytest here, usable from scripts and orchestrators."""

from __future__ import annotations

from .command import DbtCommand, make_command
from .events import ProgressEvent
from .failures.classify import classify_dbt_error
from .failures.errors import (
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
)
from .failures.kinds import Kind, Status
from .macros import Jinja
from .results import DbtResult, NodeResult
from .retry import RetryPolicy, retry_with_backoff
from .runner import DbtRunner

__all__ = [
    "DbtCommand", "DbtCommandError", "DbtCompilationError", "DbtConfigError", "DbtDataQualityError",
    "DbtError", "DbtExecutionError", "DbtResult", "DbtRunner", "DbtSelectionError", "DbtTimeoutError",
    "DbtTransientError", "DbtUnitTestError", "Jinja", "Kind", "NodeResult", "ProgressEvent", "RetryPolicy", "Status",
    "classify_dbt_error", "make_command", "retry_with_backoff",
]
