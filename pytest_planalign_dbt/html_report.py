"""With pytest-html: each dbt item's row shows the failure, and the summary a picture of it.

A failing item's row gets dbt's message, its compiled SQL (collapsed), the failing rows dbt
sampled (a table) and the node's time; the summary gets the part of the DAG around what went
wrong: the nodes that failed or errored, what dbt skipped because of them, and their direct
parents, coloured by outcome, drawn here as an SVG (nothing fetched when the report is viewed).
Everything comes from the reports' ``rep.dbt`` (report.ReportInfo), so it reads the same
serially and under xdist. Registered only when pytest-html writes a report (``--html``).
"""

from __future__ import annotations

import re
from html import escape

import pytest

from .coverage_gate import REPORT_KEY
from .options import SETTINGS_KEY
from .report import ReportInfo
from .runner import FAILED, Status
from .session.coverage_render import table_rows, totals_line

WENT_WRONG = FAILED | {Status.MISSING}
COLOURS = {"failed": "#d9534f", "skipped": "#f0ad4e", "passed": "#5cb85c", "other": "#9e9e9e"}
LEGEND = ("red: failed or errored; orange: skipped by dbt because of them; green: their direct "
          "parents that passed; grey: a parent that is no item (an ephemeral model). Hover a box for its id.")
BOX_W, BOX_H, GAP_X, GAP_Y, PAD = 230, 26, 60, 10, 12
LINE_H, LINE_CHARS = 14, 32  # a wrapped name's line: its height, its characters (12px sans in BOX_W)
TEST_HASH = re.compile(r"[0-9a-f]{10}")


class HtmlHooks:
    """pytest-html's hooks, fed by every dbt item's decisive report."""

    def __init__(self) -> None:
        self.nodes: dict[str, ReportInfo] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Keep each dbt item's node info for the picture (the decisive report carries it)."""
        info = ReportInfo.of(report)
        if info is not None and info.unique_id:
            self.nodes[info.unique_id] = info

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_html(self, report: pytest.TestReport, data: list[str]) -> None:
        """A failing dbt row shows its failure block; a skipped one, dbt's reason."""
        info = ReportInfo.of(report)
        if info is not None and info.head and report.failed:  # a skip says why in its own row
            data.insert(0, failure_html(info))
        elif info is not None and report.skipped and isinstance(report.longrepr, tuple) and data:
            # pytest's skip is (path, line, reason): the row's log shows the reason, not the tuple.
            data[0] = escape(str(report.longrepr[2])) + "\n"

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_summary(self, prefix: list[str], summary: list[str], postfix: list[str],
                                    session: pytest.Session) -> None:
        """The data-quality count among the failed, and the picture of what went wrong."""
        dq = sum(1 for info in self.nodes.values() if info.kind == "data_quality" and info.status in WENT_WRONG)
        if dq:  # pytest-html counts them as failed: say which of those are dbt's data tests
            prefix.append(f"<p>dbt: {dq} data quality failure(s) (data tests that found rows) among the failed</p>")
        coverage = coverage_html(session.config)
        if coverage:
            postfix.append(coverage)
        picture = dag_svg(self.nodes)
        if picture:
            postfix.append(f"<h2>dbt: what went wrong</h2><p>{LEGEND}</p>"
                           f'<div class="dbt-dag">{picture}</div>')


