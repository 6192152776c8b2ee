"""compat.DbtRunner as a drop-in for the PlanAlign orchestrator's runner.

A miniature orchestrator written the way the real one is (its constructor call,
set_schedule_context, a db_manager holding its own locked-down DuckDB connection in the
same process) drives two simulated years; no adapter code on the caller's side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from pytest_planalign_dbt.compat import DbtRunner

pytestmark = pytest.mark.integration


class DatabaseManager:
    """Like the orchestrator's db_manager: its own connections, external access disabled."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.open: list[duckdb.DuckDBPyConnection] = []
        self.closed = 0

    def get_connection(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect(str(self.path), config={"enable_external_access": False})
        self.open.append(con)
        return con

    def close_all(self) -> None:
        for con in self.open:
            con.close()
        self.closed += len(self.open)
        self.open.clear()


@dataclass
class WorkSchedule:
    """Like the orchestrator's run record (construction/signature.py): one step per dbt call."""

    steps: list[dict] = field(default_factory=list)

    def record(self, *, command: str, stage: str | None, year: int | None, runner_kind: str) -> None:
        self.steps.append({"seq": len(self.steps) + 1, "command": command, "stage": stage, "year": year,
                           "runner_kind": runner_kind})


class MiniOrchestrator:
    """The call shape of planalign_orchestrator: seed, staging, then tagged stages per year."""

    def __init__(self, project: Path, database: Path) -> None:
        self.db_manager = DatabaseManager(database)
        self.dbt_runner = DbtRunner(
            working_dir=project, threads=2, executable="dbt", verbose=True, database_path=str(database),
            threading_enabled=True, threading_mode="selective", db_manager=self.db_manager,
            project_dir=project, dbt_artifacts_dir=project / "artifacts",
        )
        self.schedule = WorkSchedule()
        if hasattr(self.dbt_runner, "configure_work_schedule"):  # as the orchestrator's builder asks
            self.dbt_runner.configure_work_schedule(self.schedule)

    def run(self, years: range) -> dict[int, int]:
        counts = {}
        self.dbt_runner.set_schedule_context(stage="INITIALIZATION", year=years[0])
        self.dbt_runner.execute_command(["seed"], description="Loading seeds", stream_output=False)
        self.dbt_runner.execute_command(["run", "--select", "tag:staging"], description="Staging",
                                        stream_output=False, log_performance=True)
        for year in years:
            # The orchestrator reads its own tables between stages, on its own connection.
            self.db_manager.get_connection().execute("select 1").fetchall()
            self.dbt_runner.set_schedule_context(stage="EVENT_GENERATION", year=year)
            result = self.dbt_runner.run_models_by_tag("simulation", simulation_year=year,
                                                       dbt_vars={"start_year": years[0]}, stream_output=False)
            assert result.success
            con = self.db_manager.get_connection()
            counts[year] = con.execute(
                "select count(*) from fct_workforce_snapshot where simulation_year = ?", [year]).fetchone()[0]
        return counts


def test_a_miniature_orchestrator_runs_two_years_unchanged(copy_project, tmp_path) -> None:
    project = copy_project("example_project")
    profiles = project / "profiles.yml"
    # PlanAlign's profile reads the database path from DATABASE_PATH.
    profiles.write_text(profiles.read_text().replace("env_var('PLANALIGN_DUCKDB_PATH', 'simulation.duckdb')",
                                                     "env_var('DATABASE_PATH', 'simulation.duckdb')"))
    database = tmp_path / "planalign.duckdb"
    orchestrator = MiniOrchestrator(project, database)
    runner = orchestrator.dbt_runner
    assert runner.working_dir == project
    # dbt_artifacts_dir=X: dbt writes X/target and X/logs, as the orchestrator's runner set them.
    assert (runner.target_path, runner.log_path) == (project / "artifacts" / "target", project / "artifacts" / "logs")
    assert runner.get_thread_utilization_info()["thread_count"] == 2
    counts = orchestrator.run(range(2025, 2027))
    assert counts == {2025: 347, 2026: 353}  # the same rows as the example project's own runs
    assert orchestrator.db_manager.closed >= 2  # its connections were closed before dbt ran
    assert (project / "artifacts" / "target" / "run_results.json").is_file()
    assert (project / "artifacts" / "logs" / "dbt.log").is_file() and not (project / "simulation.duckdb").exists()
    # The run record: every call, with its stage and year, as the orchestrator's runner kept it.
    assert [(s["command"], s["stage"], s["year"]) for s in orchestrator.schedule.steps] == [
        ("seed", "INITIALIZATION", 2025), ("run --select tag:staging", "INITIALIZATION", 2025),
        ("run --select tag:simulation", "EVENT_GENERATION", 2025),
        ("run --select tag:simulation", "EVENT_GENERATION", 2026)]
    runner.update_thread_count(1)
    assert runner.threads == 1
    with pytest.raises(ValueError, match="tag must be a non-empty string"):
        runner.run_models_by_tag(" ")


def test_without_closing_its_connections_dbt_would_fail(copy_project, tmp_path) -> None:
    """The behaviour the drop-in guards against: a locked-down connection left open."""
    project = copy_project("minimal")
    manager = DatabaseManager(project / "minimal.duckdb")
    manager.get_connection().execute("select 1")
    bare = DbtRunner(working_dir=project)
    failing = bare.execute_command(["run"], retry=False, stream_output=False)
    assert not failing.success and failing.error is not None
    assert "same database file with a different configuration" in failing.error.dbt_message
    assert "close it before dbt runs; compat.DbtRunner(db_manager=...) closes them" in failing.error.fix
    guarded = DbtRunner(working_dir=project, db_manager=manager)
    ok = guarded.execute_command(["run"], retry=False, stream_output=False)
    assert ok.success and manager.closed == 1


def test_the_orchestrators_other_call_sites_answer_as_its_runner_did(copy_project, capsys) -> None:
    project = copy_project("example_project")
    runner = DbtRunner(working_dir=project, threads=2)
    assert (runner.target_path, runner.log_path) == (project / "target", project / "logs")
    assert runner.execute_command(["seed"], stream_output=True).success
    assert "Running with dbt" not in capsys.readouterr().out  # its runner printed nothing unless verbose
    # A selection that matches nothing: dbt's exit 0, a success, as with the orchestrator's runner.
    empty = runner.execute_command(["run", "--select", "no_such_model"], simulation_year=2025)
    assert empty.success and empty.return_code == 0 and empty.error is None
    staged = runner.run_stage_models("INITIALIZATION", 2025)
    assert [r.success for r in staged] == [True] and {n.name for n in staged[0].nodes} == {"stg_census", "stg_workforce_rates"}
    smart = runner.run_models_with_smart_parallelization(["int_baseline_workforce", "int_terminations"],
                                                         stage_name="EVENT_GENERATION", simulation_year=2025)
    assert smart["success"], smart["errors"]
    assert sorted(smart["model_results"]) == ["int_baseline_workforce", "int_terminations"]
    assert smart["errors"] == [] and smart["parallelism_achieved"] == 2
    info = runner.get_parallelization_info()
    assert info["available"] is False and info["configuration"]["dbt_threads"] == 2
    assert runner.validate_stage_for_parallelization(["int_hires"])["parallelizable"] is False
    assert runner.enable_parallelization(max_workers=8) is False and runner.model_parallelization_max_workers == 8
    runner.disable_parallelization()
    assert runner.enable_model_parallelization is False
