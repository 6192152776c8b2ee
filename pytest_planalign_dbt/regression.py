"""The ``dbt_regression`` fixture: a model's rows against a golden file next to the test.

``check(model, key=...)`` reads the model's rows through the runner (as ``dbt.rows`` does,
with real types), compares them with ``golden/<test module>/<test name>.jsonl`` beside the
test file (session/golden.py: the format, the comparison, the report) and fails with a diff a
reviewer can read. A missing golden file is written and the test fails, to be reviewed and
committed (as pytest-regressions does); ``--dbt-regen`` rewrites the golden files of the tests
that ran, and the summary lists them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from .options import SETTINGS_KEY
from .runner import DbtError, DbtRunner
from .session.golden import Table, compare
from .session.nodes import NodeSpec

UNSAFE = re.compile(r"[^\w.-]+")  # not in a file name
WRITTEN = "dbt_golden_written"  # a user property: (name, path) of a golden file written


class DbtRegression:
    """Checks models' rows against golden files; one per test."""

    def __init__(self, node: pytest.Item, dbt: Any, regen: bool) -> None:
        self.node = node
        self.dbt = dbt
        self.regen = regen
        self.used: set[Path] = set()

    def path_for(self, name: str | None) -> Path:
        """``golden/<test module>/<test name>[-<name>].jsonl`` beside the test file (a
        parametrised test, e.g. one per scenario, gets one file per parameter set)."""
        test_file = Path(self.node.path)
        stem = UNSAFE.sub("_", self.node.name).strip("_")
        suffix = "-" + UNSAFE.sub("_", name) if name else ""
        return test_file.parent / "golden" / test_file.stem / f"{stem}{suffix}.jsonl"

    def check(self, model: str, *, key: str | Sequence[str], columns: Sequence[str] | None = None,
              where: str | None = None, rtol: float = 0.0, atol: float = 0.0, name: str | None = None,
              dbt: Any = None) -> None:
        """Fail with a row diff when ``model``'s rows differ from the golden file.

        ``key``: the column(s) that identify a row; ``columns``: only these (default all);
        ``where``: a SQL filter; ``rtol``/``atol``: floats this close are equal; ``name``: to
        tell several checks of one test apart; ``dbt``: another runner (a ``dbt_scenario``).
        """
        __tracebackhide__ = True
        keys = [key] if isinstance(key, str) else list(key)
        if not keys or rtol < 0 or atol < 0:
            pytest.fail("dbt_regression.check: give key= (the column(s) that identify a row) and "
                        "rtol/atol >= 0", pytrace=False)
        path = self.path_for(name)
        if path in self.used:
            pytest.fail(f"dbt_regression.check: {path.name} is already checked by this test; pass name= "
                        "to tell the checks apart", pytrace=False)
        self.used.add(path)
        rows = (dbt or self.dbt).rows(model, where=where)
        try:
            actual = Table.from_rows(rows, keys, columns)
        except ValueError as exc:
            pytest.fail(f"dbt_regression.check({model!r}): {exc}", pytrace=False)
        message = golden_verdict(actual, path, model, keys, self.regen, self.node, rtol, atol)
        if message is not None:
            pytest.fail(message, pytrace=False)


def golden_verdict(actual: Table, path: Path, model: str, keys: list[str], regen: bool, node: pytest.Item,
                   rtol: float = 0.0, atol: float = 0.0) -> str | None:
    """Why ``actual`` fails against the golden file at ``path`` (None: it passes). Writes the
    file when it is missing or when regenerating, and records that on ``node``."""
    shown = _relative(path, node.config.rootpath)
    if regen or not path.exists():
        actual.write(path, model)
        node.user_properties.append((WRITTEN, str(shown)))  # xdist sends it as text
        if regen:
            return None
        return (f"dbt regression: created {shown} ({len(actual.rows)} rows of {model}); review and commit "
                "it, then run again")
    try:
        golden = Table.read(path)
    except (OSError, ValueError, KeyError, IndexError) as exc:
        return f"dbt regression: cannot read {shown} ({exc}); rewrite it with --dbt-regen"
    if golden.key != keys:
        return (f"dbt regression: {shown} is keyed by {', '.join(golden.key)}, the check by {', '.join(keys)}: "
                "pass that key, or rewrite it with --dbt-regen")
    diff = compare(golden, actual, rtol, atol)
    return None if diff.equal else diff.report(model, shown, keys)


def node_golden_failure(item: pytest.Item, spec: NodeSpec, runner: DbtRunner, dbt_vars: Mapping[str, Any],
                        regen: bool) -> str | None:
    """A collected model with ``meta: {golden: {key: [...]}}``: its rows against
    ``golden/<name>.jsonl`` beside its file (None: they match)."""
    try:
        actual = Table.from_rows(runner.rows(spec.item_name, dbt_vars=dbt_vars), list(spec.golden))
    except (ValueError, DbtError) as exc:
        return f"dbt regression: {spec.kind_name} {spec.name}: {str(exc).splitlines()[0]}"
    path = item.path.parent / "golden" / f"{spec.item_name}.jsonl"
    return golden_verdict(actual, path, spec.name, list(spec.golden), regen, item)


def _relative(path: Path, root: Path) -> Path:
    try:
        return path.relative_to(root)
    except ValueError:
        return path


def written_summary(terminalreporter: Any) -> None:
    """After --dbt-regen: which golden files were rewritten."""
    settings = terminalreporter.config.stash.get(SETTINGS_KEY, None)
    if settings is None or not settings.regen:
        return
    paths = sorted({str(value) for reports in terminalreporter.stats.values() for rep in reports
                    for key, value in getattr(rep, "user_properties", ()) if key == WRITTEN})
    if paths:
        terminalreporter.write_sep("-", f"dbt regression: rewrote {len(paths)} golden file(s) (--dbt-regen)")
        for path in paths:
            terminalreporter.write_line(f"  {path}")
