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

# What the pytest plugin and its session use of the core, besides the public names above: the
# plugin imports from ``pytest_planalign_dbt.runner`` only, never from a module inside it (the
# house test holds it to that).
from .arguments import call_vars  # noqa: E402
from .command import parse_vars_text, validate_simulation_year, validate_threads, vars_json  # noqa: E402
from .dbt_internals import DBT_LOGGERS  # noqa: E402
from .executors import EXECUTORS  # noqa: E402
from .failures.fixes import fails_on_too_few, suggest_fix  # noqa: E402
from .failures.kinds import FAILED, FINAL_ON_PROGRESS, PASSING, label  # noqa: E402
from .failures.messages import failure_block, render_failure, shorten, trim_message  # noqa: E402
from .files import WriteFailed, atomic_write, digest  # noqa: E402
from .graph import DbtGraph, node_selector  # noqa: E402
from .layout import load_yaml  # noqa: E402
from .parse.unseen_vars import text_files  # noqa: E402
from .parse.yaml_vars import NOT_ARGUMENTS  # noqa: E402
from .profiles import resolve_profiles_dir  # noqa: E402
from .project import ProjectInfo, load_project  # noqa: E402
from .secrets import SECRET_NAME, Redactor, env_secrets, var_secrets  # noqa: E402
from .versions import effective_environ, effective_vars, installed, vars_from_file  # noqa: E402

# The PlanAlign orchestrator's drop-in (``pytest_planalign_dbt.compat`` names it): last, as it
# builds on the names above.
from . import compat  # noqa: E402
