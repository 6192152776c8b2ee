"""What dbt reports say: the header, report attributes, the status word, the summary.

The summary reads the attributes each dbt report carries (``dbt_status``,
``dbt_kind``...), which pytest-xdist ships from workers to the controller, so it
reads the same serially and under ``-n``.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest

from .items import DbtItem, DbtNodeProblem, DbtRegressionFailure, headline
from .options import DbtSettings, describe
from .runner.project import load_project, resolve_profiles_dir
from .runner.versions import installed

if TYPE_CHECKING:
    from .session.build import SessionBuild
    from .collection import DbtCollection

# The build's wall time, sent by the xdist worker that built (its ``workeroutput``).
BUILD_SECONDS = "planalign_dbt_build_seconds"
BUILD_SECONDS_KEY = pytest.StashKey[float]()
# How many vars the header lists before it summarises (all of them under -v).
HEADER_VARS = 5


def _version(name: str) -> str:
    return installed(name) or "not installed"


def header(settings: DbtSettings | None, verbose: int = 0) -> list[str]:
    """Project, target, adapter, dbt version, and where each setting came from."""
    if settings is None or settings.project_dir is None:
        return ["dbt: no project configured (--dbt-project-dir)"]
    try:
        profiles = resolve_profiles_dir(settings.profiles_dir, settings.project_dir)
        info = load_project(settings.project_dir, profiles)
        target = settings.target or info.default_target() or "default"
        adapter = info.adapter_type(settings.target) or "unknown"
        name = info.name
    except ValueError as exc:
        return [f"dbt: {exc}"]
    lines = [
        f"dbt: project {name} ({settings.project_dir}), target {target}, adapter {adapter} "
        f"{_version('dbt-' + adapter)}, dbt-core {_version('dbt-core')}",
    ]
    described = describe(settings, max_vars=None if verbose > 0 else HEADER_VARS)
    if described:
        lines.append("dbt settings: " + ", ".join(described))
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
        rep.dbt_status = outcome.status  # type: ignore[attr-defined]
        rep.dbt_kind = outcome.kind  # type: ignore[attr-defined]
        rep.dbt_hook = item.spec.is_hook  # type: ignore[attr-defined]
        rep.dbt_attempts = outcome.attempts  # type: ignore[attr-defined]
        if not rep.passed:
            rep.dbt_head = headline(item.spec, outcome)  # type: ignore[attr-defined]
    if call.excinfo is not None and isinstance(call.excinfo.value, DbtRegressionFailure):
        rep.dbt_kind = "regression"  # type: ignore[attr-defined]  # built, but not the golden rows
    if call.excinfo is not None and isinstance(call.excinfo.value, DbtNodeProblem):
        # Setup errors bypass repr_failure: render them the same short way.
        rep.longrepr = call.excinfo.value.render()
    elif rep.skipped and isinstance(rep.longrepr, tuple):
        # Point at the node's file, not at the plugin line that called pytest.skip.
        rep.longrepr = (rep.location[0], None, rep.longrepr[2])  # type: ignore[assignment]


def teststatus(rep: pytest.TestReport) -> Any:
    """Data-quality failures get their own category, letter and word."""
    if rep.when == "call" and rep.failed and getattr(rep, "dbt_kind", None) == "data_quality":
        return "dq_failed", "Q", ("DQ_FAILED", {"red": True})
    return None


def terminal_summary(terminalreporter: Any, build: SessionBuild | None) -> None:
    """One line for the dbt build, then the data-quality failures pytest does not list."""
    reports = [r for reps in terminalreporter.stats.values() for r in reps
               if getattr(r, "dbt_status", None) is not None]
    if reports:
        took = build.result.execution_time if build is not None and build.result is not None else None
        if took is None:  # under xdist the build ran on a worker, which sent its time as it ended
            took = terminalreporter.config.stash.get(BUILD_SECONDS_KEY, None)
        terminalreporter.write_sep("-", build_line(reports, took))
    dq = terminalreporter.stats.get("dq_failed", [])
    if not dq:
        return
    terminalreporter.write_sep("=", "DATA QUALITY FAILURES")
    for rep in dq:
        terminalreporter.write_sep("_", rep.nodeid)
        terminalreporter.write_line(rep.longreprtext)
    terminalreporter.write_sep("=", "data quality summary")
    for rep in dq:
        terminalreporter.write_line(f"DQ_FAILED {rep.nodeid} - {getattr(rep, 'dbt_head', '')}")


def build_line(reports: list[Any], took: float | None) -> str:
    """``dbt build: 36 node(s) and 3 hook(s) in 2.5s: 4 error, 17 success; 1 attempt(s)``."""
    nodes = sum(1 for r in reports if not r.dbt_hook)
    hooks = len(reports) - nodes
    counts = ", ".join(f"{n} {s}" for s, n in sorted(Counter(r.dbt_status for r in reports).items()))
    attempts = max(r.dbt_attempts for r in reports)
    retried = " (transient failures retried)" if attempts > 1 else ""
    hook_words = f" and {hooks} hook(s)" if hooks else ""
    time_words = f" in {took:.1f}s" if took is not None else ""
    return f"dbt build: {nodes} node(s){hook_words}{time_words}: {counts}; {attempts} attempt(s){retried}"


def listing_line(collection: DbtCollection) -> list[str]:
    """Where the selected nodes came from (shown after "collected N items", not with -q)."""
    nodes = collection.nodes
    if collection.list_error is not None or nodes.listed is None:
        return []
    n = nodes.listed
    ephemeral = len(collection.ephemeral)
    inlined = f", {ephemeral} of them ephemeral (dbt inlines those into their children: no items)" if ephemeral else ""
    if nodes.from_cache:
        return [f"dbt: {n} selected node(s){inlined} from the listing kept in pytest's cache (the project "
                "is unchanged since; dbt was not started to list them)"]
    kept = "; kept in pytest's cache for the next run" if nodes.kept else ""
    return [f"dbt: {n} selected node(s){inlined} listed by dbt ls{kept}"]
