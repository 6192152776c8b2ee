"""DuckDB: a database file per worker, its one-writer lock, its handle held between calls.

DuckDB allows one writing process per database file. Each xdist worker or scenario gets a file
of its own (``sim.duckdb`` -> ``sim-gw0.duckdb``), and relative paths are made absolute (an
in-process run cannot ``cd`` into the project: the working directory is the process's). A file
another process holds is waited for; dbt-duckdb keeps its database handle open between calls
(dbt-core#11980, dbt-duckdb#616): it is closed after each in-process call, so the file is free.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .base import Engine, matches

REMOTE_PREFIXES = ("/", ":memory:", "md:", "motherduck:", "s3:", "gs:", "gcs:", "az:", "http:", "https:")
LOCK_HOLDER = re.compile(
    r'Could not set lock on file "(?P<file>[^"]+)": Conflicting lock is held in (?P<exe>.+?) '
    r"\(PID (?P<pid>\d+)\)"
)


def serves(output: Mapping[str, Any]) -> bool:
    return output.get("type") == "duckdb"


def with_suffix(path: str, suffix: str) -> str:
    """``sim.duckdb`` + ``-gw0`` -> ``sim-gw0.duckdb`` (one database file per worker/scenario)."""
    if not suffix or path.startswith(REMOTE_PREFIXES[1:]):
        return path
    head, dot, ext = path.rpartition(".")
    if dot and "/" not in ext:
        return f"{head}{suffix}.{ext}"
    return path + suffix


def absolute_path_value(value: str, project_dir: Path, suffix: str = "") -> str:
    """A DuckDB ``path:`` that no longer depends on the current directory (plus a suffix)."""
    base = str(project_dir).rstrip("/") + "/"
    if "{{" not in value and "{%" not in value:
        if value.startswith(REMOTE_PREFIXES[1:]):
            return value
        if not value.startswith(("/", "~")):
            value = base + value
        return with_suffix(value, suffix)
    # Rendered by dbt, then made absolute the same way (Jinja's block set keeps any template).
    prefixes = ", ".join(repr(p) for p in REMOTE_PREFIXES)
    remote = ", ".join(repr(p) for p in REMOTE_PREFIXES[1:])
    rendered = (
        "{%- set _planalign_path -%}" + value + "{%- endset -%}"
        "{%- set _planalign_path = _planalign_path if _planalign_path.startswith((" + prefixes
        + ")) else '" + base + "' ~ _planalign_path -%}"
    )
    if not suffix:
        return rendered + "{{ _planalign_path }}"
    return rendered + (
        "{%- if _planalign_path.startswith((" + remote + ")) -%}{{ _planalign_path }}"
        "{%- elif _planalign_path.rpartition('.')[1] and '/' not in _planalign_path.rpartition('.')[2] -%}"
        "{{ _planalign_path.rpartition('.')[0] ~ '" + suffix + ".' ~ _planalign_path.rpartition('.')[2] }}"
        "{%- else -%}{{ _planalign_path ~ '" + suffix + "' }}{%- endif -%}"
    )


def isolate(output: dict[str, Any], project_dir: Path, suffix: str) -> bool:
    """The output's ``path`` made absolute, with the worker's suffix."""
    path = output.get("path")
    if not isinstance(path, str) or not path:
        return False
    new = absolute_path_value(path, project_dir, suffix)
    output["path"] = new
    return new != path


def lock_holder(message: str) -> Mapping[str, str] | None:
    found = LOCK_HOLDER.search(message)
    return found.groupdict() if found else None


def _lock_fix(message: str) -> str | None:
    lock = lock_holder(message)
    if lock is None:
        return None
    return (
        f"another process (PID {lock['pid']}, {lock['exe']}) holds the DuckDB file {lock['file']}: "
        f"close that process (or `kill {lock['pid']}` if it is stale), or point the profile's path at "
        "another database file"
    )


def release() -> None:
    """Close dbt-duckdb's shared database handle (``DuckDBConnectionManager._ENV``, guarded by
    ``_LOCK``): it holds the file's lock until it is closed."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # pragma: no cover - dbt-duckdb not installed
        return
    with DuckDBConnectionManager._LOCK:
        env = DuckDBConnectionManager._ENV
        if env is not None:
            with contextlib.suppress(Exception):
                env.close()
            DuckDBConnectionManager._ENV = None


ENGINE = Engine(
    name="duckdb",
    serves=serves,
    isolate=isolate,
    transient=tuple(re.compile(p, re.IGNORECASE) for p in (r"Could not set lock on file", r"Conflicting lock is held")),
    lock_holder=lock_holder,
    fixes=(
        _lock_fix,
        matches(r"same database file with a different configuration|operations are disabled by configuration",
                "another DuckDB connection in this process holds this database file with other settings (e.g. "
                "an orchestrator's own connections with external access disabled): close it before dbt runs; "
                "compat.DbtRunner(db_manager=...) closes them before every call"),
    ),
    data_suffixes=(".duckdb", ".duckdb.wal"),
    release=release,
)
