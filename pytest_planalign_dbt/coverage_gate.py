"""``--dbt-coverage``: measured once by the process that built the nodes, printed, written and
gated by the process that reports the session (the xdist controller under ``-n``)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from .options import DbtSettings
from .runner import DbtError, DbtRunner, atomic_write
from .session.build import SessionBuild
from .session.coverage import CoverageReport, catalog_key, columns_query, measure, relations
from .session.coverage_render import json_report, markdown, parse_fail_under, shortfalls, terminal_lines

REPORT_KEY: pytest.StashKey[CoverageReport] = pytest.StashKey()
FAILED_KEY: pytest.StashKey[list[str]] = pytest.StashKey()
WORKEROUTPUT = "planalign_dbt_coverage"


def warehouse_columns(runner: DbtRunner, manifest: dict[str, Any], models: list[str],
                      dbt_vars: dict[str, Any]) -> dict[str, list[str]] | None:
    """Each built model's columns as dbt's adapter reads them from the warehouse (one dbt call:
    dbt's catalog query, or, for an adapter without it, one question per relation); None when
    it cannot tell (the columns the YAML declares are counted then)."""
    rels = relations(manifest, models)
    if not rels:
        return {}
    try:
        found = json.loads(runner.render(columns_query(rels), dbt_vars=dbt_vars))
        by_key = {catalog_key(db, schema, name): uid for uid, db, schema, name in rels}
        return {by_key[key]: [str(c) for c in cols] for key, cols in found.items() if key in by_key}
    except (DbtError, ValueError):
        pass
    try:
        found = json.loads(runner.render(columns_query(rels, catalog=False), dbt_vars=dbt_vars))
    except (DbtError, ValueError):
        return None
    return {uid: [str(c) for c in cols] for uid, cols in found.items() if cols}


def measure_build(config: pytest.Config, settings: DbtSettings, build: SessionBuild, runner: DbtRunner) -> None:
    """On the process that built the nodes: the coverage of the selected models, kept for the
    summary (and sent to the xdist controller)."""
    started = time.perf_counter()
    models = [uid for uid, spec in build.specs.items() if spec.resource_type == "model"]
    path = runner.manifest_file(runner.artifacts_path / "planalign_coverage_manifest.json")
    if path is None or not path.is_file():
        return
    manifest = json.loads(path.read_text(encoding="utf-8"))
    # Only what the build materialised is asked for (a failed model has no relation to read).
    succeeded = None if build.result is None else {n.unique_id for n in build.result.nodes if n.status == "success"}
    built = [uid for uid in models if succeeded is None or uid in succeeded]
    report = measure(manifest, models, warehouse_columns(runner, manifest, built, settings.merged_vars()))
    report.seconds = time.perf_counter() - started
    config.stash[REPORT_KEY] = report
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[WORKEROUTPUT] = report.to_json()


def receive(config: pytest.Config, workeroutput: dict[str, Any]) -> None:
    """On the xdist controller: the building worker's figures."""
    if WORKEROUTPUT in workeroutput:
        config.stash[REPORT_KEY] = CoverageReport.from_json(workeroutput[WORKEROUTPUT])


def gate(config: pytest.Config, settings: DbtSettings, exitstatus: int) -> int:
    """Write the reports asked for; a measure under its minimum fails a session that passed."""
    report = config.stash.get(REPORT_KEY, None)
    if report is None or not settings.covers:
        return exitstatus
    base = Path(config.invocation_params.dir)
    for item in settings.coverage_report:
        fmt, _, name = item.partition(":")
        text = json_report(report) if fmt == "json" else markdown(report, settings.coverage_by)
        target = base / name
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, text)
    failed = shortfalls(report, parse_fail_under(settings.coverage_fail_under)) if settings.coverage_fail_under else []
    config.stash[FAILED_KEY] = failed
    if failed and exitstatus == pytest.ExitCode.OK:
        return pytest.ExitCode.TESTS_FAILED
    return exitstatus


def summary(terminalreporter: Any, settings: DbtSettings) -> None:
    """The coverage table after the run, and the gate's line, as pytest-cov prints its own."""
    config = terminalreporter.config
    report = config.stash.get(REPORT_KEY, None)
    if report is None or not settings.covers:
        return
    terminalreporter.write_sep("-", "dbt test coverage")
    if not report.models:
        terminalreporter.write_line("no model selected: nothing to measure")
    else:
        for line in terminal_lines(report, settings.coverage_by):
            terminalreporter.write_line(line)
    for line in config.stash.get(FAILED_KEY, []):
        terminalreporter.write_line(line, red=True, bold=True)
    for item in settings.coverage_report:
        terminalreporter.write_line(f"dbt coverage report written: {item}")
    terminalreporter.write_line(f"dbt coverage: {len(report.models)} model(s) measured in {report.seconds:.2f}s")
