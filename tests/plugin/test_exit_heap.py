"""pytest's exit collections over a frozen heap (pytest_planalign_dbt/exit_heap.py), in a fresh
process as a user runs pytest: frozen while pytest collects at unconfigure, thawed by the last
cleanup, and an unraisable exception pytest would report is still reported."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.integration

PROBE = """
import atexit, gc, json, os
import pytest

class Cycle:
    def __del__(self):
        raise RuntimeError("raised by a cyclic object's __del__")

def pytest_collection_finish(session):
    a, b = Cycle(), Cycle()
    a.other, b.other = b, a  # garbage only a collection finds

def _write(record):
    with open(os.path.join(os.path.dirname(__file__), "heap.jsonl"), "a") as f:
        f.write(json.dumps(record) + "\\n")

@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):  # after pytest's own collection at unconfigure
    _write({"at": "unconfigure", "frozen": gc.get_freeze_count()})

atexit.register(lambda: _write({"at": "exit", "frozen": gc.get_freeze_count()}))
"""


def test_pytest_collects_at_exit_over_a_frozen_heap_and_reports_what_it_would(
        dbt_project, run_subprocess, pytester) -> None:
    dbt_project("minimal")
    pytester.makeconftest(PROBE)
    result = run_subprocess("--dbt-project-dir", "minimal", "--dbt-select", "*", "--collect-only")
    assert result.ret == 0, result.stdout.str()[-2000:]
    records = [json.loads(line) for line in (pytester.path / "heap.jsonl").read_text().splitlines()]
    assert [r["at"] for r in records] == ["unconfigure", "exit"]
    assert records[0]["frozen"] > 10_000  # dbt's modules, out of pytest's walks
    assert records[1]["frozen"] == 0  # nothing stays frozen
    assert "PytestUnraisableExceptionWarning" in result.stderr.str()
    assert "raised by a cyclic object's __del__" in result.stderr.str()
