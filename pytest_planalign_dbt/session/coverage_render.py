"""The coverage report in words: the terminal table, markdown, JSON, and the gate's verdict.

Pure (no pytest): what ``--dbt-coverage``, ``--dbt-coverage-report`` and
``--dbt-coverage-fail-under`` print and write, from a ``session.coverage.CoverageReport``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from .coverage import MEASURES, CoverageReport, ModelCoverage

LABELS = {"models": "models tested", "columns": "columns tested", "primary_keys": "keys tested",
          "documented": "columns documented"}
REPORT_FORMATS = ("json", "markdown")


def parse_fail_under(text: str) -> dict[str, float]:
    """``80`` (the columns measure) or ``columns=80,models=100``: each measure's minimum percent."""
    wanted: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",")):
        measure, sep, number = part.rpartition("=")
        measure = measure.strip() if sep else "columns"
        if measure not in MEASURES:
            raise ValueError(f"unknown coverage measure {measure!r}: one of {', '.join(MEASURES)}, "
                             "e.g. 'columns=80,models=100'")
        try:
            value = float(number)
        except ValueError:
            value = float("nan")
        if not 0 <= value <= 100:  # also refuses nan
            raise ValueError(f"a coverage minimum is a percent from 0 to 100, got {part!r}")
        wanted[measure] = value
    return wanted


def parse_reports(text: str) -> tuple[str, ...]:
    """``json:PATH markdown:PATH``: the reports to write, each as ``format:path``."""
    found = []
    for item in text.split():
        fmt, sep, path = item.partition(":")
        if not sep or fmt not in REPORT_FORMATS or not path:
            raise ValueError(f"give FORMAT:PATH with FORMAT one of {', '.join(REPORT_FORMATS)}, "
                             f"e.g. markdown:reports/dbt-coverage.md, got {item!r}")
        found.append(f"{fmt}:{path}")
    if not found:
        raise ValueError("give at least one FORMAT:PATH, e.g. json:reports/dbt-coverage.json")
    return tuple(found)


def _share(covered: int, total: int) -> str:
    return f"{covered}/{total}" if total else "-"


def _percent(covered: int, total: int) -> str:
    return f"{100.0 * covered / total:.0f}%" if total else "-"


def _row(report: CoverageReport, name: str, models: list[ModelCoverage]) -> list[str]:
    tested, count = report.counts("models", models)
    return [name, "yes" if tested == count else ("no" if not tested else f"{tested}/{count}"),
            _share(*report.counts("columns", models)), _share(*report.counts("primary_keys", models)),
            str(sum(m.unit_tests for m in models)), _share(*report.counts("documented", models))]


def table_rows(report: CoverageReport, by: str) -> list[list[str]]:
    """Header, one row per model (or folder), the untested first, then the totals."""
    head = ["folder" if by == "folder" else "model", "tested", "columns tested", "key tested",
            "unit tests", "columns documented"]
    rows = [_row(report, name, models) for name, models in report.groups(by)]
    total = _row(report, "TOTAL", report.models)
    total[1] = _share(*report.counts("models"))
    return [head, *rows, total]


def terminal_lines(report: CoverageReport, by: str) -> list[str]:
    """The table pytest prints at the end of the run, as pytest-cov prints its own."""
    rows = table_rows(report, by)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]

    def line(row: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))

    rule = "-" * len(line(rows[0]))
    return [line(rows[0]), rule, *map(line, rows[1:-1]), rule, line(rows[-1]), totals_line(report)]


def totals_line(report: CoverageReport) -> str:
    parts = [f"{LABELS[m]} {_percent(*report.counts(m))}" for m in MEASURES]
    return f"{'; '.join(parts)} (columns known from {report.columns_from()})"


def markdown(report: CoverageReport, by: str) -> str:
    """A table for a pull request's comment."""
    rows = table_rows(report, by)
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:-1]]
    lines.append("| " + " | ".join(f"**{c}**" for c in rows[-1]) + " |")
    return "## dbt test coverage\n\n" + "\n".join(lines) + f"\n\n{totals_line(report)}\n"


def json_report(report: CoverageReport) -> str:
    """Every model's figures and the totals of each measure."""
    totals = {m: {"covered": c, "total": t, "percent": report.percent(m)}
              for m in MEASURES for c, t in [report.counts(m)]}
    models = [{"unique_id": m.unique_id, "name": m.name, "path": m.path, "tested": m.tested,
               "tests": m.tests, "unit_tests": m.unit_tests, "primary_key": m.primary_key,
               "columns": list(m.columns), "columns_tested": list(m.tested_columns),
               "columns_documented": list(m.documented_columns), "columns_from": m.columns_from}
              for m in report.models]
    return json.dumps({"totals": totals, "columns_from": report.columns_from(), "models": models}, indent=2) + "\n"


def shortfalls(report: CoverageReport, wanted: Mapping[str, float]) -> list[str]:
    """One line per measure under its minimum, pytest-cov's way: what fell short and by how much."""
    lines = []
    for measure, minimum in wanted.items():
        got = report.percent(measure)
        if got is not None and got < minimum:
            lines.append(f"dbt coverage: FAIL {LABELS[measure]} {got:.1f}% is under the required "
                         f"{minimum:g}% (--dbt-coverage-fail-under), {minimum - got:.1f} points short")
    return lines
