"""Rows as the database driver returned them, carried from a dbt child process to this one.

``dbt show --output json`` prints every value as JSON knows it: a DECIMAL becomes a float, a
date a string. The subprocess executor's child (dbt_cli.py) also writes each shown table's
driver rows here, as one JSON line per table in which a value JSON has no type for is tagged
(``{"$type": "decimal", "value": "123.45"}``), so ``query``, ``rows`` and ``show`` give the same
values from both executors. No pickle: the file is data, read with ``json``.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

# The environment variable that names the file the child writes the rows to.
ROWS_FILE_ENV = "PLANALIGN_DBT_ROWS_FILE"
TAG = "$type"

# type -> (tag, to text); checked in order (datetime before date: it is a date).
_ENCODERS: tuple[tuple[type, str, Callable[[Any], str]], ...] = (
    (decimal.Decimal, "decimal", str),
    (dt.datetime, "datetime", dt.datetime.isoformat),
    (dt.date, "date", dt.date.isoformat),
    (dt.time, "time", dt.time.isoformat),
    (dt.timedelta, "timedelta", lambda v: repr(v.total_seconds())),
    (uuid.UUID, "uuid", str),
    (bytes, "bytes", lambda v: base64.b64encode(v).decode("ascii")),
    (bytearray, "bytes", lambda v: base64.b64encode(bytes(v)).decode("ascii")),
    (memoryview, "bytes", lambda v: base64.b64encode(v.tobytes()).decode("ascii")),
)
_DECODERS: dict[str, Callable[[str], Any]] = {
    "decimal": decimal.Decimal,
    "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
    "time": dt.time.fromisoformat,
    "timedelta": lambda text: dt.timedelta(seconds=float(text)),
    "uuid": uuid.UUID,
    "bytes": base64.b64decode,
}


def _default(value: Any) -> Any:
    for kind, tag, text in _ENCODERS:
        if isinstance(value, kind):
            return {TAG: tag, "value": text(value)}
    return str(value)  # a type of a driver we do not know: its text, as dbt's preview gives it


def _object(pairs: dict[str, Any]) -> Any:
    if len(pairs) == 2 and pairs.get(TAG) in _DECODERS and isinstance(pairs.get("value"), str):
        return _DECODERS[pairs[TAG]](pairs["value"])
    return pairs


def dumps(rows: Iterable[Mapping[str, Any]]) -> str:
    """One table's rows as one line of JSON: its column names once, then each row's values
    (so a row is never read as a tagged value, whatever its columns are called)."""
    rows = list(rows)
    columns = list(rows[0]) if rows else []
    return json.dumps({"columns": columns, "rows": [[row.get(c) for c in columns] for row in rows]},
                      default=_default, separators=(",", ":"))


def loads(line: str) -> list[dict[str, Any]]:
    """The rows of one line ``dumps`` wrote, their values typed again."""
    table = json.loads(line, object_hook=_object)
    return [dict(zip(table["columns"], values)) for values in table["rows"]]


def read_tables(path: Path) -> list[list[dict[str, Any]]] | None:
    """Each table the child wrote to ``path`` (None when it wrote nothing)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    return [loads(line) for line in text.splitlines() if line.strip()]