def coverage_html(config: pytest.Config) -> str | None:
    """The ``--dbt-coverage`` table (coverage_gate.py), when the session measured it."""
    report = config.stash.get(REPORT_KEY, None)
    if report is None:
        return None
    rows = table_rows(report, config.stash[SETTINGS_KEY].coverage_by)
    head = "".join(f"<th>{escape(c)}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows[1:])
    return (f'<h2>dbt test coverage</h2><table class="dbt-coverage"><tr>{head}</tr>{body}</table>'
            f"<p>{escape(totals_line(report))}</p>")


def failure_html(info: ReportInfo) -> str:
    """A failing node's block: headline, time, failing rows, compiled SQL (collapsed)."""
    # dbt's message is in the row's log already (the failure's text): not printed twice.
    parts = [f'<div class="dbt-failure"><p><b>{escape(info.head or "")}</b> ({info.seconds:.2f} s)</p>']
    if info.rows:
        columns = list(info.rows[0])
        head = "".join(f"<th>{escape(str(c))}</th>" for c in columns)
        body = "".join("<tr>" + "".join(f"<td>{escape(str(row.get(c)))}</td>" for c in columns) + "</tr>"
                       for row in info.rows)
        parts.append(f'<p>failing rows (first {len(info.rows)}):</p><table class="dbt-rows"><tr>{head}</tr>'
                     f"{body}</table>")
    if info.sql:
        parts.append(f"<details><summary>compiled SQL</summary><pre>{escape(info.sql)}</pre></details>")
    return "".join(parts) + "</div>"


def _state(info: ReportInfo | None) -> str:
    if info is None:
        return "other"
    if info.status in WENT_WRONG:
        return "failed"
    return "skipped" if info.status == Status.SKIPPED else "passed"


def picture_nodes(nodes: dict[str, ReportInfo]) -> set[str]:
    """The failed and errored nodes, what dbt skipped, and the direct parents of both."""
    wrong = {u for u, info in nodes.items() if _state(info) in ("failed", "skipped")}
    return wrong | {p for u in wrong for p in nodes[u].parents}


def _layers(shown: set[str], nodes: dict[str, ReportInfo]) -> list[list[str]]:
    """Columns left to right: a node one column right of its deepest shown parent."""
    depth: dict[str, int] = {}

    def of(uid: str, seen: frozenset[str] = frozenset()) -> int:
        if uid not in depth:
            parents = [p for p in (nodes[uid].parents if uid in nodes else ()) if p in shown and p not in seen]
            depth[uid] = 1 + max((of(p, seen | {uid}) for p in parents), default=-1)
        return depth[uid]

    columns: list[list[str]] = []
    for uid in sorted(shown):
        d = of(uid)
        columns.extend([] for _ in range(d + 1 - len(columns)))
        columns[d].append(uid)
    return columns


def box_lines(uid: str) -> list[str]:
    """A node's name in a box, whole, wrapped at ``LINE_CHARS`` (after a '_' where one is near):
    a test's unique_id ends in a hash of its arguments, which is not shown (hover shows it)."""
    parts = uid.split(".")
    if parts[0] in ("test", "unit_test") and len(parts) > 3 and TEST_HASH.fullmatch(parts[-1]):
        parts = parts[:-1]
    name = ".".join(parts[2:]) or uid
    lines = []
    while len(name) > LINE_CHARS:
        cut = name.rfind("_", LINE_CHARS // 2, LINE_CHARS) + 1 or LINE_CHARS
        lines.append(name[:cut])
        name = name[cut:]
    return [*lines, name]


def _height(lines: list[str]) -> int:
    return BOX_H + LINE_H * (len(lines) - 1)


def dag_svg(nodes: dict[str, ReportInfo]) -> str:
    """The picture as inline SVG ('' when nothing went wrong)."""
    shown = picture_nodes(nodes)
    if not any(_state(nodes.get(u)) in ("failed", "skipped") for u in shown):
        return ""
    columns = _layers(shown, nodes)
    labels = {uid: box_lines(uid) for uid in shown}
    where: dict[str, tuple[int, int]] = {}
    bottom = 0
    for c, column in enumerate(columns):
        y = PAD
        for uid in column:
            where[uid] = (PAD + c * (BOX_W + GAP_X), y)
            y += _height(labels[uid]) + GAP_Y
        bottom = max(bottom, y - GAP_Y)
    width = PAD * 2 + len(columns) * (BOX_W + GAP_X) - GAP_X
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{bottom + PAD}" '
           f'font-family="sans-serif" font-size="12">']
    for uid in sorted(shown):
        x, y = where[uid]
        for parent in (nodes[uid].parents if uid in nodes else ()):
            if parent in where:
                px, py = where[parent]
                out.append(f'<line x1="{px + BOX_W}" y1="{py + _height(labels[parent]) / 2}" x2="{x}" '
                           f'y2="{y + _height(labels[uid]) / 2}" stroke="#777" stroke-width="1"/>')
    for uid in sorted(shown):
        x, y = where[uid]
        state = _state(nodes.get(uid))
        text = "".join(f'<tspan x="{x + 6}" y="{y + 17 + LINE_H * i}">{escape(line)}</tspan>'
                       for i, line in enumerate(labels[uid]))
        out.append(f'<g><title>{escape(uid)}: {state}</title>'
                   f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{_height(labels[uid])}" rx="4" '
                   f'fill="{COLOURS[state]}"/><text fill="#fff">{text}</text></g>')
    out.append("</svg>")
    return "".join(out)


def register(config: pytest.Config) -> None:
    """Our hooks, when pytest-html is installed and writes a report."""
    if config.pluginmanager.hasplugin("html") and getattr(config.option, "htmlpath", None):
        config.pluginmanager.register(HtmlHooks(), "planalign-dbt-html")
