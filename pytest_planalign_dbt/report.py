"""What dbt reports say: the header, report attributes, the status word, the summary.

The summary reads the one attribute each decisive dbt report carries (``rep.dbt``, a
plain dict that pytest-xdist ships from workers to the controller), so it reads the
same serially and under ``-n``; ``ReportInfo.of(rep)`` reads it back typed.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .items import DbtItem, DbtNodeProblem, DbtRegressionFailure
from .discovery import nothing_selected_line
from .options import DbtSettings, describe
from .runner import (
    Kind,
    Redactor,
    effective_environ,
    env_secrets,
    installed,
    load_project,
    resolve_profiles_dir,
    var_secrets,
)
from .session.render import headline
from .xdist import BUILD_SECONDS_KEY

if TYPE_CHECKING:
    from .collection import DbtCollection
    from .session.build import SessionBuild
    from .session.nodes import NodeOutcome

# How many vars the header lists before it summarises (all of them under -v).
HEADER_VARS = 5
# The report category of data-quality failures (runner.KINDS): listed again after the failures.
DQ_CATEGORY = Kind.DATA_QUALITY.info.category[0]  # type: ignore[index]


@dataclass(frozen=True)
class ReportInfo:
    """What a dbt item's decisive report says of its node (``rep.dbt``)."""

    status: str
    kind: str | None
    hook: bool
    attempts: int
    head: str | None = None
    # For pictures and the HTML report (html_report.py): the node, its direct parents, its time;
    # when it did not pass, dbt's message, its compiled SQL and the failing rows dbt sampled.
    unique_id: str = ""
    parents: tuple[str, ...] | list[str] = ()
    seconds: float = 0.0
    message: str | None = None
    sql: str | None = None
    rows: list[dict[str, Any]] | None = None

    ATTRIBUTE = "dbt"

    @classmethod
    def of(cls, rep: Any) -> ReportInfo | None:
        """The info a report carries, or None for a report that is not a dbt item's decisive one."""
        data = getattr(rep, cls.ATTRIBUTE, None)
        return cls(**data) if isinstance(data, dict) else None

    def put(self, rep: pytest.TestReport) -> None:
        setattr(rep, self.ATTRIBUTE, asdict(self))  # JSON-safe: xdist ships it as it is


REDACT_KEY = pytest.StashKey[Redactor]()


def session_redactor(settings: DbtSettings | None) -> Redactor:
    """Every secret the session knows, by value: the profile's (as written, or read through
    ``env_var()``), secret-looking env vars (the project's ``.env`` too) and vars."""
    if settings is None or settings.project_dir is None:
        return Redactor(env_secrets())
    secrets: list[str] = []
    with contextlib.suppress(ValueError):  # a broken profile is reported where it is used
        profiles = resolve_profiles_dir(settings.profiles_dir, settings.project_dir)
        secrets += load_project(settings.project_dir, profiles).secrets
    environ = effective_environ(settings.project_dir)
    return Redactor([*secrets, *env_secrets(environ), *var_secrets(settings.merged_vars())])


def redact_report(rep: pytest.TestReport, redact: Redactor) -> None:
    """One redaction for everything a report carries to the terminal, JUnit and HTML: its
    failure text, captured sections, the dbt info (message, compiled SQL, rows) and extras."""
    if not redact.secrets:
        return
    longrepr = rep.longrepr
    if isinstance(longrepr, tuple):  # a skip: (path, line, reason)
        rep.longrepr = (longrepr[0], longrepr[1], redact(str(longrepr[2])))
    elif longrepr is not None and redact(str(longrepr)) != str(longrepr):
        rep.longrepr = redact(str(longrepr))  # type: ignore[assignment]
    rep.sections = [(title, redact(content)) for title, content in rep.sections]
    data = getattr(rep, ReportInfo.ATTRIBUTE, None)
    if isinstance(data, dict):
        _redact_info(data, redact)
    for extra in getattr(rep, "extras", None) or []:
        if isinstance(extra, dict) and isinstance(extra.get("content"), str):
            extra["content"] = redact(extra["content"])


def _redact_info(data: dict[str, Any], redact: Redactor) -> None:
    """The dbt info a report carries (``rep.dbt``): its texts and sampled rows, redacted."""
    for key in ("head", "message", "sql"):
        if isinstance(data.get(key), str):
            data[key] = redact(data[key])
    if data.get("rows"):
        data["rows"] = [{k: redact(v) if isinstance(v, str) else v for k, v in row.items()} for row in data["rows"]]


def header(settings: DbtSettings | None, verbose: int = 0, invocation_dir: Path | None = None) -> list[str]:
    """Project, target, adapter, dbt version, and where each setting came from; with a project
    and nothing selected from it, what to type to test its nodes."""
    if settings is None or settings.project_dir is None:
        return []  # a repository without a dbt project hears nothing of dbt
    try:
        profiles = resolve_profiles_dir(settings.profiles_dir, settings.project_dir)
        info = load_project(settings.project_dir, profiles)
        target = settings.target or info.default_target() or "default"
        adapter = info.adapter_type(settings.target)
        name = info.name
    except ValueError as exc:
        return [f"dbt: {exc}"]
    # No adapter type: the target is not in the profile (said by the error that follows), not
    # an adapter missing from this environment.
    driver = f"adapter {adapter} {installed('dbt-' + adapter, 'not installed')}" if adapter else "no such target"
    lines = [
        f"dbt: project {name} ({settings.project_dir}), target {target}, {driver}, "
        f"dbt-core {installed('dbt-core', 'not installed')}",
    ]
    described = describe(settings, max_vars=None if verbose > 0 else HEADER_VARS)
    if described:
        lines.append("dbt settings: " + ", ".join(described))
    if not settings.collects:
        lines.append(nothing_selected_line(settings.project_dir, invocation_dir or Path.cwd()))
    return lines


