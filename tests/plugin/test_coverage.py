"""--dbt-coverage on tests/projects/coverage: the table, the gate, the reports, under xdist, with
Slim CI, and our figures against dbt-coverage's own on the same build."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.dbt_matrix]  # the catalog query on every dbt-core

ARGS = ("--dbt-project-dir", "coverage", "--dbt-select", "*", "-p", "no:randomly")


def _json(path: Path) -> dict:
    return json.loads(path.read_text())


def test_the_table_the_gate_and_the_reports(dbt_project, run, pytester) -> None:
    dbt_project("coverage")
    result = run(*ARGS, "--dbt-coverage-fail-under", "columns=20,models=60",
                 "--dbt-coverage-report", "json:reports/cov.json markdown:reports/cov.md")
    assert result.ret == 1 and result.parseoutcomes() == {"passed": 10}  # every node passed: coverage fails it
    result.stdout.fnmatch_lines([
        "*- dbt test coverage -*",
        "model * tested * columns tested * key tested * unit tests * columns documented",
        "dim_customers * no * 0/3 * 0/1 * 0 * 0/3",  # the untested first
        "stg_customers * no * 0/3 * 0/1 * 0 * 1/3",  # customer_email: declared, never built
        "fct_revenue * yes * 1/3 * 1/1 * 1 * 0/3",
        "stg_orders * yes * 2/4 * 1/1 * 0 * 2/4",
        "TOTAL * 2/4 * 3/13 * 2/4 * 1 * 3/13",
        "models tested 50%; columns tested 23%; keys tested 50%; columns documented 23% "
        "(columns known from yaml+warehouse)",
        "dbt coverage: FAIL models tested 50.0% is under the required 60% (--dbt-coverage-fail-under), "
        "10.0 points short",
    ])
    assert "FAIL columns" not in result.stdout.str()  # 23% is over 20%
    data = _json(pytester.path / "reports" / "cov.json")
    assert data["totals"]["columns"] == {"covered": 3, "total": 13, "percent": pytest.approx(100 * 3 / 13)}
    assert {m["name"] for m in data["models"]} == {"stg_orders", "stg_customers", "fct_revenue", "dim_customers"}
    assert "| **TOTAL** | **2/4** | **3/13** |" in (pytester.path / "reports" / "cov.md").read_text()
    passing = run(*ARGS, "--dbt-coverage-fail-under", "columns=20", "--dbt-coverage-by", "folder")
    assert passing.ret == 0
    passing.stdout.fnmatch_lines(["models/marts * 1/2 * 1/6 *", "models/staging * 1/2 * 2/7 *"])


def test_an_adapter_without_dbts_catalog_macro_is_asked_per_relation(dbt_project, run, pytester) -> None:
    project = dbt_project("coverage")
    (project / "macros").mkdir()
    (project / "macros" / "no_catalog.sql").write_text(
        "{% macro duckdb__get_catalog(information_schema, schemas) %}"
        "{{ exceptions.raise_compiler_error('no catalog on this adapter') }}{% endmacro %}\n")
    result = run(*ARGS, "--dbt-coverage")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["TOTAL * 2/4 * 3/13 * 2/4 * 1 * 3/13", "*(columns known from yaml+warehouse)"])


def test_under_xdist_one_table_computed_once_and_the_same_verdict(dbt_project, run, pytester) -> None:
    dbt_project("coverage")
    serial = run(*ARGS, "--dbt-coverage-report", "json:serial.json")
    parallel = run(*ARGS, "-n", "2", "--dbt-coverage-report", "json:parallel.json",
                   "--dbt-coverage-fail-under", "models=60")
    assert serial.ret == 0 and parallel.ret == 1
    assert _json(pytester.path / "serial.json") == _json(pytester.path / "parallel.json")
    assert parallel.stdout.str().count("- dbt test coverage -") == 1


def test_a_pull_request_is_judged_on_what_it_changed_and_a_red_one_stays_red(dbt_project, run, pytester) -> None:
    project = dbt_project("coverage")
    assert run(*ARGS, "--dbt-changed").ret == 0  # green: the reference
    model = project / "models" / "marts" / "dim_customers.sql"
    model.write_text(model.read_text() + "-- changed by the pull request\n")
    gate = (*ARGS, "--dbt-changed", "--dbt-coverage-fail-under", "models=100")
    changed = run(*gate)  # only the changed (untested) model counts
    assert changed.ret == 1 and changed.parseoutcomes() == {"passed": 1}
    changed.stdout.fnmatch_lines(["TOTAL * 0/1 *", "dbt coverage: FAIL models tested 0.0% *"])
    again = run(*gate)  # the red run never became the reference: everything again, red again
    assert again.ret == 1 and again.parseoutcomes() == {"passed": 10}
    again.stdout.fnmatch_lines(["TOTAL * 2/4 *", "dbt coverage: FAIL models tested 50.0% *"])


def test_our_figures_equal_dbt_coverages_where_the_definitions_agree(dbt_project, tmp_path) -> None:
    """dbt-coverage reads the columns of dbt's catalog (the warehouse's) and the YAML's tests and
    descriptions; we count a column the YAML declares but the model never built too."""
    from dbt_coverage import CoverageType, compute_coverage, load_files

    from pytest_planalign_dbt import DbtRunner
    from pytest_planalign_dbt.coverage_gate import warehouse_columns
    from pytest_planalign_dbt.session.coverage import measure

    project = dbt_project("coverage")
    runner = DbtRunner(project)
    runner.execute_command(["build"], stream_output=False)
    runner.execute_command(["docs", "generate"], stream_output=False)
    manifest = json.loads((project / "target" / "manifest.json").read_text())
    models = [uid for uid, n in manifest["nodes"].items() if n["resource_type"] == "model"]
    ours = {m.name: m for m in measure(manifest, models, warehouse_columns(runner, manifest, models, {})).models}
    catalog = load_files(project, None)
    theirs = {kind: compute_coverage(catalog, kind) for kind in (CoverageType.TEST, CoverageType.DOC)}
    built = {name: {c for c in m.columns if c != "customer_email"} for name, m in ours.items()}
    for table, report in theirs[CoverageType.TEST].subentities.items():
        name = table.split(".")[-1]
        assert {c.column_name for c in report.total} == built[name], name
        assert {c.column_name for c in report.covered} == set(ours[name].tested_columns), name
        documented = theirs[CoverageType.DOC].subentities[table].covered
        assert {c.column_name for c in documented} == set(ours[name].documented_columns) & built[name], name
    assert len(theirs[CoverageType.TEST].total) == 12 and sum(len(m.columns) for m in ours.values()) == 13


def test_on_the_example_project_every_model_is_tested_and_most_columns_are_not(dbt_project, run, pytester) -> None:
    dbt_project("example_project")
    result = run("--dbt-project-dir", "example_project", "--dbt-select", "*", "--dbt-simulation-year", "2025",
                 "--dbt-coverage-report", "json:cov.json markdown:cov.md", "--dbt-coverage-fail-under", "models=100")
    assert result.ret == 0
    totals = _json(pytester.path / "cov.json")["totals"]
    assert (totals["models"]["covered"], totals["models"]["total"]) == (9, 9)
    assert (totals["columns"]["covered"], totals["columns"]["total"]) == (12, 57)
    assert "| int_hires | yes | 1/6 | 1/1 | 1 | 0/6 |" in (pytester.path / "cov.md").read_text()


def test_a_red_build_is_still_measured_its_failed_model_by_its_yaml_alone(dbt_project, run, pytester) -> None:
    project = dbt_project("coverage")
    (project / "models" / "marts" / "broken.sql").write_text("select * from no_such_table\n")
    result = run(*ARGS, "--dbt-coverage")
    assert result.ret == 1 and result.parseoutcomes()["failed"] == 1
    result.stdout.fnmatch_lines(["broken * no * - * 0/1 * 0 * -", "TOTAL * 2/5 * 3/13 *"])
