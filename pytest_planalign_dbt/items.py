"""dbt nodes as pytest items: one file collector per node file, one item per node.

Outcomes: a node that could not be built (compilation error, a transient
failure that outlived its retries, a build that never ran it) errors in setup;
an execution error or a failing data test fails in call; a node dbt skipped
because something upstream failed is skipped; a warn-severity failure passes
with a pytest warning. Hooks (on-run-start / on-run-end) are items of the
dbt_project.yml that defines them and follow the same rules.
"""

from __future__ import annotations

import csv
import re
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

import pytest

from .session.build import NodeOutcome, NodeSpec
from .runner.fixes import trim_message


class Outcomes(Protocol):
    """Where an item finds its node's outcome (``collection.DbtCollection``)."""

    def outcome_for(self, item: DbtItem) -> NodeOutcome: ...

    def golden_failure(self, item: DbtItem) -> str | None: ...


class DbtTestWarning(UserWarning):
    """A dbt data test with severity warn found rows: the node passes, the warning stays."""


class DbtNodeProblem(Exception):
    """Base of what a dbt item raises; rendered by repr_failure without a traceback."""

    def __init__(self, item: DbtItem, outcome: NodeOutcome) -> None:
        super().__init__(outcome.unique_id)
        self.item = item
        self.outcome = outcome

    def render(self) -> str:
        return render_outcome(self.item.spec, self.outcome)


class DbtNodeError(DbtNodeProblem):
    """The node could not be built (reported as a pytest error)."""


class DbtNodeFailure(DbtNodeProblem):
    """The node ran and failed: SQL execution error or failing data test (pytest failed)."""


class DbtRegressionFailure(Exception):
    """The node built, but its rows differ from its golden file (``meta: {golden: ...}``)."""


def _table(rows: list[dict[str, Any]]) -> list[str]:
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


# dbt's message for a data test's verdict: "Got 0 results, configured to fail if <1".
CONDITION = re.compile(r"Got \d+ results?, configured to (?:fail|warn) if\s*(?P<op><=?|>=?|!=|==?)\s*(?P<n>\d+)")


def _fails_on_too_few(message: str | None) -> bool:
    """True when the test fails because its query found too few rows (``error_if: <1``)."""
    match = CONDITION.search(message or "")
    return bool(match) and match.group("op").startswith("<")


def render_outcome(spec: NodeSpec, outcome: NodeOutcome) -> str:
    """The short report: class, node, file, dbt's message, compiled SQL, fix, samples."""
    kind = outcome.kind or "unknown"
    lines = [headline(spec, outcome)]
    result = outcome.result
    message = outcome.message
    diff = render_unit_test_diff(message) if kind == "unit_test" else []
    if diff:
        lines.extend(diff)
    else:
        lines.extend("  " + text for text in trim_message(message, 25 if result else 12))
    expects_rows = kind == "data_quality" and _fails_on_too_few(message)
    if kind == "data_quality" and outcome.failures is not None:
        lines.append(f"  rows returned: {outcome.failures}, too few: the test expects rows (error_if / warn_if)"
                     if expects_rows else f"  failing rows: {outcome.failures}")
        if result is not None and result.relation_name:
            lines.append(f"  failing rows stored in: {result.relation_name} (store_failures)")
    if kind == "transient":
        lines.append(f"  still failing after {outcome.attempts} attempt(s)")
    if result is not None:
        if result.compiled_path:
            lines.append(f"  compiled SQL: {result.compiled_path}")
        elif kind == "compilation":
            lines.append("  compiled SQL: not written (the node did not compile)")
    lines.append("  fix: the test's query found too few rows: check that what it tests is not empty, or "
                 "change its error_if / warn_if" if expects_rows else f"  fix: {outcome.fix}")
    if outcome.samples:
        lines.append(f"  first {len(outcome.samples)} failing row(s):")
        lines.extend(_table(outcome.samples))
    return "\n".join(lines)


class DbtFile(pytest.File):
    """A file of the dbt project that defines one or more selected nodes."""

    def __init__(
        self, *, specs: Iterable[NodeSpec] = (), collection: Outcomes | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.specs = list(specs)
        self.collection = collection

    def collect(self) -> list[DbtItem]:
        assert self.collection is not None
        return [DbtItem.from_parent(self, name=spec.item_name, spec=spec, collection=self.collection)
                for spec in self.specs]


class DbtItem(pytest.Item):
    """One dbt node; its outcome comes from the session's single dbt build."""

    def __init__(self, *, spec: NodeSpec, collection: Outcomes, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        self.collection = collection
        self.outcome: NodeOutcome | None = None
        self.add_marker("dbt")
        for tag in spec.tags:
            self.add_marker(tag)
        # JUnit carries the node's unique id, so CI tools can match testcases to dbt nodes.
        self.user_properties.append(("dbt_unique_id", spec.unique_id))

    def setup(self) -> None:
        self.outcome = self.collection.outcome_for(self)
        outcome = self.outcome
        broken = outcome.status in ("error", "missing") or (
            outcome.result is not None and outcome.result.ephemeral_parent is not None
        )
        if outcome.status == "skipped" and not broken:
            upstream = ", ".join(outcome.upstream_failures)
            if upstream:
                pytest.skip(f"skipped by dbt: upstream {upstream} failed")
            message = outcome.message
            pytest.skip(f"skipped by dbt{': ' + message if message else ''}")
        if broken and outcome.kind != "execution":
            raise DbtNodeError(self, outcome)

    def runtest(self) -> None:
        outcome = self.outcome
        assert outcome is not None
        if outcome.status == "warn":
            result = outcome.result
            message = (result.message if result else None) or (
                f"Got {outcome.failures} result(s), configured to warn"
            )
            # Attributed to the node's file (line 0: no source line to quote).
            warnings.warn_explicit(
                DbtTestWarning(f"dbt {self.spec.kind_name} {self.spec.name}: {message}"),
                DbtTestWarning, str(self.path), 0,
            )
        elif outcome.status in ("error", "fail"):
            raise DbtNodeFailure(self, outcome)
        elif outcome.status == "success" and self.spec.golden:
            failure = self.collection.golden_failure(self)
            if failure is not None:
                raise DbtRegressionFailure(failure)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, DbtNodeProblem):
            return excinfo.value.render()
        if isinstance(excinfo.value, DbtRegressionFailure):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"dbt {self.spec.kind_name} {self.spec.name}"