def register_tag_markers(collection: DbtCollection) -> None:
    """``pytest --markers`` lists the project's dbt tags (one dbt ls; best effort)."""
    try:
        specs = collection.list_specs()
    except Exception:  # a listing problem is reported by the collection itself
        return
    for tag in sorted({t for s in specs for t in s.tags}):
        collection.config.addinivalue_line("markers", f"{tag}: dbt tag {tag}")


def annotate(rep: pytest.TestReport, item: DbtItem, call: pytest.CallInfo[None]) -> None:
    """Give the dbt item's decisive report (the call's, or a setup's that did not pass) its
    node's status, kind, attempts and, when it did not pass, its headline; every report its
    time; render failures short."""
    outcome = item.outcome
    if outcome is None:
        return
    decisive = call.when == "call" or (call.when == "setup" and not rep.passed)
    rep.duration = outcome.execution_time if decisive else 0.0
    if decisive:  # one report per node carries it (xdist ships every report to the controller)
        regression = call.excinfo is not None and isinstance(call.excinfo.value, DbtRegressionFailure)
        report_info(item, outcome, failed=not rep.passed, regression=regression).put(rep)
    if call.excinfo is not None and isinstance(call.excinfo.value, DbtNodeProblem):
        # Setup errors bypass repr_failure: render them the same short way.
        rep.longrepr = call.excinfo.value.render()
    elif rep.skipped and isinstance(rep.longrepr, tuple):
        # Point at the node's line in its file, not at the plugin line that called pytest.skip
        # (pytest keeps that line 1-based: `-rs` prints it as it is).
        line = item.spec.line
        rep.longrepr = (rep.location[0], None if line is None else line + 1, rep.longrepr[2])  # type: ignore[assignment]


def report_info(item: DbtItem, outcome: NodeOutcome, *, failed: bool, regression: bool) -> ReportInfo:
    """What the decisive report says of the node; what went wrong only when it did not pass
    ("regression": built, but not the golden rows)."""
    spec = item.spec
    wrong: dict[str, Any] = {}
    if failed:
        wrong = {"head": headline(spec, outcome), "message": outcome.message or None, "sql": compiled_sql(outcome),
                 "rows": [{k: json_safe(v) for k, v in row.items()} for row in outcome.samples]}
    return ReportInfo(
        status=str(outcome.status), kind="regression" if regression else (str(outcome.kind) if outcome.kind else None),
        hook=spec.is_hook, attempts=outcome.attempts, unique_id=spec.unique_id, parents=list(spec.parents),
        seconds=outcome.execution_time, **wrong,
    )


# The compiled SQL a report carries, at most (a generated query can be long).
SQL_CHARS = 20_000


def compiled_sql(outcome: NodeOutcome) -> str | None:
    """The SQL dbt compiled for the node in this build (None when it compiled none: a compile
    error, a skip): never a file an earlier run or a same-named node left behind."""
    text = outcome.result.compiled_code if outcome.result is not None else None
    if not text:
        return None
    return text if len(text) <= SQL_CHARS else text[:SQL_CHARS] + "\n-- (cut)"


def json_safe(value: Any) -> Any:
    """A sampled row's value as xdist and the HTML report can carry it."""
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)


def teststatus(rep: pytest.TestReport) -> Any:
    """A kind with a report category of its own (data-quality failures) gets its category,
    letter and word (runner.KINDS)."""
    info = ReportInfo.of(rep)
    category = Kind.of(info.kind).info.category if rep.when == "call" and rep.failed and info else None
    if category is None:
        return None
    name, letter, word = category
    return name, letter, (word, {"red": True})


def terminal_summary(terminalreporter: Any, build: SessionBuild | None) -> None:
    """One line for the dbt build, then the data-quality failures pytest does not list."""
    reports = [info for reps in terminalreporter.stats.values() for r in reps
               if (info := ReportInfo.of(r)) is not None]
    problem = build.write_error if build is not None else None
    if problem:
        terminalreporter.write_line(f"dbt: the session fails: {problem}", red=True, bold=True)
    if reports:
        took = build.result.execution_time if build is not None and build.result is not None else None
        if took is None:  # under xdist the build ran on a worker, which sent its time as it ended
            took = terminalreporter.config.stash.get(BUILD_SECONDS_KEY, None)
        terminalreporter.write_sep("-", build_line(reports, took))
    dq = terminalreporter.stats.get(DQ_CATEGORY, [])
    if not dq:
        return
    terminalreporter.write_sep("=", "DATA QUALITY FAILURES")
    for rep in dq:
        terminalreporter.write_sep("_", rep.nodeid)
        terminalreporter.write_line(rep.longreprtext)
    terminalreporter.write_sep("=", "data quality summary")
    for rep in dq:
        info = ReportInfo.of(rep)
        terminalreporter.write_line(f"DQ_FAILED {rep.nodeid} - {info.head if info else ''}")


def build_line(reports: list[ReportInfo], took: float | None) -> str:
    """``dbt build: 36 node(s) and 3 hook(s) in 2.5s: 4 error, 17 success; 1 attempt(s)``."""
    nodes = sum(1 for r in reports if not r.hook)
    hooks = len(reports) - nodes
    counts = ", ".join(f"{n} {s}" for s, n in sorted(Counter(r.status for r in reports).items()))
    attempts = max(r.attempts for r in reports)
    retried = " (transient failures retried)" if attempts > 1 else ""
    hook_words = f" and {hooks} hook(s)" if hooks else ""
    time_words = f" in {took:.1f}s" if took is not None else ""
    return f"dbt build: {nodes} node(s){hook_words}{time_words}: {counts}; {attempts} attempt(s){retried}"
