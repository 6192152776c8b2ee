"""Golden outputs: a model's rows kept in a reviewable file, and a readable diff (no pytest).

The file is JSON Lines: a header line (the model, the key, each column and its type), then
one JSON array per row, sorted by the key, so a change to the golden file reads in a code
review like the change to the table. Values keep their types: numbers, strings, booleans and
nulls as JSON has them; decimals, dates and timestamps as strings, with their column's type
in the header. Large tables are written whole (a line per row); keep golden files small with
``where=`` and ``columns=`` (a golden file is for the rows a reviewer can read).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..runner import atomic_write

SHOWN = 20  # changed values, added and removed keys shown in a report


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, decimal.Decimal):
        return "decimal"
    if isinstance(value, dt.datetime):
        return "timestamp"
    if isinstance(value, dt.date):
        return "date"
    return "str"


def plain(value: Any) -> Any:
    """A value as the golden file holds it."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (decimal.Decimal, dt.date, dt.datetime, dt.time)):
        return str(value) if isinstance(value, decimal.Decimal) else value.isoformat()
    return str(value)


def column_type(rows: Sequence[Mapping[str, Any]], name: str) -> str:
    """A column's type as a golden file records it: "null" when every value is null, "mixed"
    for two types (a whole number in a numeric column is the column's type: dbt's rows give it
    as an int)."""
    seen = {type_name(r[name]) for r in rows} - {"null"}
    if len(seen) == 2 and "int" in seen and seen & {"float", "decimal"}:
        seen -= {"int"}
    return seen.pop() if len(seen) == 1 else ("null" if not seen else "mixed")


@dataclass
class Table:
    """Rows of a model as plain values, keyed and sorted."""

    key: list[str]
    columns: dict[str, str]  # name -> type ("null" when every value is null)
    rows: dict[tuple[Any, ...], dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]], key: str | Sequence[str],
                  columns: Sequence[str] | None = None) -> Table:
        key = [key] if isinstance(key, str) else list(key)
        names = list(columns) if columns else (list(rows[0]) if rows else list(key))
        missing = [k for k in [*key, *names] if rows and k not in rows[0]]
        if missing:
            raise ValueError(f"no column {missing[0]!r} in the model's rows (it has: {', '.join(rows[0])})")
        table = cls(list(key), {name: column_type(rows, name) for name in names})
        for row in rows:
            k = tuple(plain(row[c]) for c in key)
            if k in table.rows:
                raise ValueError(f"key {_key_text(k)} ({', '.join(key)}) is not unique in the model's rows: "
                                 "pass key= columns that identify a row")
            table.rows[k] = {c: plain(row[c]) for c in names}
        return table

    def write(self, path: Path, model: str) -> None:
        """Write the golden file atomically (readers see the old file or the new one)."""
        names = list(self.columns)
        lines = [json.dumps({"model": model, "key": self.key, "columns": self.columns, "rows": len(self.rows)})]
        lines += [json.dumps([row[c] for c in names], default=str) for _, row in sorted(self.rows.items(), key=_sort)]
        atomic_write(path, "\n".join(lines) + "\n")

    @classmethod
    def read(cls, path: Path) -> Table:
        lines = path.read_text().splitlines()
        header = json.loads(lines[0])
        table = cls(list(header["key"]), dict(header["columns"]))
        names = list(table.columns)
        for line in lines[1:]:
            values = dict(zip(names, json.loads(line)))
            table.rows[tuple(values[k] for k in table.key)] = values
        return table


def _sort(item: tuple[tuple[Any, ...], Any]) -> tuple[Any, ...]:
    return tuple((v is None, type(v).__name__, v) for v in item[0])


def _key_text(key: tuple[Any, ...]) -> str:
    return repr(key[0]) if len(key) == 1 else "(" + ", ".join(repr(v) for v in key) + ")"


def same(golden: Any, actual: Any, rtol: float, atol: float) -> bool:
    if golden == actual:
        return True
    numbers = (int, float, str)
    if isinstance(golden, numbers) and isinstance(actual, numbers) and not isinstance(golden, bool):
        try:
            a, b = float(actual), float(golden)
        except ValueError:
            return False
        return math.isclose(a, b, rel_tol=rtol, abs_tol=atol) if (rtol or atol) else a == b
    return False


@dataclass
class Diff:
    """What differs between a golden table and the actual one."""

    schema: list[str]
    added: list[tuple[Any, ...]]
    removed: list[tuple[Any, ...]]
    changed: list[tuple[tuple[Any, ...], str, Any, Any]]  # key, column, golden, actual
    golden_rows: int
    actual_rows: int

    @property
    def equal(self) -> bool:
        return not (self.schema or self.added or self.removed or self.changed)

    def report(self, model: str, path: Path, key: Sequence[str]) -> str:
        rows_changed = len({k for k, *_ in self.changed})
        lines = [f"dbt regression: {model} differs from its golden file {path}"]
        lines += [f"  schema: {change}" for change in self.schema]
        lines.append(f"  rows: {self.golden_rows} golden, {self.actual_rows} actual: {len(self.added)} added, "
                     f"{len(self.removed)} removed, {rows_changed} changed ({len(self.changed)} values)")
        if self.changed:
            shown = [(_key_text(k), c, f"{g!r} -> {a!r}") for k, c, g, a in self.changed[:SHOWN]]
            head = (f"key ({', '.join(key)})", "column", "golden -> actual")
            widths = [max(len(r[i]) for r in [head, *shown]) for i in range(2)]
            for row in [head, *shown]:
                lines.append(f"  {row[0]:<{widths[0]}} | {row[1]:<{widths[1]}} | {row[2]}")
            if len(self.changed) > SHOWN:
                lines.append(f"  (and {len(self.changed) - SHOWN} more changed values)")
        for word, keys in (("added", self.added), ("removed", self.removed)):
            if keys:
                more = f" (and {len(keys) - SHOWN} more)" if len(keys) > SHOWN else ""
                lines.append(f"  {word}: " + ", ".join(_key_text(k) for k in keys[:SHOWN]) + more)
        lines.append("  if the change is intended: pytest --dbt-regen rewrites the golden file")
        return "\n".join(lines)


def compare(golden: Table, actual: Table, rtol: float = 0.0, atol: float = 0.0) -> Diff:
    """Schema changes first (columns added, removed, retyped), then rows by key."""
    schema = [f"column {c} added ({t})" for c, t in actual.columns.items() if c not in golden.columns]
    schema += [f"column {c} removed ({t})" for c, t in golden.columns.items() if c not in actual.columns]
    schema += [f"column {c} retyped {golden.columns[c]} -> {t}" for c, t in actual.columns.items()
               if c in golden.columns and "null" not in (t, golden.columns[c]) and t != golden.columns[c]]
    common = [c for c in golden.columns if c in actual.columns]
    changed = []
    for k in sorted(golden.rows.keys() & actual.rows.keys(), key=lambda k: _sort((k, None))):
        for c in common:
            g, a = golden.rows[k][c], actual.rows[k][c]
            if not same(g, a, rtol, atol):
                changed.append((k, c, g, a))
    return Diff(
        schema=schema,
        added=sorted(actual.rows.keys() - golden.rows.keys(), key=lambda k: _sort((k, None))),
        removed=sorted(golden.rows.keys() - actual.rows.keys(), key=lambda k: _sort((k, None))),
        changed=changed, golden_rows=len(golden.rows), actual_rows=len(actual.rows),
    )
