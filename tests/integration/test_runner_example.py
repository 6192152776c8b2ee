"""The runner against the real example project: a three-year simulation, streaming, reuse."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pytest_planalign_dbt import DbtCompilationError, DbtRunner

from ..conftest import duckdb_is_free

# One module-scoped build feeds every test here: under xdist, one worker runs them all.
pytestmark = [pytest.mark.integration, pytest.mark.dbt_matrix, pytest.mark.xdist_group("example_runner")]


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[DbtRunner, Path, dict[int, object]]:
    """Simulate 2025, 2026 and 2027 in order through one in-process runner."""
    from ..conftest import EXAMPLE_PROJECT
    from ..helpers.verdicts import copy_project

    project = copy_project(EXAMPLE_PROJECT, tmp_path_factory.mktemp("sim"))
    runner = DbtRunner(project, threads=4)
    results = {}
    for year in (2025, 2026, 2027):
        results[year] = runner.execute_command(["build"], simulation_year=year, stream_output=False)
    return runner, project, results


def _query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_three_simulated_years_build_on_each_other(simulated) -> None:
    runner, project, results = simulated
    for year, result in results.items():
        assert result.success and result.return_code == 0, year
        statuses = {n.status for n in result.nodes}
        assert statuses <= {"success", "pass"}, (year, statuses)
        assert result.invocation_id and result.attempts == 1
    rows = _query(project / "simulation.duckdb", """
        select simulation_year, count(*) filter (where employment_status = 'active')
        from fct_workforce_snapshot group by 1 order by 1""")
    assert [year for year, _ in rows] == [2025, 2026, 2027]
    # Each year starts from the previous year's active employees, minus leavers, plus hires.
    for (_, prev_active), (year, _) in zip(rows, rows[1:]):
        baseline = _query(project / "simulation.duckdb",
                          f"select count(*) from fct_workforce_snapshot where simulation_year = {year} and not is_new_hire")
        assert baseline[0][0] == prev_active
    events = dict(_query(project / "simulation.duckdb",
                         "select event_type, count(distinct simulation_year) from fct_yearly_events group by 1"))
    assert events == {"hire": 3, "termination": 3, "promotion": 3, "merit": 3}
    assert duckdb_is_free(project / "simulation.duckdb")  # connections closed after each call


def test_run_model_reuses_the_parse_and_frees_the_database(simulated) -> None:
    runner, project, _ = simulated
    parses = runner.executor.parses
    first = runner.run_model("int_hires", simulation_year=2027, stream_output=False)
    again = runner.run_model("int_hires", simulation_year=2027, stream_output=False)
    assert first.success and again.success
    assert [n.name for n in again.nodes] == ["int_hires"]
    assert again.nodes[0].compiled_path and Path(again.nodes[0].compiled_path).is_file()
    assert runner.executor.parses <= parses + 1  # one parse for the 2027 vars at most, then reuse
    assert duckdb_is_free(project / "simulation.duckdb")
    # An edit to a project file invalidates the cached parse.
    model = project / "models" / "intermediate" / "int_hires.sql"
    model.write_text(model.read_text() + "\n-- edited\n")
    before = runner.executor.parses
    assert runner.run_model("int_hires", simulation_year=2027, stream_output=False).success
    assert runner.executor.parses == before + 1


def test_the_three_readme_examples(simulated, capsys) -> None:
    runner, _, _ = simulated
    # 1. run int_* for a year, with extra vars
    result = runner.execute_command(
        ["run", "--select", "int_*"], description="Simulating events",
        simulation_year=2027, dbt_vars={"target_growth_rate": 0.05},
    )
    assert result.success and {n.name for n in result.nodes} == {
        "int_baseline_workforce", "int_terminations", "int_promotions", "int_merit", "int_hires"}
    # stream_output=True prints dbt's lines as they come
    assert "Done. PASS=5" in capsys.readouterr().out
    # 2. stream lines to a callback
    lines: list[str] = []
    runner.execute_command(["run", "--select", "stg_census"], simulation_year=2027, on_line=lines.append)
    assert any("OK created sql view model" in line for line in lines)
    assert not any("\x1b[" in line for line in lines)
    # 3. several models in one invocation, one result each, in the requested order
    results = runner.run_models(["int_hires", "int_terminations"], parallel=True, simulation_year=2027,
                                stream_output=False)
    assert [[n.name for n in r.nodes] for r in results] == [["int_hires"], ["int_terminations"]]
    assert all(r.success for r in results)
    serial = runner.run_models(["stg_census", "stg_workforce_rates"], simulation_year=2027, stream_output=False)
    assert [r.nodes[0].name for r in serial] == ["stg_census", "stg_workforce_rates"]


def test_the_orchestrator_storys_example_verbatim(simulated) -> None:
    runner, _, _ = simulated
    result = runner.execute_command(["run", "--select", "int_*"], simulation_year=2026, dbt_vars={"cola_rate": 0.01})
    assert result.success and {n.name for n in result.nodes} == {
        "int_baseline_workforce", "int_terminations", "int_promotions", "int_merit", "int_hires"}


def test_a_year_out_of_order_is_a_compilation_error_naming_the_fix(simulated) -> None:
    runner, _, _ = simulated
    with pytest.raises(DbtCompilationError) as info:
        runner.execute_command(["run", "--select", "int_baseline_workforce"], simulation_year=2030,
                               stream_output=False)
    error = info.value
    assert error.node_names == ["int_baseline_workforce"]
    assert "simulate the years in order" in error.dbt_message
    assert error.result is not None and error.result.return_code == 1
