"""Faults on a real Spark cluster, produced for real on a cluster of the module's own (the other
cluster tests keep theirs): the Thrift server restarted mid-build, a worker lost mid-build."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers.verdicts import copy_project

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("spark_cluster"),
              pytest.mark.xdist_group("spark_fault_cluster")]
SPARKLY = Path(__file__).parents[1] / "projects" / "sparkly"


@pytest.fixture(scope="module")
def own_cluster(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A cluster of its own (a master, two workers, a Thrift server) for tests that break it."""
    from tests.helpers.spark_cluster import SparkCluster

    cluster = SparkCluster(tmp_path_factory.mktemp("fault-cluster")).start()
    try:
        yield cluster
    finally:
        cluster.stop()


def _started_building(project: Path) -> bool:
    log = project / "logs" / "dbt.log"
    return log.is_file() and "Began running node" in log.read_text(errors="replace")


CLEAN = {"failed": 3, "passed": 8, "skipped": 1, "warning": 1, "error": 1, "dq_failed": 1}


def _build_and_break(pytester, cluster, monkeypatch, schema: str, brk) -> tuple[dict[str, int], str]:  # type: ignore[no-untyped-def]
    """Run the plugin on sparkly over ``cluster``, call ``brk`` once dbt runs its first node;
    the outcomes (pytest's last line) and the output."""
    pytester.makeini("[pytest]\n")
    project = copy_project(SPARKLY, pytester.path)
    monkeypatch.setenv("PLANALIGN_SPARK_THRIFT_PORT", str(cluster.thrift_port))
    monkeypatch.setenv("PLANALIGN_SPARK_SCHEMA", schema)
    monkeypatch.setenv("PLANALIGN_SPARK_CONNECT_RETRIES", "40")
    proc = subprocess.Popen([sys.executable, "-m", "pytest", f"--dbt-project-dir={project.name}", "--dbt-select=*",
                             "--dbt-target=thrift", "-p", "no:cacheprovider", "-q", "--dbt-retries=3"],
                            cwd=pytester.path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 240
    while not _started_building(project) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert proc.poll() is None, "the build ended before the cluster could be broken"
    brk()
    out, _ = proc.communicate(timeout=600)  # never a hang
    summary = out.strip().splitlines()[-1]
    return {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", summary.split(" in ")[0])}, out


def test_a_thrift_server_restarted_mid_build_gives_the_same_outcomes(pytester, own_cluster, monkeypatch) -> None:
    """The server killed while the build runs, then started again on its port: dbt-spark
    connects again (the profile's connect_retries), a node that lost its connection is a
    transient failure the runner retries; the outcomes are a clean build's, and nothing hangs."""
    def restart() -> None:
        own_cluster.kill("thrift")
        own_cluster.start_thrift()

    outcomes, out = _build_and_break(pytester, own_cluster, monkeypatch, "sparkly_restart", restart)
    assert outcomes == CLEAN, out[-3000:]


def test_a_worker_lost_mid_build_gives_the_same_outcomes(pytester, own_cluster, monkeypatch) -> None:
    """A worker process killed while the build runs: Spark runs its tasks on the other one."""
    victim = next(n for n in own_cluster.pids if n.startswith("worker"))
    outcomes, out = _build_and_break(pytester, own_cluster, monkeypatch, "sparkly_worker",
                                     lambda: own_cluster.kill(victim))
    assert outcomes == CLEAN, out[-3000:]
