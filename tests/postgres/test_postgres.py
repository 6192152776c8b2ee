"""The same behaviour on a PostgreSQL server (dbt-postgres): outcomes, fixtures, scenarios, retries."""

from __future__ import annotations

import shutil
import socket
import threading
import time

import pytest

from pytest_planalign_dbt import DbtRunner, RetryPolicy

from ..helpers.verdicts import junit_by_name as _outcomes
from .conftest import connect

pytestmark = pytest.mark.integration


def test_holdout_gives_the_same_outcomes_on_postgres_as_on_duckdb(dbt_project, run, pytester, pg_schema) -> None:
    project = dbt_project("holdout")
    duck = run("--dbt-project-dir", "holdout", "--dbt-select", "*", "--junitxml=duckdb.xml")
    shutil.rmtree(project / "target")
    pg = run("--dbt-project-dir", "holdout", "--dbt-select", "*", "--dbt-target", "postgres",
             "--junitxml=postgres.xml", "-v")
    assert pg.ret == duck.ret == 1
    assert pg.parseoutcomes() == duck.parseoutcomes() == {
        "failed": 1, "passed": 5, "skipped": 2, "warnings": 1, "errors": 1, "dq_failed": 1}
    assert _outcomes(pytester.path / "postgres.xml") == _outcomes(pytester.path / "duckdb.xml")
    pg.stdout.fnmatch_lines(["dbt: project holdout (*), target postgres, adapter postgres 1.*",
                             "*Database Error in model runtime_error_model*",
                             "*invalid input syntax for type integer*"])


def test_fixtures_on_postgres(dbt_project, run, pytester, pg_schema) -> None:
    from ..plugin.test_fixtures import USER_TESTS

    dbt_project("minimal")
    pytester.makepyfile(test_user=USER_TESTS)
    result = run("--dbt-project-dir", "minimal", "--dbt-target", "postgres", "--dbt-vars", '{"multiplier": 5}')
    assert result.parseoutcomes() == {"passed": 6}


SCENARIOS_ON_MINIMAL = """
import pytest


@pytest.mark.parametrize("multiplier", [2, 3])
def test_scenario(dbt_scenario, multiplier):
    dbt = dbt_scenario(f"times{multiplier}", {"multiplier": multiplier})
    assert dbt.build().success
    assert sorted(r["n"] for r in dbt.rows("scaled")) == [multiplier, 2 * multiplier, 3 * multiplier]
"""


def test_scenarios_on_postgres_with_two_workers_get_a_schema_each(dbt_project, run, pytester, pg_schema) -> None:
    """The scenario pattern (tests/plugin/test_xdist.py runs it on example_project) on a server:
    each scenario and worker builds into its own schema."""
    dbt_project("minimal")
    pytester.makepyfile(test_scenarios=SCENARIOS_ON_MINIMAL)
    result = run("--dbt-project-dir", "minimal", "--dbt-target", "postgres", "-n", "2", "-v")
    assert result.ret == 0, result.stdout.str()[-3000:]
    assert result.parseoutcomes()["passed"] == 2
    workers = {line.split("]")[0].lstrip("[") for line in result.stdout.lines if line.startswith("[gw")}
    assert workers == {"gw0", "gw1"}
    con = connect()
    with con.cursor() as cur:
        cur.execute("select table_schema from information_schema.tables where table_name = 'scaled'"
                    " and table_schema like %s order by 1", (pg_schema + "%",))
        schemas = [row[0] for row in cur.fetchall()]
    con.close()
    # <schema>_<scenario>_<worker>: the names of the test's own scenarios, one on each worker.
    assert sorted(s[len(pg_schema) + 1:].split("_")[0] for s in schemas) == ["times2", "times3"], schemas
    assert sorted(s.rsplit("_", 1)[-1] for s in schemas) == ["gw0", "gw1"], schemas


def test_a_dropped_session_mid_build_is_retried_and_succeeds(copy_project, pg_schema) -> None:
    project = copy_project("minimal")
    (project / "models" / "sleepy.sql").write_text(
        "{{ config(materialized='table') }}\nselect 1 as n from pg_sleep(3)\n"
    )
    runner = DbtRunner(project, target="postgres",
                       retry_policy=RetryPolicy(max_attempts=3, base_delay=0.2, jitter=0))
    killed: list[int] = []

    def kill_once() -> None:
        deadline = time.monotonic() + 60
        con = connect()
        con.autocommit = True  # a fresh pg_stat_activity snapshot on every query
        with con.cursor() as cur:
            while not killed and time.monotonic() < deadline:
                cur.execute("select pid from pg_stat_activity where query like %s and pid <> pg_backend_pid()",
                            ("%pg_sleep(3)%",))
                for (pid,) in cur.fetchall():
                    cur.execute("select pg_terminate_backend(%s)", (pid,))
                    killed.append(pid)
                time.sleep(0.1)
        con.close()

    killer = threading.Thread(target=kill_once)
    killer.start()
    lines: list[str] = []
    result = runner.execute_command(["run"], on_line=lines.append)
    killer.join()
    assert killed, "the session was never terminated"
    assert result.success and result.attempts == 2
    assert {n.name: n.status for n in result.nodes} == {
        "base_numbers": "success", "scaled": "success", "sleepy": "success"}
    # psycopg2 reports the terminated session as a closed connection: transient, retried.
    assert "  server closed the connection unexpectedly" in lines
    # The retry re-ran only the node that lost its session.
    assert [line for line in lines if line.startswith("Done.")][-1].endswith("TOTAL=1")


