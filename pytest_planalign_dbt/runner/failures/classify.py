"""Which kind of failure: from a node's status and dbt's message, or from the CLI's text.

The runner classifies from dbt's structured results (a node's status, then the kind named on
the first line of its message); ``classify_dbt_error`` is the text-only fallback kept from the
orchestrator, fixed to read both streams.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .. import adapters
from .errors import ERROR_CLASSES, DbtError
from .kinds import EPHEMERAL_ERROR, SEVERITY, Kind, Status

# The kinds dbt's messages name, tried in this order.
KIND_PATTERNS: tuple[tuple[Kind, tuple[re.Pattern[str], ...]], ...] = (
    (Kind.COMPILATION, tuple(re.compile(p) for p in (
        r"Compilation Error",
        r"Parsing Error",
        r"depends on a node named",
        r"Syntax error in Jinja|jinja2\.exceptions",
        r"dbt found \d+ resource|was not found",
    ))),
    (Kind.EXECUTION, (re.compile(r"Database Error"), re.compile(r"Runtime Error"))),
    (Kind.DATA_QUALITY, (re.compile(r"Failure in test"), re.compile(r"Got \d+ results?, configured to fail"))),
)
_INTERESTING = re.compile(r"Error|error:|Failure|Got \d+ result|lock")


def is_transient_message(message: str) -> bool:
    """True when dbt's message says the database was busy or unreachable (retryable)."""
    return adapters.is_transient(message)


def _named_kind(text: str) -> Kind | None:
    """The first kind whose patterns match ``text``."""
    return next((kind for kind, patterns in KIND_PATTERNS if any(p.search(text) for p in patterns)), None)


def classify_message(message: str) -> Kind:
    """The kind of failure a dbt message describes (transient wins: it is retryable).

    The first line names the kind when dbt wrote it ("Compilation Error in model x"); a
    message whose first line names none is read whole.
    """
    if is_transient_message(message):
        return Kind.TRANSIENT
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    if len(lines) > 1 and lines[0] == "Runtime Error":  # dbt's wrapper of a task's own error
        lines = lines[1:]
    first = lines[0] if lines else ""
    return _named_kind(first) or _named_kind(message) or Kind.UNKNOWN


def classify_node(status: str, message: str | None, resource_type: str = "") -> Kind | None:
    """The kind of one node's failure, or None when it did not fail."""
    if status == Status.FAIL:
        return Kind.UNIT_TEST if resource_type == "unit_test" else Kind.DATA_QUALITY
    if status == Status.SKIPPED and EPHEMERAL_ERROR.search(message or ""):
        return Kind.COMPILATION  # dbt's "ERROR SKIP": the run fails
    if status in (Status.ERROR, Status.RUNTIME_ERROR, Status.PARTIAL_SUCCESS):
        kind = classify_message(message or "")
        # A node error that names no kind still happened while running the node.
        return Kind.EXECUTION if kind in (Kind.UNKNOWN, Kind.DATA_QUALITY) else kind
    return None


def pick_kind(kinds: Iterable[str | None]) -> Kind:
    """The most severe of several kinds (SEVERITY's order)."""
    present = {Kind.of(k) for k in kinds}
    return next((k for k in SEVERITY if k in present), Kind.UNKNOWN)


def classify_dbt_error(stdout: str, stderr: str, return_code: int) -> DbtError | None:
    """Text fallback: classify a finished dbt CLI run from both of its streams.

    Returns None for return code 0. dbt writes its errors to stdout, so both
    streams are read; the runner itself classifies from structured results.
    """
    if return_code == 0:
        return None
    text = "\n".join(part for part in (stdout, stderr) if part)
    kind = Kind.TRANSIENT if is_transient_message(text) else _named_kind(text) or Kind.UNKNOWN
    keep = [line.strip() for line in text.splitlines() if _INTERESTING.search(line)]
    message = "\n".join(keep[:20]) or f"dbt exited with code {return_code}"
    return ERROR_CLASSES[kind](message)
