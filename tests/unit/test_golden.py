"""Golden tables: the file format, the comparison, the report (pure; no dbt)."""

from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path

import pytest

from pytest_planalign_dbt.session.golden import Table, compare

ROWS = [
    {"id": 2, "year": 2025, "salary": 100.0, "hired": dt.date(2020, 1, 2), "rate": decimal.Decimal("0.10"),
     "note": None, "active": True},
    {"id": 1, "year": 2025, "salary": 50.5, "hired": dt.date(2021, 3, 4), "rate": decimal.Decimal("0.20"),
     "note": "x", "active": False},
]


def test_a_golden_file_round_trips_with_types_sorted_by_key(tmp_path: Path) -> None:
    table = Table.from_rows(ROWS, ["id", "year"])
    path = tmp_path / "g" / "t.jsonl"
    table.write(path, "m")
    lines = path.read_text().splitlines()
    assert lines[1].startswith("[1, 2025, 50.5, \"2021-03-04\", \"0.20\"")  # sorted by key, one row a line
    back = Table.read(path)
    assert back.columns == {"id": "int", "year": "int", "salary": "float", "hired": "date", "rate": "decimal",
                            "note": "str", "active": "bool"}
    assert compare(back, table).equal


def test_changes_are_reported_schema_first_then_rows(tmp_path: Path) -> None:
    golden = Table.from_rows(ROWS, "id")
    actual_rows = [dict(r) for r in ROWS[:1]] + [{**ROWS[0], "id": 3}]
    for row in actual_rows:
        row["salary"] = row["salary"] + 1
        row["bonus"] = 1.5
        row["note"] = 7
        del row["active"]
    diff = compare(golden, Table.from_rows(actual_rows, "id"))
    assert diff.schema == ["column bonus added (float)", "column active removed (bool)", "column note retyped str -> int"]
    report = diff.report("m", Path("golden/t.jsonl"), ["id"])
    assert report.splitlines()[:5] == [
        "dbt regression: m differs from its golden file golden/t.jsonl",
        "  schema: column bonus added (float)",
        "  schema: column active removed (bool)",
        "  schema: column note retyped str -> int",
        "  rows: 2 golden, 2 actual: 1 added, 1 removed, 1 changed (2 values)",
    ]
    assert "  key (id) | column | golden -> actual" in report
    assert "  2        | salary | 100.0 -> 101.0" in report and "  added: 3" in report and "  removed: 1" in report


def test_floats_within_the_tolerance_are_equal() -> None:
    golden = Table.from_rows([{"id": 1, "x": 100.0, "d": decimal.Decimal("1.00")}], "id")
    near = Table.from_rows([{"id": 1, "x": 100.0001, "d": decimal.Decimal("1.001")}], "id")
    assert not compare(golden, near).equal
    assert compare(golden, near, rtol=1e-5, atol=0.01).equal
    assert not compare(golden, near, atol=1e-6).equal


def test_many_changes_are_cut_short() -> None:
    golden = Table.from_rows([{"id": i, "x": i} for i in range(30)], "id")
    actual = Table.from_rows([{"id": i, "x": i + 1} for i in range(5, 60)], "id")
    report = compare(golden, actual).report("m", Path("g.jsonl"), ["id"])
    assert "  (and 5 more changed values)" in report
    assert "(and 10 more)" in report and "  removed: 0, 1, 2, 3, 4" in report


def test_rows_that_cannot_be_keyed_are_refused() -> None:
    with pytest.raises(ValueError, match="key 1 \\(id\\) is not unique"):
        Table.from_rows([{"id": 1}, {"id": 1}], ["id"])
    with pytest.raises(ValueError, match="no column 'nope'"):
        Table.from_rows([{"id": 1}], ["nope"])
    assert Table.from_rows([], ["id"]).rows == {}
