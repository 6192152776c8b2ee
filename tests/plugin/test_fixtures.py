"""The fixtures in a user's own test suite: dbt_runner, dbt, dbt_vars, dbt_settings."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

USER_TESTS = '''
import pytest

def test_settings(dbt_settings):
    assert dbt_settings.project_dir.name == "minimal"
    assert dbt_settings.vars == {"multiplier": 5}

def test_runner(dbt_runner):
    result = dbt_runner.execute_command(["run"], stream_output=False)
    assert result.success and {n.name for n in result.nodes} == {"base_numbers", "scaled"}

def test_session_vars_apply(dbt):
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


def test_the_readme_fixture_examples_run_on_example_project(dbt_project, run, pytester) -> None:
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("### Fixtures", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    dbt_project("example_project")
    pytester.makepyfile(test_readme_fixtures=code)
    result = run("--dbt-project-dir", "example_project", "--dbt-simulation-year", "2025", "-v")
    assert result.parseoutcomes() == {"passed": 4}
