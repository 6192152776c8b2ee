"""Every dbt outcome lands in its own pytest outcome (real dbt, real DuckDB)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.verdicts import copy_project as copy_with_packages

pytestmark = pytest.mark.integration

SELECT_ALL = ("--dbt-project-dir", "holdout", "--dbt-select", "*")


def test_warnings_and_passes_exit_zero(dbt_project, run) -> None:
    dbt_project("holdout")
    result = run("--dbt-project-dir", "holdout", "--dbt-select", "people good_model",
                 "--dbt-exclude", "assert_no_grace")
    assert result.ret == 0
    assert result.parseoutcomes() == {"passed": 5, "warnings": 1}


def test_collect_only_lists_nodes_and_builds_nothing(dbt_project, run) -> None:
    project = dbt_project("holdout")
    result = run(*SELECT_ALL, "--collect-only", "-q")
    assert result.ret == 0
    result.stdout.fnmatch_lines([  # folder by folder, each in dbt's order
        "holdout/seeds/people.csv::people",
        "holdout/tests/assert_no_grace.sql::assert_no_grace",
        "holdout/models/compile_error_model.sql::compile_error_model",
        "holdout/models/schema.yml::not_null_good_model_id",
        "10 tests collected*",
    ])
    assert not (project / "target" / "run_results.json").exists()
    assert not (project / "holdout.duckdb").exists()


def test_tags_are_markers_keywords_and_deselect_work(dbt_project, run) -> None:
    dbt_project("holdout")
    assert run("--dbt-project-dir", "holdout", "--dbt-select", "people").ret == 0  # the seed good_model reads
    # A model's data tests carry its tags, as dbt's `tag:nightly` selects them too.
    tagged = run(*SELECT_ALL, "-m", "nightly", "--strict-markers", "-v")
    assert tagged.ret == 1
    tagged.stdout.fnmatch_lines(["*assert_no_grace DQ_FAILED*", "*good_model PASSED*",
                                 "*4 passed, 5 deselected, 1 warning, 1 dq_failed*"])
    by_name = run(*SELECT_ALL, "-k", "good_model and not unique and not null", "-q")
    assert by_name.parseoutcomes() == {"passed": 1, "deselected": 9}
    deselected = run(*SELECT_ALL, "--deselect", "holdout/models/compile_error_model.sql::compile_error_model",
                     "--deselect", "holdout/tests/assert_no_grace.sql::assert_no_grace",
                     "--deselect", "holdout/models/runtime_error_model.sql::runtime_error_model")
    # child_of_error still runs against runtime_error_model's (never built) table: an execution error.
    outcomes = deselected.parseoutcomes()
    assert outcomes["deselected"] == 3 and outcomes["passed"] == 5 and "errors" not in outcomes


def test_last_failed_after_a_fix_reruns_only_what_failed(dbt_project, run) -> None:
    project = dbt_project("holdout")
    first = run(*SELECT_ALL)
    assert first.ret == 1
    # Reading the failing rows after the build (dbt show) never replaced its run_results.json.
    results = project / "target" / "run_results.json"
    assert len(json.loads(results.read_text())["results"]) == 10
    (project / "models" / "runtime_error_model.sql").write_text("select 1 as id\n")
    again = run(*SELECT_ALL, "--lf", "-v")
    again.stdout.fnmatch_lines(["*runtime_error_model PASSED*"])
    built = {r["unique_id"].split(".")[2] for r in json.loads(results.read_text())["results"]}
    assert built == {"compile_error_model", "runtime_error_model", "assert_no_grace"}
    # pytest's --lf does not even collect the files without failures (as for Python tests).
    assert again.parseoutcomes() == {"passed": 1, "errors": 1, "dq_failed": 1}
    again.stdout.fnmatch_lines(["run-last-failure: rerun previous 3 failures (skipped 4 files)"])
    # What dbt skipped because of them (dbt retry would run it again) is named, with a selection.
    again.stdout.fnmatch_lines(["dbt: --lf re-ran what failed; * node(s) dbt skipped because of it last time did "
                                "not run (dbt retry would): pytest --dbt-select '*runtime_error_model+*' runs them too"])


@pytest.mark.parametrize("flag", ["-x", "--sw"])
def test_fail_fast_stops_dbt_early(dbt_project, run, flag) -> None:
    project = dbt_project("holdout")
    result = run(*SELECT_ALL, flag, "-v")
    assert result.ret == (1 if flag == "-x" else 2)  # pytest's stepwise ends "Interrupted"
    # dbt itself stopped: --fail-fast left nodes it never ran.
    statuses = [(r["status"], r["message"]) for r in json.loads(
        (project / "target" / "run_results.json").read_text())["results"]]
    assert ("skipped", "Skipping due to fail_fast") in statuses
    assert sum(1 for s, _ in statuses if s in ("success", "pass")) < 5


def test_a_project_that_does_not_parse_is_one_collection_error(dbt_project, run) -> None:
    dbt_project("unparsable")
    result = run("--dbt-project-dir", "unparsable", "--dbt-select", "*")
    assert result.ret == 2
    result.stdout.fnmatch_lines([
        "*ERROR collecting unparsable*",
        "dbt could not list the selected nodes",
        "dbt compilation error",
        "*fix:*",
        "*1 error*",
    ])
    assert "Traceback" not in result.stdout.str()


def test_nothing_is_collected_from_dbt_without_a_selection(dbt_project, run, pytester) -> None:
    dbt_project("holdout")
    pytester.makepyfile(test_plain="def test_ok():\n    assert True\n")
    result = run("--dbt-project-dir", "holdout")
    assert result.parseoutcomes() == {"passed": 1}


def test_stream_prints_dbt_lines_while_building(dbt_project, run) -> None:
    dbt_project("holdout")
    result = run("--dbt-project-dir", "holdout", "--dbt-select", "people", "--dbt-stream")
    result.stdout.fnmatch_lines(["[[]dbt[]] *START seed file main.people*", "[[]dbt[]] *OK loaded seed file main.people*"])


def test_a_transient_failure_that_outlives_its_retries_is_an_error(dbt_project, run, hold_lock, monkeypatch) -> None:
    project = dbt_project("lockable")
    other = project / "other.duckdb"
    monkeypatch.setenv("LOCKABLE_OTHER_DB", str(other))
    holder = hold_lock(other, 120)
    result = run("--dbt-project-dir", "lockable", "--dbt-select", "*", "--dbt-retries", "1",
                 "--dbt-retry-delay", "0.1", "--dbt-lock-wait", "0", "-v")
    assert result.ret == 1
    result.stdout.fnmatch_lines([
        "*attaches_other ERROR*",
        "*independent PASSED*",
        "*child_of_attach SKIPPED (skipped by dbt: upstream model attaches_other*",
        "dbt transient failure (retries exhausted): model attaches_other (models/attaches_other.sql)",
        "*Conflicting lock is held*",
        "  still failing after 2 attempt(s)",
        f"  fix: another process (PID {holder.pid}*",
        "*transient dbt failure (attempt 1/2)*retrying the failed nodes*",
        "*dbt build: 3 node(s) in *s: 1 error, 1 skipped, 1 success; 2 attempt(s) (transient failures retried)*",
    ])


def test_unit_tests_are_items_and_a_failing_one_shows_the_diff(dbt_project, run) -> None:
    dbt_project("unitproj")
    result = run("--dbt-project-dir", "unitproj", "--dbt-select", "*", "-v")
    assert result.ret == 1
    outcomes = result.parseoutcomes()
    assert outcomes["failed"] == 1 and "dq_failed" not in outcomes  # logic, not data quality
    result.stdout.fnmatch_lines([
        "*::wrong_expectation FAILED*",
        "dbt unit test failure: unit test wrong_expectation (models/schema.yml)",
        "  expected vs actual (→ changed row, cells read expected→actual;*",
        "    @@  n  scaled",
        "    →   1  3→2",
        "        2  4",
        "  fix: compare the expected and actual rows*",
    ])
    assert "PASSED" in result.stdout.str()  # the numbers seed at least


def test_example_project_unit_tests_pass(dbt_project, run) -> None:
    dbt_project("example_project")
    result = run("--dbt-project-dir", "example_project", "--dbt-select", "+int_hires +int_promotions",
                 "--dbt-simulation-year", "2025", "-v")
    assert result.ret == 0
    result.stdout.fnmatch_lines([
        "*unit_tests.yml::hires_replace_leavers_and_grow PASSED*",
        "*unit_tests.yml::promotions_skip_leavers_and_the_top_level PASSED*",
    ])


def test_a_node_behind_an_ephemeral_model_that_compiled_names_the_failed_ancestor(pytester, run) -> None:
    """dbt says "caused by compilation error in referenced ephemeral model" also when the
    ephemeral model compiled and only what it reads was skipped (PlanAlign: a data test upstream
    failed; here, in a fresh database, the model upstream fails): the report names that node, not
    an error nobody printed."""
    pytester.makeini("[pytest]\n")
    project = copy_with_packages(Path(__file__).parents[1] / "projects" / "rich", pytester.path)
    (project / "models" / "marts" / "eph_ranked.sql").write_text(
        "{{ config(materialized='ephemeral') }}\nselect * from {{ ref('customer_rank') }}\n")
    (project / "models" / "marts" / "ranked_top.sql").write_text("select * from {{ ref('eph_ranked') }}\n")
    result = run("--dbt-project-dir=rich", "--dbt-select=customer_orders+", "--dbt-threads=1", "-rs")
    text = result.stdout.str()
    # dbt's status for it is skipped, and so is pytest's: naming the node that failed upstream.
    assert "its error is above" not in text and "ranked_top.sql::ranked_top" not in text.split("short test summary")[0]
    result.stdout.fnmatch_lines(["SKIPPED [1] rich/models/marts/ranked_top.sql:1: skipped by dbt: upstream "
                                 "model customer_orders (execution) failed"])
