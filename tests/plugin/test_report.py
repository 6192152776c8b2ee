"""One red build of the holdout project (real dbt, real DuckDB) feeds the report, JUnit and
fidelity asserts: what each outcome says, in which section, with which words."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.helpers.verdicts import assert_follows_dbt, copy_project, run_pytest

# One module-scoped build feeds every test here: under xdist, one worker runs them all.
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("holdout")]

PROJECTS = Path(__file__).parents[1] / "projects"


@pytest.fixture(scope="module")
def holdout(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """One red build of the holdout project feeds the report, JUnit and fidelity asserts."""
    root = tmp_path_factory.mktemp("holdout")
    copy_project(PROJECTS / "holdout", root)
    result = run_pytest(root, "--dbt-project-dir=holdout", "--dbt-select=*", "--dbt-threads=1", "-v", "-rA",
                        "--durations=0", "--junitxml=report.xml")
    return root, result


def test_holdout_outcomes_summary_and_exit_code(holdout) -> None:
    _, result = holdout
    assert result.returncode == 1
    lines = pytest.LineMatcher(result.stdout.splitlines())
    outcomes = pytest.RunResult.parse_summary_nouns(result.stdout.splitlines())
    assert outcomes == {"failed": 1, "passed": 5, "skipped": 2, "warnings": 1, "errors": 1, "dq_failed": 1}
    lines.fnmatch_lines([
        "collecting ... collected 10 items",
        "*= ERRORS =*",
        "*ERROR at setup of dbt model compile_error_model*",
        "dbt compilation error: model compile_error_model (models/compile_error_model.sql)",
        "  Compilation Error in model compile_error_model*",
        "*compile_error_model is broken on purpose",
        "  compiled SQL: not written (the node did not compile)",
        "  fix: fix the Jinja*",
        "*= FAILURES =*",
        "dbt execution error: model runtime_error_model (models/runtime_error_model.sql)",
        "*Conversion Error: Could not convert string 'abc' to INT32",
        "  compiled SQL: */target/compiled/holdout/models/runtime_error_model.sql",
        "  fix: run the compiled SQL*",
        "*warnings summary*",
        "holdout/models/schema.yml::not_null_good_model_team",
        "*DbtTestWarning: dbt test not_null_good_model_team: Got 1 result, configured to warn if != 0",
        "*= DATA QUALITY FAILURES =*",
        "dbt data quality failure: test assert_no_grace (tests/assert_no_grace.sql)",
        "  failing rows: 1",
        "  first 1 failing row(s):",
        "  | id | name  | team |",
        "  | 2  | grace | NULL |",
        "DQ_FAILED holdout/tests/assert_no_grace.sql::assert_no_grace - dbt data quality failure*",
        "*slowest durations*",
        "PASSED holdout/seeds/people.csv::people",
        "SKIPPED [1] holdout/models/child_of_error.sql:1: skipped by dbt: upstream model runtime_error_model (execution) failed",
        "ERROR holdout/models/compile_error_model.sql::compile_error_model - dbt compilation error*",
        "FAILED holdout/models/runtime_error_model.sql::runtime_error_model - dbt execution error*",
    ])
    # No plugin internals in any report.
    assert "Traceback" not in result.stdout
    assert "pytest_planalign_dbt" not in result.stdout.split("short test summary")[0].split("warnings summary")[0]


def test_verbose_mode_has_a_word_for_data_quality(holdout) -> None:
    _, result = holdout
    # Items report folder by folder: tests/ (done with the seed it reads) before models/.
    pytest.LineMatcher(result.stdout.splitlines()).fnmatch_lines([
        "holdout/tests/assert_no_grace.sql::assert_no_grace DQ_FAILED*",
        "holdout/models/compile_error_model.sql::compile_error_model ERROR*",
        "holdout/models/runtime_error_model.sql::runtime_error_model FAILED*",
        "holdout/models/child_of_error.sql::child_of_error SKIPPED (skipped by dbt: upstream*",
        "holdout/models/schema.yml::not_null_good_model_team PASSED*",
    ], consecutive=False)


def test_junit_xml_has_one_testcase_per_node_with_class_and_time(holdout) -> None:
    root, _ = holdout
    cases = {c.get("name"): c for c in ET.parse(root / "report.xml").getroot().iter("testcase")}
    assert len(cases) == 10
    assert cases["compile_error_model"].find("error").get("message").startswith(
        'failed on setup with "dbt compilation error: model compile_error_model')
    assert cases["runtime_error_model"].find("failure").get("message").startswith("dbt execution error:")
    assert cases["assert_no_grace"].find("failure").get("message").startswith("dbt data quality failure:")
    assert cases["child_of_error"].find("skipped").get("message").startswith("skipped by dbt: upstream model")
    assert float(cases["good_model"].get("time")) > 0
    assert cases["good_model"].get("classname") == "holdout.models.good_model.sql"


def test_holdout_outcomes_follow_dbts_own_verdict(holdout, shared_dir) -> None:
    """The fidelity rule (tests/plugin/test_fidelity.py) on this same run."""
    root, result = holdout
    assert_follows_dbt(PROJECTS / "holdout", root / "holdout", root / "report.xml", result.returncode, shared_dir)
