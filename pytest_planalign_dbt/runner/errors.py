"""The DbtError tree and failure classification (the fix to suggest lives in fixes.py).

Classification reads dbt's structured results (node status and the kind named
on the first line of dbt's message); ``classify_dbt_error`` is the text-only
fallback kept from the orchestrator, fixed to read both streams.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from .fixes import suggest_fix, trim_message
from .kinds import (  # noqa: F401  (the kinds are part of this module's public names)
    COMPILATION,
    DATA_QUALITY,
    EPHEMERAL_ERROR,
    EXECUTION,
    LABELS,
    TIMEOUT,
    TRANSIENT,
    UNIT_TEST,
    UNKNOWN,
    label,
)

if TYPE_CHECKING:
    from .results import DbtResult, NodeResult

# A DuckDB file held by another process; dropped or refused server connections.
_TRANSIENT_PATTERNS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"Could not set lock on file",
        r"Conflicting lock is held",
        r"connection refused",
        r"could not connect to server",
        r"connection to server .* failed",
        r"server closed the connection unexpectedly",
        r"terminating connection due to administrator command",
        r"connection (was )?reset",
        r"connection already closed",
        r"SSL SYSCALL error",
        r"the database system is (starting up|shutting down|in recovery mode)",
        r"too many (connections|clients)",
        r"deadlock detected",
    )
]
_COMPILATION_PATTERNS = [
    re.compile(p)
    for p in (
        r"Compilation Error",
        r"Parsing Error",
        r"depends on a node named",
        r"Syntax error in Jinja|jinja2\.exceptions",
        r"dbt found \d+ resource|was not found",
    )
]
_EXECUTION_PATTERNS = [re.compile(p) for p in (r"Database Error", r"Runtime Error")]
_DATA_QUALITY_PATTERNS = [
    re.compile(p) for p in (r"Failure in test", r"Got \d+ results?, configured to fail")
]
class DbtCommandError(ValueError):
    """Bad input to the runner, refused before dbt starts (a ValueError)."""


class DbtConfigError(ValueError):
    """A runner setting (project dir, profiles dir, executor...) is unusable."""


class DbtError(Exception):
    """A dbt invocation failed; carries the failing nodes, dbt's message and the fix."""

    kind = UNKNOWN

    def __init__(
        self,
        message: str,
        *,
        nodes: Sequence[NodeResult] = (),
        result: DbtResult | None = None,
        compiled_path: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.dbt_message = message
        self.nodes = list(nodes)
        self.result = result
        self.compiled_path = compiled_path or next(
            (n.compiled_path for n in self.nodes if n.compiled_path), None
        )
        first = self.nodes[0] if self.nodes else None
        self.fix = fix or suggest_fix(
            self.kind, message, self.compiled_path,
            first.resource_type if first else None, first.name if first else None,
        )
        super().__init__(self._render())

    def _render(self) -> str:
        if self.nodes:
            head = f"dbt {label(self.kind)} in {len(self.nodes)} node(s)"
            body = [f"  - {n.describe()}" for n in self.nodes[:10]]
            if len(self.nodes) > 10:
                body.append(f"  ... and {len(self.nodes) - 10} more")
        else:
            head = f"dbt {label(self.kind)}"
            body = [f"  {line}" for line in trim_message(self.dbt_message, 15)]
        lines = [head, *body]
        if self.compiled_path:
            lines.append(f"  compiled SQL: {self.compiled_path}")
        lines.append(f"  fix: {self.fix}")
        return "\n".join(lines)

    @property
    def node_names(self) -> list[str]:
        return [n.name for n in self.nodes]


class DbtCompilationError(DbtError):
    """dbt could not parse or compile a node (Jinja, YAML, a missing ref)."""

    kind = COMPILATION


class DbtExecutionError(DbtError):
    """The database rejected a node's SQL or failed while running it."""

    kind = EXECUTION


class DbtDataQualityError(DbtError):
    """A data test found failing rows (status ``fail``)."""

    kind = DATA_QUALITY


class DbtUnitTestError(DbtError):
    """A dbt unit test's actual rows differ from its expected rows (logic, not data)."""

    kind = UNIT_TEST


class DbtTransientError(DbtError):
    """A failure that may pass on retry: a locked DuckDB file, a dropped connection."""

    kind = TRANSIENT


class DbtTimeoutError(DbtError):
    """The invocation ran past its timeout and was cancelled."""

    kind = TIMEOUT


class DbtSelectionError(DbtError):
    """The selection matched no enabled dbt node, so dbt ran nothing."""

    kind = UNKNOWN


ERROR_CLASSES: dict[str, type[DbtError]] = {
    COMPILATION: DbtCompilationError,
    EXECUTION: DbtExecutionError,
    DATA_QUALITY: DbtDataQualityError,
    UNIT_TEST: DbtUnitTestError,
    TRANSIENT: DbtTransientError,
    TIMEOUT: DbtTimeoutError,
    UNKNOWN: DbtError,
}
# When several nodes fail in different ways, the error raised is the first kind here.
SEVERITY = (COMPILATION, EXECUTION, UNIT_TEST, DATA_QUALITY, TRANSIENT, TIMEOUT, UNKNOWN)


def is_transient_message(message: str) -> bool:
    return any(p.search(message) for p in _TRANSIENT_PATTERNS)


def classify_message(message: str) -> str:
    """The kind of failure a dbt message describes (transient wins: it is retryable)."""
    if is_transient_message(message):
        return TRANSIENT
    first = message.strip().splitlines()[0] if message.strip() else ""
    for kind, patterns in (
        (COMPILATION, _COMPILATION_PATTERNS),
        (EXECUTION, _EXECUTION_PATTERNS),
        (DATA_QUALITY, _DATA_QUALITY_PATTERNS),
    ):
        if any(p.search(first) for p in patterns):
            return kind
    for kind, patterns in (
        (COMPILATION, _COMPILATION_PATTERNS),
        (EXECUTION, _EXECUTION_PATTERNS),
        (DATA_QUALITY, _DATA_QUALITY_PATTERNS),
    ):
        if any(p.search(message) for p in patterns):
            return kind
    return UNKNOWN


def classify_node(status: str, message: str | None, resource_type: str = "") -> str | None:
    """The error class of one node result, or None when it did not fail."""
    if status == "fail":
        return UNIT_TEST if resource_type == "unit_test" else DATA_QUALITY
    if status == "skipped" and EPHEMERAL_ERROR.search(message or ""):
        return COMPILATION  # dbt's "ERROR SKIP": the run fails
    if status in ("error", "runtime error"):
        kind = classify_message(message or "")
        # A node error that names no kind still happened while running the node.
        return EXECUTION if kind in (UNKNOWN, DATA_QUALITY) else kind
    return None


def pick_kind(kinds: Iterable[str]) -> str:
    present = set(kinds)
    return next((k for k in SEVERITY if k in present), UNKNOWN)


def classify_dbt_error(stdout: str, stderr: str, return_code: int) -> DbtError | None:
    """Text fallback: classify a finished dbt CLI run from both of its streams.

    Returns None for return code 0. dbt writes its errors to stdout, so both
    streams are read; the runner itself classifies from structured results.
    """
    if return_code == 0:
        return None
    text = "\n".join(part for part in (stdout, stderr) if part)
    kind = UNKNOWN
    if is_transient_message(text):
        kind = TRANSIENT
    else:
        for candidate, patterns in (
            (COMPILATION, _COMPILATION_PATTERNS),
            (EXECUTION, _EXECUTION_PATTERNS),
            (DATA_QUALITY, _DATA_QUALITY_PATTERNS),
        ):
            if any(p.search(text) for p in patterns):
                kind = candidate
                break
    message = _interesting_lines(text) or f"dbt exited with code {return_code}"
    return ERROR_CLASSES[kind](message)


def _interesting_lines(text: str) -> str:
    keep = [
        line.strip()
        for line in text.splitlines()
        if re.search(r"Error|error:|Failure|Got \d+ result|lock", line)
    ]
    return "\n".join(keep[:20])


def error_for(
    kind: str,
    message: str,
    *,
    nodes: Sequence[NodeResult] = (),
    result: DbtResult | None = None,
) -> DbtError:
    return ERROR_CLASSES.get(kind, DbtError)(message, nodes=nodes, result=result)
