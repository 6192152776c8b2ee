"""pytest-xdist: one shared build for collected items, per-worker databases, scenarios in parallel."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

SCENARIOS = Path(__file__).parent / "scenarios" / "test_workforce_scenarios.py"


def copy_scenarios(dest: Path, years: str = "(2025, 2026)") -> None:
    """The scenario file docs/recipes/xdist.md shows (tests/plugin/test_docs_examples.py keeps them equal), simulating two
    years instead of three here (one on two workers, where the point is isolation): more years
    add time, not evidence."""
    source = SCENARIOS.read_text()
    assert "years = (2025, 2026, 2027)" in source
    (dest / SCENARIOS.name).write_text(source.replace("years = (2025, 2026, 2027)", f"years = {years}"))


# A test beside the scenarios that uses the dbt_runner fixture: under xdist it gets a database
# of its own worker, never the shared file.
RUNNER_TEST = """

def test_zz_the_runner_fixture_has_a_database_per_worker(dbt_runner, dbt_database_suffix):
    assert dbt_database_suffix in ("-gw0", "-gw1")
    assert dbt_runner.execute_command(["seed", "--select", "census"], stream_output=False).success
"""


# Serially (without the xdist plugin) and on two workers; the outcomes of collected items
# under -n 2 are checked node by node in test_fidelity.py.
@pytest.mark.parametrize("mode", [("-p", "no:xdist"), ("-n", "2")], ids=["no-xdist", "n2"])
def test_scenario_matrix_serially_and_on_two_workers(dbt_project, run, pytester, mode) -> None:
    dbt_project("example_project")
    copy_scenarios(pytester.path, "(2025,)" if mode == ("-n", "2") else "(2025, 2026)")
    if mode == ("-n", "2"):
        with (pytester.path / SCENARIOS.name).open("a") as f:
            f.write(RUNNER_TEST)
    # Two scenarios and the runner test on two workers: xdist hands out fewer tests than two
    # per worker round robin, in collection order (gw0, gw1, gw0). One scenario serially.
    select = ("-k", "baseline or fast_growth or runner") if mode == ("-n", "2") else ("-k", "baseline")
    result = run("--dbt-project-dir", "example_project", *mode, *select, "-v")
    assert result.ret == 0, result.stdout.str()[-3000:]
    assert result.parseoutcomes()["passed"] == (3 if mode == ("-n", "2") else 1)
    project = pytester.path / "example_project"
    files = sorted(p.name for p in project.glob("simulation-*.duckdb"))
    if mode == ("-n", "2"):
        scenarios = [f for f in files if f.startswith(("simulation-baseline", "simulation-fast_growth"))]
        assert len(scenarios) == 2 and all("-gw" in f for f in scenarios)
        runner_dbs = [f for f in files if f not in scenarios]
        assert len(runner_dbs) == 1 and runner_dbs[0] in ("simulation-gw0.duckdb", "simulation-gw1.duckdb")
        ran_on = {line.split("]")[0].lstrip("[") for line in result.stdout.lines
                  if line.startswith("[gw") and "test_workforce_scenario[" in line}
        assert ran_on == {"gw0", "gw1"}  # both workers ran scenarios
        assert (project / "target" / f"pytest-{runner_dbs[0][len('simulation-'):-len('.duckdb')]}").is_dir()
    else:
        assert files == ["simulation-baseline.duckdb"]
    assert not (project / "simulation.duckdb").exists()  # no scenario or runner touched the shared file
