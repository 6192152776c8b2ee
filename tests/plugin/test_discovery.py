"""The commands users type first: a dbt project found is a dbt project used (discovery.py)."""

from __future__ import annotations

import pytest

from pytest_planalign_dbt import DbtRunner

pytestmark = pytest.mark.integration


def test_the_first_users_command_verbatim(dbt_project, run, pytester, monkeypatch) -> None:
    """``pytest --dbt-select int_*`` typed in example_project, unquoted, on the dbt we install."""
    project = dbt_project("example_project")
    monkeypatch.chdir(project)
    (pytester.path / "tox.ini").unlink()  # the project is the rootdir, as in a user's checkout
    # The parents of int_* in place, as the README's simulate.py leaves them.
    assert DbtRunner(project, threads=1).execute_command(["build", "--select", "+int_*", "--exclude", "int_*"],
                                                         stream_output=False).success
    result = run("--dbt-select", "int_*")
    result.assert_outcomes(passed=17)  # the five int_* models, their data and unit tests
    result.stdout.fnmatch_lines(["dbt settings: project_dir=* (rootdir), select=int_* (command line)", f"rootdir: {project}"])


def test_pytest_alone_in_a_project_says_what_to_type(dbt_project, run, pytester, monkeypatch) -> None:
    project = dbt_project("example_project")
    monkeypatch.chdir(project)  # the rootdir stays pytester's dir (its ini): found above the start dir
    result = run()
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    result.stdout.fnmatch_lines([
        "dbt: project example_project (*example_project), target dev, *",
        "dbt settings: project_dir=*example_project (found above the paths)",
        "dbt: nothing selected from project example_project: pytest --dbt-select 'int_*' (or 'dbt_select = "
        "int_*' in your pytest ini file), or name a folder of nodes: pytest models/intermediate",
    ])
    assert not (project / "simulation.duckdb").exists()  # nothing was built


def test_a_folder_argument_collects_its_nodes(dbt_project, run) -> None:
    dbt_project("example_project")
    result = run("example_project/seeds", "example_project/models/staging", "-v")
    result.assert_outcomes(passed=9)
    result.stdout.fnmatch_lines([
        "dbt settings: project_dir=*example_project (found above the paths), "
        "select=path:seeds path:models/staging (path arguments)",
        "*example_project/models/staging/stg_census.sql::stg_census PASSED*",
    ])
    assert "int_hires" not in result.stdout.str()


def test_a_model_file_argument_collects_the_model_and_its_tests(dbt_project, run) -> None:
    dbt_project("example_project")
    result = run("example_project/models/intermediate/int_hires.sql", "--collect-only", "-q")
    assert result.ret == 0
    assert sorted(line for line in result.stdout.lines if "::" in line) == [
        "example_project/models/intermediate/int_hires.sql::int_hires",
        "example_project/models/intermediate/schema.yml::not_null_int_hires_employee_id",
        "example_project/models/intermediate/schema.yml::unique_int_hires_employee_id",
        "example_project/models/intermediate/unit_tests.yml::hires_replace_leavers_and_grow",
    ]


def test_python_tests_inside_a_project_stay_pythons(dbt_project, run, pytester) -> None:
    """A Python test dir in the project (not a node path) selects nothing from dbt; one among
    dbt's test-paths that holds no dbt node is no error either."""
    project = dbt_project("example_project")
    pytester.makepyfile(**{"example_project/python_tests/test_py": "def test_one():\n    assert True\n"})
    result = run("example_project/python_tests")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["dbt: nothing selected from project example_project: *"])
    (project / "tests" / "unit").mkdir(parents=True)
    (project / "tests" / "unit" / "test_calc.py").write_text("def test_two():\n    assert True\n")
    result = run("example_project/tests/unit")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*select=path:tests/unit (path arguments)*"])


def test_messages_name_our_options_and_the_projects_vars(dbt_project, run) -> None:
    dbt_project("minimal")
    result = run("--dbt-project-dir=minimal", "--dbt-vars", "{a: [1")
    assert result.ret == 4
    result.stderr.fnmatch_lines([
        "ERROR: --dbt-vars (command line): the value is not valid YAML/JSON *: write a mapping such as "
        "'{\"multiplier\": 1}'"])
    result = run("--dbt-project-dir=minimal", "--dbt-selector", "nightly")
    result.stderr.fnmatch_lines(["ERROR: --dbt-selector nightly: *or use --dbt-select"])
    assert "--selector" not in result.stderr.str().replace("--dbt-selector", "")
