"""The failure kinds: one word each, one label each, used by errors, items, JUnit and the summary."""

from __future__ import annotations

COMPILATION = "compilation"
EXECUTION = "execution"
DATA_QUALITY = "data_quality"
UNIT_TEST = "unit_test"
TRANSIENT = "transient"
TIMEOUT = "timeout"
UNKNOWN = "unknown"

LABELS = {
    COMPILATION: "compilation error",
    EXECUTION: "execution error",
    DATA_QUALITY: "data quality failure",
    UNIT_TEST: "unit test failure",
    TRANSIENT: "transient failure",
    TIMEOUT: "timeout",
    UNKNOWN: "error",
}


def label(kind: str | None) -> str:
    """The words for a failure kind ("compilation error", "data quality failure"...)."""
    return LABELS.get(kind or UNKNOWN, (kind or UNKNOWN).replace("_", " "))