def test_slim_ci_defers_unbuilt_parents_to_the_production_schema(dbt_project, run, pytester, pg_schema,
                                                                  monkeypatch) -> None:
    project = dbt_project("minimal")
    args = ("--dbt-project-dir", "minimal", "--dbt-target", "postgres", "--dbt-select", "*", "-v")
    monkeypatch.setenv("PLANALIGN_PG_SCHEMA", pg_schema + "_prod")
    assert run(*args).ret == 0  # production: everything, in its own schema
    prod = pytester.path / "prod"
    prod.mkdir()
    shutil.copy(project / "target" / "manifest.json", prod / "manifest.json")

    monkeypatch.setenv("PLANALIGN_PG_SCHEMA", pg_schema)  # a CI schema, empty
    (project / "models" / "scaled.sql").write_text(
        "select n * {{ var('multiplier') }} + 1 as n from {{ ref('base_numbers') }}\n")
    result = run(*args, "--dbt-state", "prod", "--dbt-defer")
    assert result.ret == 0, result.stdout.str()[-3000:]
    result.stdout.fnmatch_lines(["dbt: 1 of 2 selected node(s) changed since --dbt-state */prod *deferred*",
                                 "*minimal/models/scaled.sql::scaled PASSED*"])
    con = connect()
    with con.cursor() as cur:
        cur.execute("select table_schema, table_name from information_schema.tables "
                    "where table_schema in (%s, %s) order by 1, 2", (pg_schema, pg_schema + "_prod"))
        tables = cur.fetchall()
        cur.execute(f'select n from "{pg_schema}".scaled order by n')
        rows = [r[0] for r in cur.fetchall()]
    con.close()
    # base_numbers was read from production's schema, never built in the CI schema.
    assert (pg_schema, "base_numbers") not in tables and (pg_schema, "scaled") in tables
    assert (pg_schema + "_prod", "base_numbers") in tables
    assert rows == [2, 3, 4]  # n * multiplier (1) + 1: the changed model's new SQL


def test_a_server_that_does_not_answer_is_one_line_and_exit_4_before_anything_runs(
        dbt_project, run, pytester, pg_schema, monkeypatch) -> None:
    """Every node would error for the same reason after a listing and a build tried it: the
    session says it once, with the address as dbt renders the profile."""
    project = dbt_project("minimal")
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("PLANALIGN_PG_PORT", str(port))
    result = run("--dbt-project-dir", "minimal", "--dbt-select", "*", "--dbt-target", "postgres")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: dbt: the postgres server at 127.0.0.1:{port} does not answer (*): "
                                 "start it, or point the profile's host and port at one that runs"])
    assert not (project / "target" / "run_results.json").exists()  # nothing ran


def test_a_server_gone_for_good_names_its_address_once_the_retries_are_spent(copy_project, pg_schema,
                                                                               monkeypatch) -> None:
    """The runner (no pytest around it): a refused connection is transient and retried; spent,
    the error's fix names the server as dbt renders the profile, and what to do."""
    from pytest_planalign_dbt import DbtTransientError

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("PLANALIGN_PG_PORT", str(port))
    runner = DbtRunner(copy_project("minimal"), target="postgres",
                       retry_policy=RetryPolicy(max_attempts=2, base_delay=0.1, lock_wait=0))
    with pytest.raises(DbtTransientError) as caught:
        runner.execute_command(["run"], stream_output=False)
    assert caught.value.fix.startswith(f"the postgres server at 127.0.0.1:{port} does not answer")
    assert caught.value.result is not None and caught.value.result.attempts == 2


def test_a_profile_dbt_cannot_render_is_left_for_dbt_to_say(copy_project, monkeypatch) -> None:
    """The check before the run asks nothing of a profile it cannot render: dbt says why."""
    project = copy_project("minimal")
    profiles = (project / "profiles.yml").read_text().replace(
        "\"{{ env_var('PLANALIGN_PG_HOST', '127.0.0.1') }}\"", "\"{{ env_var('PLANALIGN_NO_SUCH_HOST_VAR') }}\"")
    (project / "profiles.yml").write_text(profiles)
    monkeypatch.delenv("PLANALIGN_NO_SUCH_HOST_VAR", raising=False)
    assert DbtRunner(project, target="postgres").unanswered() is None
