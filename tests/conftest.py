"""Shared fixtures: copies of the test dbt projects, a DuckDB lock holder, pytester helpers."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
PROJECTS = TESTS / "projects"
EXAMPLE_PROJECT = TESTS.parent / "example_project"
HOLD_LOCK = TESTS / "helpers" / "hold_lock.py"
IGNORE = shutil.ignore_patterns("target", "logs", "*.duckdb", "*.duckdb.wal", "dbt_packages")


@pytest.fixture
def copy_project(tmp_path: Path) -> Callable[[str], Path]:
    """Copy tests/projects/<name> (or "example_project") into a fresh tmp dir."""

    def copy(name: str) -> Path:
        source = EXAMPLE_PROJECT if name == "example_project" else PROJECTS / name
        dest = tmp_path / name
        shutil.copytree(source, dest, ignore=IGNORE)
        return dest

    return copy


class LockHolder:
    """A real second process holding a DuckDB file's write lock."""

    def __init__(self, db_path: Path, seconds: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HOLD_LOCK), str(db_path), str(seconds)],
            stdout=subprocess.PIPE, text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line.strip() == "locked", f"lock holder failed to start: {line!r}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


@pytest.fixture
def hold_lock() -> Iterator[Callable[[Path, float], LockHolder]]:
    """Start a process that holds a DuckDB file for ``seconds``; always stopped after the test."""
    holders: list[LockHolder] = []

    def start(db_path: Path, seconds: float) -> LockHolder:
        holder = LockHolder(db_path, seconds)
        holders.append(holder)
        return holder

    yield start
    for holder in holders:
        holder.stop()


def duckdb_is_free(db_path: Path) -> bool:
    """True when another process can open ``db_path`` for writing right now."""
    code = "import duckdb, sys; duckdb.connect(sys.argv[1]).close()"
    return subprocess.run([sys.executable, "-c", code, str(db_path)], capture_output=True).returncode == 0

@pytest.fixture
def dbt_project(pytester: pytest.Pytester) -> Callable[[str], Path]:
    """Copy a test project into the pytester dir (so node ids read <name>/models/...)."""
    pytester.makeini("[pytest]\n")  # the pytester dir is the rootdir

    def copy(name: str) -> Path:
        source = EXAMPLE_PROJECT if name == "example_project" else PROJECTS / name
        dest = pytester.path / name
        shutil.copytree(source, dest, ignore=IGNORE)
        return dest

    return copy


@pytest.fixture
def run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Callable[..., pytest.RunResult]:
    """pytest in a subprocess (dbt keeps process-global state), with a clean dbt env."""
    for name in ("DBT_PROJECT_DIR", "DBT_PROFILES_DIR", "DBT_TARGET", "DBT_THREADS", "DBT_FULL_REFRESH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "120")

    def go(*args: str) -> pytest.RunResult:
        return pytester.runpytest_subprocess("-p", "no:randomly", *args)

    return go
