"""Faults on a real Spark cluster, produced for real on a cluster of the module's own (the other
cluster tests keep theirs): the Thrift server restarted mid-build, a worker lost mid-build, a
query killed by the cluster's operator."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers.verdicts import copy_project

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("thrift_client"),
              pytest.mark.xdist_group("spark_fault_cluster")]
SPARKLY = Path(__file__).parents[1] / "projects" / "sparkly"


@pytest.fixture(scope="module")
def own_cluster(thrift_client, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A cluster of its own (a master, two workers, a Thrift server) for tests that break it."""
    from tests.helpers.spark_cluster import SparkCluster

    from tests.helpers.spark_cluster import free_port

    cluster = SparkCluster(tmp_path_factory.mktemp("fault-cluster"), ui_port=free_port()).start()
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


def test_a_query_killed_on_the_cluster_is_an_execution_error_naming_it(pytester, own_cluster, monkeypatch) -> None:
    """An operator kills the running Spark job (the UI's kill): the node fails as an execution
    error with Spark's words for it, at once; nothing hangs."""
    pytester.makeini("[pytest]\n")
    project = copy_project(SPARKLY, pytester.path)
    (project / "models" / "slow_sum.sql").write_text("select sum(id * 2) as total from range(0, 500000000000)\n")
    monkeypatch.setenv("PLANALIGN_SPARK_THRIFT_PORT", str(own_cluster.thrift_port))
    monkeypatch.setenv("PLANALIGN_SPARK_SCHEMA", "sparkly_kill")
    proc = subprocess.Popen([sys.executable, "-m", "pytest", f"--dbt-project-dir={project.name}",
                             "--dbt-select=slow_sum", "--dbt-target=thrift", "-p", "no:cacheprovider", "-q",
                             "--dbt-retries=0"],
                            cwd=pytester.path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline, jobs = time.monotonic() + 240, []
    while not jobs and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.5)
        jobs = own_cluster.running_jobs()
    assert jobs, "the slow query never ran as a Spark job"
    own_cluster.kill_job(jobs[0])
    out, _ = proc.communicate(timeout=300)  # never a hang
    assert proc.returncode == 1, out[-3000:]
    assert out.strip().splitlines()[-1].startswith("1 failed"), out[-3000:]
    assert "dbt execution error: model slow_sum" in out and "cancel" in out.lower(), out[-3000:]
