"""The same plugin on Apache Spark (dbt-spark, ``method: session``: Spark inside the process):
pytest's outcomes equal dbt's own ``dbt build`` node by node, serially and under ``-n 2``; each
worker and scenario a metastore and schema of its own; no Java is one line and exit 4."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.helpers.verdicts import assert_follows_dbt, copy_project, junit_by_name

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("spark_session")]
SPARKLY = Path(__file__).parents[1] / "projects" / "sparkly"


@pytest.mark.parametrize("mode", [(), ("-n", "2")], ids=["serial", "n2"])
def test_pytest_outcomes_follow_dbt_build_on_spark(pytester, run_subprocess, shared_dir: Path, mode) -> None:
    # A process of its own: a Spark session keeps its first settings for the life of the process.
    pytester.makeini("[pytest]\n")
    project = copy_project(SPARKLY, pytester.path)
    result = run_subprocess(f"--dbt-project-dir={project.name}", "--dbt-select=*", *mode, "--junitxml=report.xml", "-rA")
    assert_follows_dbt(SPARKLY, project, pytester.path / "report.xml", result.ret, shared_dir)
    assert result.parseoutcomes() == {"failed": 3, "passed": 8, "skipped": 1, "warnings": 1, "errors": 1,
                                      "dq_failed": 1}
    outcomes = {name.rpartition("::")[2]: outcome.split(":")[0]
                for name, outcome in junit_by_name(pytester.path / "report.xml").items()}
    assert outcomes["compile_error"] == "error" and outcomes["child_of_broken"] == "skipped"
    assert outcomes["broken_runtime"] == outcomes["unresolved_column"] == outcomes["missing_table"] == "failed"
    stdout = result.stdout.str()
    assert "broken_runtime fails on purpose" in stdout and "no_such_column" in stdout
    assert "a column the SQL names is not in its input" in stdout  # the fix line of each analysis error
    assert "Spark has no such table or view" in stdout
    assert (project / "target" / "spark" / "metastore").is_dir()  # not the working directory's


SCENARIOS = """
import pytest

@pytest.mark.parametrize("name", ["north", "south"])
def test_scenario(dbt_scenario, name):
    dbt = dbt_scenario(name)
    assert dbt.build("+daily").success
    assert sorted(r["net"] for r in dbt.rows("daily")) == [5, 7, 12]
"""


def test_scenarios_on_spark_with_two_workers_get_a_schema_and_a_metastore_each(pytester, run) -> None:
    pytester.makeini("[pytest]\n")
    project = copy_project(SPARKLY, pytester.path)
    pytester.makepyfile(test_scenarios=SCENARIOS)
    result = run(f"--dbt-project-dir={project.name}", "-n", "2", "-v")
    assert result.parseoutcomes() == {"passed": 2}
    assert "Another instance of Derby" not in result.stdout.str() + result.stderr.str()
    homes = sorted(p.name for p in (project / "target").glob("spark-*") if (p / "metastore").is_dir())
    workers = set(re.findall(r"\[(gw\d)\] .*PASSED", result.stdout.str()))
    # The first scenario of each worker process starts its session: one metastore per worker.
    assert len(homes) == len(workers) and all(h.endswith(tuple(workers)) for h in homes)
    for home in homes:
        schemas = {p.name for p in (project / "target" / home / "warehouse").glob("*.db")}
        assert schemas and all(s.startswith("sparkly_") for s in schemas), schemas


def test_no_java_is_one_line_and_exit_4_before_anything_is_built(pytester, run, monkeypatch) -> None:
    pytester.makeini("[pytest]\n")
    project = copy_project(SPARKLY, pytester.path)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep)
                                               if not (Path(p) / "java").exists()))
    result = run(f"--dbt-project-dir={project.name}", "--dbt-select=*")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["ERROR: the target runs Spark in this process (method: session), which needs Java: "
                                 "apt-get install openjdk-17-jre-headless*"])
    assert not (project / "target" / "run_results.json").exists()


LOST_SESSION = """
import json, sys
import psutil
from pyspark import SparkContext
from pytest_planalign_dbt import DbtRunner

runner = DbtRunner(sys.argv[1], threads=1)
run = lambda *args: runner.execute_command(list(args), stream_output=False, raise_on_error=False)
built = run("build", "--select", "raw_events", "stg_events", "--exclude", "resource_type:test").success
SparkContext._active_spark_context.stop()  # a session stopped: dbt-spark starts a new one
after_stop = run("run", "--select", "daily")
for child in psutil.Process().children(recursive=True):  # the JVM killed: nothing to start again
    if "java" in child.name():
        child.kill()
        child.wait(10)
after_kill = run("run", "--select", "daily_incremental")
print(json.dumps([built, after_stop.success, after_kill.success, after_kill.attempts,
                  type(after_kill.error).__name__, after_kill.error.fix if after_kill.error else None]))
"""


def test_a_stopped_session_starts_again_and_a_dead_jvm_is_named_not_retried(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    from tests.helpers.verdicts import cli_env

    project = copy_project(SPARKLY, tmp_path)
    proc = subprocess.run([sys.executable, "-c", LOST_SESSION, str(project)], capture_output=True, text=True,
                          env=cli_env(), timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    built, after_stop, after_kill, attempts, error, fix = json.loads(proc.stdout.strip().splitlines()[-1])
    assert built and after_stop and not after_kill
    assert attempts == 1 and error == "DbtExecutionError"  # not a busy server: no retry
    assert fix.startswith("start a new process: Spark's JVM cannot be started again in this one")


def test_a_profile_that_builds_its_spark_directories_with_jinja_under_two_workers(pytester, run) -> None:
    """The Derby home and warehouse written with env_var: rendered by dbt, then each worker's own
    (the unrendered text once became ``{{-gw0 env_var(...) }}``: a compilation error per worker)."""
    pytester.makeini("[pytest]\n")
    project = copy_project(SPARKLY, pytester.path)
    profiles = (project / "profiles.yml").read_text().replace(
        '        "spark.ui.enabled": "false"\n',
        '        "spark.ui.enabled": "false"\n'
        "        \"spark.sql.warehouse.dir\": \"{{ env_var('PA_SPARK_DIR', 'spark_jinja') }}/wh\"\n"
        "        \"spark.driver.extraJavaOptions\": \"-Dderby.system.home={{ env_var('PA_SPARK_DIR', 'spark_jinja') }}/derby\"\n")
    (project / "profiles.yml").write_text(profiles)
    pytester.makepyfile(test_scenarios=SCENARIOS)
    result = run(f"--dbt-project-dir={project.name}", "-n", "2", "-v")
    assert result.parseoutcomes() == {"passed": 2}
    workers = set(re.findall(r"\[(gw\d)\] .*PASSED", result.stdout.str()))
    homes = sorted(p.name for p in (project / "spark_jinja").iterdir())
    # Rendered, made the project's and given each worker's suffix (its first scenario's, as the
    # first scenario of a process starts its session): a Derby home and a warehouse per worker.
    assert sorted(re.sub(r"-(north|south)-", "-", h) for h in homes) == sorted(
        [f"derby-{w}" for w in workers] + [f"wh-{w}" for w in workers])
