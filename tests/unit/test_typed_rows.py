"""Rows carried from a dbt child process with their types (runner/typed_rows.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from pathlib import Path

from pytest_planalign_dbt.runner import typed_rows


def test_every_driver_type_comes_back_as_itself() -> None:
    row = {
        "money": Decimal("123.45"), "whole": Decimal("100.00"), "i": 5, "f": 1.5, "b": True, "n": None,
        "d": dt.date(2024, 1, 2), "ts": dt.datetime(2024, 1, 2, 3, 4, 5, 250000),
        "tz": dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        "t": dt.time(13, 14, 15), "iv": dt.timedelta(days=1, seconds=1.5), "u": uuid.UUID(int=7),
        "blob": b"\x00\xff", "l": [1, Decimal("2.5")], "struct": {"k": dt.date(2020, 2, 29)}, "s": "text",
    }
    (back,) = typed_rows.loads(typed_rows.dumps([row]))
    assert back == row
    assert [type(v) for v in back.values()] == [type(v) for v in row.values()]
    assert str(back["whole"]) == "100.00" and back["tz"].utcoffset() == dt.timedelta(hours=2)


def test_columns_named_like_the_tags_stay_columns_and_an_unknown_type_is_its_text() -> None:
    class Point:
        def __str__(self) -> str:
            return "POINT(1 2)"

    rows = [{"$type": "date", "value": "2024-01-02"}, {"$type": "x", "value": Point()}]
    assert typed_rows.loads(typed_rows.dumps(rows)) == [{"$type": "date", "value": "2024-01-02"},
                                                        {"$type": "x", "value": "POINT(1 2)"}]
    assert typed_rows.loads(typed_rows.dumps([])) == []


def test_a_file_holds_one_table_a_line_and_a_missing_file_is_none(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    assert typed_rows.read_tables(path) is None
    path.write_text(typed_rows.dumps([{"a": 1}]) + "\n" + typed_rows.dumps([{"b": Decimal("1.0")}]) + "\n")
    assert typed_rows.read_tables(path) == [[{"a": 1}], [{"b": Decimal("1.0")}]]
