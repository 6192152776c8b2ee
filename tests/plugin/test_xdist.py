"""pytest-xdist: one shared build for collected items, per-worker databases, scenarios in parallel."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

SCENARIOS = Path(__file__).parent / "scenarios" / "test_workforce_scenarios.py"


def copy_scenarios(dest: Path) -> None:
    """The README's scenario file (tests/unit/test_readme.py keeps them equal), simulating two
    years instead of three here: the third adds time, not evidence."""
    source = SCENARIOS.read_text()
    assert "years = (2025, 2026, 2027)" in source
    (dest / SCENARIOS.name).write_text(source.replace("years = (2025, 2026, 2027)", "years = (2025, 2026)"))


# Serially (without the xdist plugin) and on two workers; the outcomes of collected items
# under -n 2 are checked node by node in test_fidelity.py.
@pytest.mark.parametrize("mode", [("-p", "no:xdist"), ("-n", "2")], ids=["no-xdist", "n2"])
def test_scenario_matrix_serially_and_on_two_workers(dbt_project, run, pytester, mode) -> None:
    dbt_project("example_project")
    copy_scenarios(pytester.path)
    # Two scenarios on two workers (xdist hands out fewer tests than 2 per worker round robin:
    # one each); one serially.
    select = ("-k", "baseline or fast_growth") if mode == ("-n", "2") else ("-k", "baseline")
    result = run("--dbt-project-dir", "example_project", *mode, *select, "-v")
    assert result.ret == 0, result.stdout.str()[-3000:]
    assert result.parseoutcomes()["passed"] == (2 if mode == ("-n", "2") else 1)
    project = pytester.path / "example_project"
    files = sorted(p.name for p in project.glob("simulation-*.duckdb"))
    if mode == ("-n", "2"):
        assert len(files) == 2 and all("-gw" in f for f in files)
        workers = {line.split("]")[0] for line in result.stdout.lines if line.startswith("[gw")}
        assert workers == {"[gw0", "[gw1"}  # both workers ran scenarios
    else:
        assert files == ["simulation-baseline.duckdb"]
    assert not (project / "simulation.duckdb").exists()  # no scenario touched the shared file


def test_dbt_runner_fixture_uses_a_database_per_worker(dbt_project, run, pytester) -> None:
    dbt_project("minimal")
    pytester.makepyfile(test_workers='''
import pytest

@pytest.mark.parametrize("i", range(4))
def test_build(dbt_runner, dbt_database_suffix, i):
    assert dbt_database_suffix in ("-gw0", "-gw1")
    assert dbt_runner.execute_command(["run"], stream_output=False).success
''')
    result = run("--dbt-project-dir", "minimal", "-n", "2")
    assert result.parseoutcomes() == {"passed": 4}
    names = sorted(p.name for p in (pytester.path / "minimal").glob("*.duckdb"))
    assert names == ["minimal-gw0.duckdb", "minimal-gw1.duckdb"]
    assert sorted(p.name for p in (pytester.path / "minimal" / "target").iterdir()) >= ["pytest-gw0", "pytest-gw1"]
