"""The words of failure: a Kind for what went wrong, a Status for what dbt said of a node.

Both are ``str`` enums, so they compare equal to dbt's own strings ("fail", "compilation")
and print as them: JUnit properties, the summary and dbt's artifacts read the same words.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


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
        return KINDS[self].label

    @property
    def info(self) -> KindInfo:
        """Everything said of the kind, in one place (KINDS)."""
        return KINDS[self]


@dataclass(frozen=True)
class KindInfo:
    """What a failure kind is wherever it shows: its words, its pytest outcome, its report
    category, its generic fix. Its DbtError subclass names it (errors.py: ``kind = Kind.X``)."""

    label: str
    # A node dbt reports as errored: its item errors at setup ("error", pytest's E: the node
    # could not run) or fails in its call ("failed", F: it ran and the database refused it).
    when_errored: str = "error"
    # A pytest report category of its own for a failed call (category, letter, word), or None.
    category: tuple[str, str, str] | None = None
    # The fix when no rule of the message or the node type says more; ``fix_first``: said
    # before any node-type rule (a seed that timed out is told about the timeout).
    fix: str | None = None
    fix_first: bool = False


# Every kind, in severity order: when several nodes fail in different ways, the error raised is
# the first kind here.
KINDS: dict[Kind, KindInfo] = {
    Kind.COMPILATION: KindInfo("compilation error"),
    Kind.EXECUTION: KindInfo("execution error", when_errored="failed"),
    Kind.UNIT_TEST: KindInfo("unit test failure", when_errored="failed",
                             fix="compare the expected and actual rows; fix the model's logic, or the unit test's "
                                 "expectation if the logic changed on purpose"),
    Kind.DATA_QUALITY: KindInfo("data quality failure", when_errored="failed",
                                category=("dq_failed", "Q", "DQ_FAILED"),
                                fix="query the failing rows with the test's compiled SQL, then fix the data or the test"),
    Kind.TRANSIENT: KindInfo("transient failure", fix_first=True,
                             fix="the database was busy or unreachable: retry, and check that the server is up"),
    Kind.TIMEOUT: KindInfo("timeout", fix_first=True,
                           fix="raise the timeout, or find the slow node in the dbt log and speed it up"),
    Kind.UNKNOWN: KindInfo("error"),
}
SEVERITY = tuple(KINDS)


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
    # A microbatch model some of whose batches failed (dbt 1.9+): dbt counts it as an error
    # (exit 1) and skips its children.
    PARTIAL_SUCCESS = "partial success"
    # A node whose relation was reused, not rebuilt (dbt 1.10+ with state): its work is done.
    REUSED = "reused"
    # Ours: the build ended without a result for the node (it was never reached).
    MISSING = "missing"


FAILED = frozenset({Status.ERROR, Status.FAIL, Status.RUNTIME_ERROR, Status.PARTIAL_SUCCESS})
# The statuses that let a node's item pass (a warning is a pass with a warning). Any other word,
# one dbt adds later included, is never read as a pass.
PASSING = frozenset({Status.SUCCESS, Status.PASS, Status.WARN, Status.NO_OP, Status.REUSED})
# A node's progress event with one of these is its final word (a failure waits for results).
FINAL_ON_PROGRESS = frozenset({Status.SUCCESS, Status.PASS, Status.WARN})

# dbt's message on a node it skipped because an ephemeral model it inlines did not compile
# ("ERROR SKIP" in its log): a compilation failure, and the run fails.
EPHEMERAL_ERROR = re.compile(r"caused by compilation error in referenced ephemeral model (?P<model>\S+)")


def label(kind: str | None) -> str:
    """The words for a failure kind, given as a Kind or its text (None: "error")."""
    return Kind.of(kind).label
