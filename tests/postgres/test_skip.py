"""No server: the PostgreSQL tests skip with the reason, or fail when CI requires them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
USES_SERVER = """
from tests.postgres.conftest import postgres_server

def test_needs_server(postgres_server):
    pass
"""


@pytest.mark.parametrize(("required", "outcome"), [("0", {"skipped": 1}), ("1", {"errors": 1})])
def test_unreachable_server(pytester, monkeypatch, required, outcome) -> None:
    monkeypatch.setenv("PYTHONPATH", f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    monkeypatch.setenv("PLANALIGN_PG_PORT", "1")  # nothing listens there
    monkeypatch.setenv("PLANALIGN_REQUIRE_POSTGRES", required)
    pytester.makepyfile(test_pg=USES_SERVER)
    result = pytester.runpytest_subprocess("-rs", "-p", "no:cacheprovider")
    assert result.parseoutcomes() == outcome
    result.stdout.fnmatch_lines(["*no PostgreSQL server at 127.0.0.1:1 (*"])
    if required == "1":
        result.stdout.fnmatch_lines(["*PLANALIGN_REQUIRE_POSTGRES=1 but no PostgreSQL server*"])
