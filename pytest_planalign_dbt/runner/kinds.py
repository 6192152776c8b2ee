"""The failure kinds: one word each, one label each, used by errors, items, JUnit and the summary."""

from __future__ import annotations

import re

COMPILATION = "compilation"
EXECUTION = "execution"
DATA_QUALITY = "data_quality"
UNIT_TEST = "unit_test"
TRANSIENT = "transient"
TIMEOUT = "timeout"
UNKNOWN = "unknown"

# dbt's message on a node it skipped because an ephemeral model it inlines did not compile
# ("ERROR SKIP" in its log): a compilation failure, and the run fails.
EPHEMERAL_ERROR = re.compile(r"caused by compilation error in referenced ephemeral model (?P<model>\S+)")

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
