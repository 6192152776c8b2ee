"""compat.DbtRunner as a drop-in for the PlanAlign orchestrator's runner.

A miniature orchestrator written the way the real one is (its constructor call,
set_schedule_context, a db_manager holding its own locked-down DuckDB connection in the
same process) drives two simulated years; no adapter code on the caller's side.
"""

from __future__ import annotations

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


class MiniOrchestrator:
    """The call shape of planalign_orchestrator: seed, staging, then tagged stages per year."""

    def __init__(self, project: Path, database: Path) -> None:
        self.db_manager = DatabaseManager(database)
        self.dbt_runner = DbtRunner(
            working_dir=project, threads=2, executable="dbt", verbose=True, database_path=str(database),
            threading_enabled=True, threading_mode="selective", db_manager=self.db_manager,
            project_dir=project, dbt_artifacts_dir=project / "target",
        )

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
    assert runner.working_dir == project and runner.target_path == project / "target"
    assert runner.get_thread_utilization_info()["thread_count"] == 2
    counts = orchestrator.run(range(2025, 2027))
    assert counts == {2025: 347, 2026: 353}  # the same rows as the example project's own runs
    assert orchestrator.db_manager.closed >= 2  # its connections were closed before dbt ran
    assert (project / "target" / "run_results.json").is_file() and not (project / "simulation.duckdb").exists()
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
