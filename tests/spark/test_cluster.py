"""The plugin on a Spark standalone cluster through its Thrift server (dbt-spark's ``method:
thrift``): pytest's outcomes equal dbt's own ``dbt build`` over the same server, node by node,
serially and under ``-n 2`` (each worker a schema of its own on the one cluster)."""

from __future__ import annotations

import os
import re
import socket
import threading
from pathlib import Path

import pytest

from tests.helpers.verdicts import assert_follows_dbt, copy_project

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("spark_cluster")]
SPARKLY = Path(__file__).parents[1] / "projects" / "sparkly"


@pytest.mark.parametrize("mode", [(), ("-n", "2")], ids=["serial", "n2"])
def test_pytest_outcomes_follow_dbt_build_on_the_cluster(pytester, run_subprocess, shared_dir: Path, mode,
                                                         monkeypatch) -> None:
    # One cluster for the whole test run: each test (and each of its workers) in a schema of its own.
    monkeypatch.setenv("PLANALIGN_SPARK_SCHEMA", f"sparkly_{'n2' if mode else 'serial'}")
    pytester.makeini("[pytest]\n")
    project = copy_project(SPARKLY, pytester.path)
    result = run_subprocess(f"--dbt-project-dir={project.name}", "--dbt-select=*", "--dbt-target=thrift", *mode,
                            "--junitxml=report.xml", "-rA")
    assert_follows_dbt(SPARKLY, project, pytester.path / "report.xml", result.ret, shared_dir, "--target", "thrift")
    assert result.parseoutcomes() == {"failed": 3, "passed": 8, "skipped": 1, "warnings": 1, "errors": 1,
                                      "dq_failed": 1}
    stdout = result.stdout.str()
    assert "a column the SQL names is not in its input" in stdout and "Spark has no such table or view" in stdout


def test_a_thrift_server_down_before_the_run_is_one_line_and_exit_4(pytester, run_subprocess, monkeypatch) -> None:
    pytester.makeini("[pytest]\n")
    project = copy_project(SPARKLY, pytester.path)
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("PLANALIGN_SPARK_THRIFT_PORT", str(port))
    result = run_subprocess(f"--dbt-project-dir={project.name}", "--dbt-select=*", "--dbt-target=thrift")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: dbt: the spark server at 127.0.0.1:{port} does not answer (*)*"])
    assert not (project / "target" / "run_results.json").exists()


def test_a_server_that_drops_every_connection_errors_every_item_never_passes(pytester, run_subprocess,
                                                                             monkeypatch) -> None:
    """A build that never reached its nodes (every connection dropped): each item errors with
    the database's words; none passes (they once passed as "missing")."""
    pytester.makeini("[pytest]\n")
    project = copy_project(SPARKLY, pytester.path)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("PLANALIGN_SPARK_THRIFT_PORT", str(port))
    # A listener that accepts and closes: the check before the run sees a server; dbt cannot talk to it.
    closer = socket.socket()
    closer.bind(("127.0.0.1", port))
    closer.listen()
    stop = threading.Event()

    def drop() -> None:
        closer.settimeout(0.2)
        while not stop.is_set():
            try:
                closer.accept()[0].close()
            except OSError:
                continue

    dropper = threading.Thread(target=drop, daemon=True)
    dropper.start()
    try:
        result = run_subprocess(f"--dbt-project-dir={project.name}", "--dbt-select=*", "--dbt-target=thrift",
                                "--dbt-retries=0")
    finally:
        stop.set()
        dropper.join()
        closer.close()
    outcomes = result.parseoutcomes()
    assert result.ret == pytest.ExitCode.TESTS_FAILED and "passed" not in outcomes and outcomes["errors"] == 14
    assert "TTransportException" in result.stdout.str() or "Thrift" in result.stdout.str()


SCENARIOS = """
import pytest

@pytest.mark.parametrize("name", ["north", "south", "east"])
def test_scenario(dbt_scenario, name):
    dbt = dbt_scenario(name)
    assert dbt.build("+daily").success
    assert sorted(r["net"] for r in dbt.rows("daily")) == [5, 7, 12]
"""


def test_scenarios_on_the_cluster_with_two_workers_get_a_schema_each(pytester, run_subprocess, monkeypatch) -> None:
    """Each worker and each scenario builds in a schema of its own on the one cluster."""
    from pyhive import hive

    monkeypatch.setenv("PLANALIGN_SPARK_SCHEMA", "sparkly_scen")
    pytester.makeini("[pytest]\n")
    project = copy_project(SPARKLY, pytester.path)
    pytester.makepyfile(test_scenarios=SCENARIOS)
    result = run_subprocess(f"--dbt-project-dir={project.name}", "--dbt-target=thrift", "-n", "2", "-v")
    assert result.parseoutcomes() == {"passed": 3}
    with hive.connect("127.0.0.1", port=int(os.environ["PLANALIGN_SPARK_THRIFT_PORT"]), username="t") as con:
        cursor = con.cursor()
        cursor.execute("show schemas like 'sparkly_scen*'")
        schemas = {row[0] for row in cursor.fetchall()}
    assert {re.sub(r"_gw\d$", "", s) for s in schemas} == {f"sparkly_scen_{n}" for n in ("north", "south", "east")}
    assert all(re.search(r"_gw\d$", s) for s in schemas)  # each in its worker's schema
