"""The short report of a dbt item: headline, dbt's message, compiled SQL, fix, failing rows.

Pure text from a NodeSpec and its NodeOutcome (no pytest here): items.py raises, this renders.
"""

from __future__ import annotations

import csv
from typing import Any

from ..runner import Kind, fails_on_too_few, render_failure, shorten, trim_message
from .nodes import NodeOutcome, NodeSpec

FIX_CHARS = 400


def table(rows: list[dict[str, Any]]) -> list[str]:
    """Rows as an aligned text table (cells cut to 40 characters)."""
    if not rows:
        return []
    columns = list(rows[0])
    cells = [[("NULL" if r.get(c) is None else str(r.get(c)))[:40] for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    line = lambda values: "  | " + " | ".join(v.ljust(w) for v, w in zip(values, widths)) + " |"  # noqa: E731
    return [line(columns), "  |" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, cells)]


def render_unit_test_diff(message: str) -> list[str]:
    """dbt's expected-vs-actual diff as an aligned table, with what its markers mean."""
    text = message.replace("\r", "")
    head, sep, diff = text.partition("actual differs from expected:")
    if not sep:
        return []
    rows = [next(csv.reader([line])) for line in diff.strip().splitlines() if line.strip()]
    if not rows:
        return []
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(width)]
    lines = ["  expected vs actual (→ changed row, cells read expected→actual; +++ only in actual; "
             "--- only in expected):"]
    for row in rows:
        lines.append("    " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    return lines


def headline(spec: NodeSpec, outcome: NodeOutcome) -> str:
    """The first line of a report: the failure's label, the node, and its file."""
    where = spec.original_file_path
    if spec.package_name and spec.package_name != spec.root_package:
        where = f"package {spec.package_name}: {where}"
    return f"dbt {outcome.label}: {spec.kind_name} {spec.name} ({where})"


def _message_lines(kind: Kind, outcome: NodeOutcome) -> list[str]:
    diff = render_unit_test_diff(outcome.message) if kind == Kind.UNIT_TEST else []
    return diff or ["  " + text for text in trim_message(outcome.message, 25 if outcome.result else 12)]


def _rows_lines(kind: Kind, outcome: NodeOutcome, too_few: bool) -> list[str]:
    if kind != Kind.DATA_QUALITY or outcome.failures is None:
        return []
    lines = [f"  rows returned: {outcome.failures}, too few: the test expects rows (error_if / warn_if)"
             if too_few else f"  failing rows: {outcome.failures}"]
    if outcome.result is not None and outcome.result.relation_name:
        lines.append(f"  failing rows stored in: {outcome.result.relation_name} (store_failures)")
    return lines


def _compiled(kind: Kind, outcome: NodeOutcome) -> str | None:
    """Where the node's compiled SQL is, or that there is none for a node that did not compile."""
    result = outcome.result
    if result is None:
        return None
    if result.compiled_path:
        return result.compiled_path
    return "not written (the node did not compile)" if kind == Kind.COMPILATION else None


def render_outcome(spec: NodeSpec, outcome: NodeOutcome) -> str:
    """The short report: label, node, file, dbt's message, compiled SQL, fix, samples."""
    kind = outcome.kind or Kind.UNKNOWN
    too_few = kind == Kind.DATA_QUALITY and fails_on_too_few(outcome.message)
    body = [*_message_lines(kind, outcome), *_rows_lines(kind, outcome, too_few)]
    if kind == Kind.TRANSIENT:
        body.append(f"  still failing after {outcome.attempts} attempt(s)")
    samples = ([f"  first {len(outcome.samples)} failing row(s):", *table(outcome.samples)]
               if outcome.samples else [])
    # A fix line says what to do; one that lists hundreds of names is cut (dbt's log has them all).
    return render_failure(headline(spec, outcome), body, compiled=_compiled(kind, outcome),
                          fix=shorten(outcome.fix or "", FIX_CHARS), tail=samples)
