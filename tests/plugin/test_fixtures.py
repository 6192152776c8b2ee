"""The fixtures in a user's own test suite: dbt_runner, dbt, dbt_vars, dbt_settings."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

USER_TESTS = '''
import pytest

from pytest_planalign_dbt import BoundDbt, DbtRegression, DbtRunner, DbtScenario, DbtSettings

def test_settings(dbt_settings: DbtSettings):
    assert isinstance(dbt_settings, DbtSettings)
    assert dbt_settings.project_dir.name == "minimal"
    assert dbt_settings.vars == {"multiplier": 5}

def test_runner(dbt_runner: DbtRunner):
    assert isinstance(dbt_runner, DbtRunner)
    result = dbt_runner.execute_command(["run"], stream_output=False)
    assert result.success and {n.name for n in result.nodes} == {"base_numbers", "scaled"}

def test_session_vars_apply(dbt: BoundDbt, dbt_regression: DbtRegression, dbt_scenario: DbtScenario):
    # The fixtures' types, exported for annotations, are the types the fixtures give.
    assert isinstance(dbt, BoundDbt) and isinstance(dbt_regression, DbtRegression)
    assert isinstance(dbt_scenario("other"), BoundDbt)
    dbt.run_model("scaled")
    assert sorted(row["n"] for row in dbt.rows("scaled")) == [5, 10, 15]

@pytest.mark.dbt_vars(multiplier=10)
def test_marker_vars(dbt, dbt_vars):
    assert dbt_vars == {"multiplier": 10}
    assert dbt.build("scaled").success
    assert [row["n"] for row in dbt.rows("scaled", where="n > 10")] == [20, 30]

@pytest.mark.parametrize("dbt_vars", [{"multiplier": 2}, {"multiplier": 3}], indirect=True)
def test_parametrized_vars(dbt, dbt_vars):
    dbt.run_model("scaled")
    assert max(row["n"] for row in dbt.rows("scaled")) == 3 * dbt_vars["multiplier"]
'''


def test_fixtures_in_a_user_suite(dbt_project, run, pytester) -> None:
    dbt_project("minimal")
    pytester.makepyfile(test_user=USER_TESTS)
    result = run("--dbt-project-dir", "minimal", "--dbt-vars", '{"multiplier": 5}', "-v")
    assert result.parseoutcomes() == {"passed": 6}


def test_dbt_runner_without_a_project_says_what_to_set(run, pytester) -> None:
    pytester.makepyfile(test_user="def test_it(dbt_runner):\n    pass\n")
    result = run()
    result.stdout.fnmatch_lines(["*no dbt project configured: pass --dbt-project-dir*"])
    assert result.parseoutcomes() == {"errors": 1}


LEAKY_ORDER = '''
def test_a_fixture_build_with_other_vars(dbt):
    # Runs before the collected items (file order): with the items built first, the
    # collected `scaled` never sees multiplier=100.
    assert dbt.run_model("scaled", dbt_vars={"multiplier": 100}).success

def test_a_dbt_error_in_a_test_shows_dbt_not_the_plugin(dbt):
    dbt.run_model("no_model_is_called_this")
'''


def test_collected_items_are_built_before_fixture_tests_change_the_database(dbt_project, run, pytester) -> None:
    project = dbt_project("minimal")
    (project / "tests").mkdir()
    (project / "tests" / "assert_scaled_by_five.sql").write_text(
        "select * from {{ ref('scaled') }} where n % 5 <> 0 or n > 15\n")
    assert run("--dbt-project-dir=minimal", "--dbt-select=*", "--dbt-vars", '{"multiplier": 5}').ret == 0
    (pytester.path / "a_tests").mkdir()
    (pytester.path / "a_tests" / "test_user.py").write_text(LEAKY_ORDER)  # collected before minimal/
    # Only the data test is collected: it reads `scaled` as the database holds it.
    result = run("--dbt-project-dir=minimal", "--dbt-select=assert_scaled_by_five", "--dbt-vars",
                 '{"multiplier": 5}', "-v")
    result.stdout.fnmatch_lines(["*test_a_fixture_build_with_other_vars PASSED*", "*assert_scaled_by_five PASSED*"])
    text = result.stdout.str()
    # The user's failing call shows dbt's error and the user's line, not our source.
    assert "the selection --select no_model_is_called_this matches no enabled dbt node" in text
    assert "def execute_command" not in text and "pytest_planalign_dbt/" not in text
