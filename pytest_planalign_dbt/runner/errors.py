"""The DbtError tree, failure classification and the fix to suggest.

Classification reads dbt's structured results (node status and the kind named
on the first line of dbt's message); ``classify_dbt_error`` is the text-only
fallback kept from the orchestrator, fixed to read both streams.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .results import DbtResult, NodeResult

COMPILATION = "compilation"
EXECUTION = "execution"
DATA_QUALITY = "data_quality"
UNIT_TEST = "unit_test"
TRANSIENT = "transient"
TIMEOUT = "timeout"
UNKNOWN = "unknown"

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
_LOCK_HOLDER = re.compile(
    r'Could not set lock on file "(?P<file>[^"]+)": Conflicting lock is held in (?P<exe>.+?) '
    r"\(PID (?P<pid>\d+)\)"
)
_MISSING_REF = re.compile(r"depends on a node named '(?P<name>[^']+)'")


# One label per failure kind, used by errors, items, JUnit and the summary alike.
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
    if status == "skipped" and "compilation error in referenced ephemeral model" in (message or ""):
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


_CSV_SETTING = re.compile(r"^\s+[a-z_]+ = ")
_SEED_TYPES = re.compile(r"CSV Error|Could not convert string .* to|column_types|Sniffed type", re.I)
_CONTRACT = re.compile(r"enforced contract|contract.*(did not match|failed)", re.I)
_UNKNOWN_FLAG = re.compile(r"No such option: (?P<flag>\S+)|no such option: (?P<flag2>\S+)")
_HOOK_NAME = re.compile(r"(?P<pkg>[\w-]+)-(?P<type>on-run-(?:start|end))-(?P<index>\d+)")


def trim_message(message: str, limit: int = 25) -> list[str]:
    """dbt's message as lines worth reading: reader settings dropped, long ones cut.

    DuckDB's CSV errors append ~15 lines of reader settings (``delimiter = ,``...)
    before the lines that say what went wrong (column, set type, sniffed type):
    those settings are dropped so the useful lines survive the cut.
    """
    lines = [line.rstrip() for line in message.strip().splitlines()]
    kept: list[str] = []
    for line in lines:
        if _CSV_SETTING.match(line) or (not line.strip() and kept and not kept[-1].strip()):
            continue
        kept.append(line)
    while kept and not kept[-1].strip():
        kept.pop()
    if len(kept) > limit:
        more = len(kept) - (limit - 1)
        kept = [*kept[: limit - 1], f"... ({more} more line(s) in the dbt log)"]
    return kept


def suggest_fix(
    kind: str, message: str, compiled_path: str | None = None, resource_type: str | None = None,
    name: str | None = None,
) -> str:
    """A plain-words next step for a failure, right for its node type."""
    lock = _LOCK_HOLDER.search(message)
    if lock:
        return (
            f"another process (PID {lock['pid']}, {lock['exe']}) holds the DuckDB file "
            f"{lock['file']}: close that process (or `kill {lock['pid']}` if it is stale), "
            "or point the profile's path at another database file"
        )
    missing = _MISSING_REF.search(message)
    if missing:
        return (
            f"check the name in ref('{missing['name']}') against your models, seeds and "
            "snapshots; if it comes from a package, run `dbt deps`"
        )
    flag = _UNKNOWN_FLAG.search(message)
    if flag:
        return (
            f"remove or correct {flag['flag'] or flag['flag2']}: `dbt <command> --help` lists the "
            "flags dbt accepts"
        )
    if re.search(r"Could not find profile named", message):
        return "check `profile:` in dbt_project.yml against profiles.yml, and the profiles dir in use"
    if re.search(r"does not have a target named", message):
        return "pick a target that exists in profiles.yml (target=... / --dbt-target)"
    if re.search(r"dbt_project\.yml", message) and re.search(r"not found|No dbt_project", message):
        return "point the runner at the directory that holds dbt_project.yml"
    if re.search(r"dbt found \d+ package\(s\) specified in packages\.yml", message) or re.search(
        r"run \W?dbt deps", message, re.I
    ):
        return "install the project's packages with `dbt deps` (in the project dir), then run again"
    if kind == TRANSIENT:
        return "the database was busy or unreachable: retry, and check that the server is up"
    if kind == TIMEOUT:
        return "raise the timeout, or find the slow node in the dbt log and speed it up"
    what = f" {name}" if name else ""
    if resource_type == "operation":
        hook = _HOOK_NAME.search(name or message)
        where = (
            f"{hook['type']} hook #{hook['index']} in the dbt_project.yml of {hook['pkg']}"
            if hook else "the hook or macro in dbt's message"
        )
        return f"fix {where} (run its compiled SQL to reproduce); hooks run with every dbt build, run and seed"
    if resource_type == "seed":
        if _SEED_TYPES.search(message):
            return (
                f"the CSV of seed{what} does not fit the seed's column_types: fix the values in "
                "the CSV, or the `column_types` in the seed's config; `dbt seed --select"
                f"{what or ' <seed>'}` reproduces it"
            )
        return f"check the CSV file of seed{what} and the seed's config; `dbt seed --select{what or ' <seed>'}` reproduces it"
    ephemeral = re.search(r"referenced ephemeral model \S+\.(?P<name>[^.\s]+)\b", message)
    if kind == COMPILATION and ephemeral:
        return (
            f"fix ephemeral model {ephemeral['name']} (dbt inlines it into{what or ' this node'}; its "
            f"error is above); `dbt compile --select{what or ' <node>'}` reproduces it"
        )
    if kind == COMPILATION and _CONTRACT.search(message):
        return (
            f"make the columns and data types of model{what} match its contract in YAML (or "
            f"change the contract); `dbt run --select{what or ' <model>'}` reproduces it"
        )
    if resource_type == "source" or re.search(r"freshness", message, re.I):
        return (
            "the source's newest row is older than its `freshness:` threshold (or its "
            "loaded_at_field cannot be read): load fresh data, or relax the threshold; "
            "`dbt source freshness` reproduces it"
        )
    if resource_type == "snapshot" and kind in (EXECUTION, UNKNOWN):
        sql = "the compiled SQL" if compiled_path else "the snapshot's SQL"
        return (
            f"run {sql} against the database to reproduce, then fix the snapshot's query or its "
            "unique_key / strategy config"
        )
    if kind == COMPILATION:
        if re.search(r"Parsing Error|Syntax error|while parsing|Invalid .*yml", message, re.I):
            return "fix the Jinja or YAML named in dbt's message; `dbt parse` reproduces it"
        return (
            f"fix the Jinja, ref/source or config named in dbt's message; `dbt compile --select"
            f"{what or ' <node>'}` reproduces it"
        )
    if kind == EXECUTION:
        sql = "the compiled SQL" if compiled_path else "the node's SQL"
        noun = resource_type.replace("_", " ") if resource_type else "model"
        return f"run {sql} against the database to reproduce, then fix the {noun}"
    if kind == UNIT_TEST:
        return (
            "compare the expected and actual rows; fix the model's logic, or the unit test's "
            "expectation if the logic changed on purpose"
        )
    if kind == DATA_QUALITY:
        return "query the failing rows with the test's compiled SQL, then fix the data or the test"
    return "read dbt's message above and the dbt log (logs/dbt.log) for the cause"


def error_for(
    kind: str,
    message: str,
    *,
    nodes: Sequence[NodeResult] = (),
    result: DbtResult | None = None,
) -> DbtError:
    return ERROR_CLASSES.get(kind, DbtError)(message, nodes=nodes, result=result)
