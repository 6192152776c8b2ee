"""The words of failure: a Kind for what went wrong, a Status for what dbt said of a node.

Both are ``str`` enums, so they compare equal to dbt's own strings ("fail", "compilation")
and print as them: JUnit properties, the summary and dbt's artifacts read the same words.
"""

from __future__ import annotations

import enum
import re


class _Words(str, enum.Enum):
    """A str enum that prints as its value (``enum.StrEnum`` is 3.11+; we support 3.10)."""

    def __str__(self) -> str:
        return str(self.value)


class Kind(_Words):
    """What kind of failure: the DbtError subclass, the pytest outcome and the summary line."""

    COMPILATION = "compilation"
    EXECUTION = "execution"
    DATA_QUALITY = "data_quality"
    UNIT_TEST = "unit_test"
    TRANSIENT = "transient"
    TIMEOUT = "timeout"
    UNKNOWN = "unknown"

    @classmethod
    def of(cls, text: str | None) -> Kind:
        """The kind a text names; UNKNOWN for None or a word that is no kind."""
        try:
            return cls(text or cls.UNKNOWN)
        except ValueError:
            return cls.UNKNOWN

    @property
    def label(self) -> str:
        """The words for the kind ("compilation error", "data quality failure"...)."""
        return LABELS[self]


LABELS = {
    Kind.COMPILATION: "compilation error",
    Kind.EXECUTION: "execution error",
    Kind.DATA_QUALITY: "data quality failure",
    Kind.UNIT_TEST: "unit test failure",
    Kind.TRANSIENT: "transient failure",
    Kind.TIMEOUT: "timeout",
    Kind.UNKNOWN: "error",
}

# When several nodes fail in different ways, the error raised is the first kind here.
SEVERITY = (Kind.COMPILATION, Kind.EXECUTION, Kind.UNIT_TEST, Kind.DATA_QUALITY, Kind.TRANSIENT,
            Kind.TIMEOUT, Kind.UNKNOWN)


class Status(_Words):
    """A node's status as dbt reports it (run_results.json's ``status``), plus ours."""

    SUCCESS = "success"
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    ERROR = "error"
    RUNTIME_ERROR = "runtime error"
    SKIPPED = "skipped"
    NO_OP = "no-op"
    # Ours: the build ended without a result for the node (it was never reached).
    MISSING = "missing"


FAILED = frozenset({Status.ERROR, Status.FAIL, Status.RUNTIME_ERROR})
# A node's progress event with one of these is its final word (a failure waits for results).
FINAL_ON_PROGRESS = frozenset({Status.SUCCESS, Status.PASS, Status.WARN})

# dbt's message on a node it skipped because an ephemeral model it inlines did not compile
# ("ERROR SKIP" in its log): a compilation failure, and the run fails.
EPHEMERAL_ERROR = re.compile(r"caused by compilation error in referenced ephemeral model (?P<model>\S+)")


def label(kind: str | None) -> str:
    """The words for a failure kind, given as a Kind or its text (None: "error")."""
    return Kind.of(kind).label
