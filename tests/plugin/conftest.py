"""pytester helpers: dbt projects copied into the pytester dir, pytest run in a subprocess."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from ..conftest import EXAMPLE_PROJECT, IGNORE, PROJECTS


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
