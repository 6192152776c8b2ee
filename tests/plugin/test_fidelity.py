"""The one rule: every node's pytest outcome follows from dbt's own status for it
(``tests.helpers.verdicts.assert_follows_dbt``).

For each test project the plugin builds a copy (``pytest --dbt-select '*'``):
every item's outcome must follow from the status dbt wrote for its node in the
``run_results.json`` of that same invocation, hooks included, with no node
missing either way. dbt's own CLI builds another copy (``dbt build``): its
statuses and exit code must be the plugin's too. Serially, and under ``-n 2``; in-process,
and with dbt as a subprocess.
(The serial red builds of rich and holdout are checked on the module-scoped runs of
``test_rich.py`` and ``test_outcomes.py``.)
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers.verdicts import assert_follows_dbt, copy_project

pytestmark = [pytest.mark.integration, pytest.mark.dbt_matrix]

PROJECTS = Path(__file__).parents[1] / "projects"
EXAMPLE = Path(__file__).parents[2] / "example_project"
GREEN = '{"red": false}'

CASES = [
    pytest.param(PROJECTS / "rich", ("-n", "2"), (), id="rich-red-n2"),
    pytest.param(PROJECTS / "rich", (), ("--vars", GREEN), id="rich-green"),
    pytest.param(PROJECTS / "holdout", ("-n", "2", "--dbt-executor", "subprocess"), (), id="holdout-n2-subprocess"),
    pytest.param(PROJECTS / "unitproj", (), (), id="unitproj"),
    pytest.param(PROJECTS / "minimal", (), (), id="minimal"),
    # A microbatch model with a failed batch ("partial success"): it once passed, exit 0.
    pytest.param(PROJECTS / "batches", ("--dbt-executor", "subprocess"), (), id="batches-subprocess"),
    pytest.param(PROJECTS / "batches", (), (), id="batches"),
    pytest.param(EXAMPLE, (), ("--vars", '{"simulation_year": 2025}'), id="example_project"),
]


@pytest.mark.parametrize(("source", "mode", "dbt_args"), CASES)
def test_pytest_outcomes_follow_dbts_run_results(pytester, run, shared_dir: Path, source: Path, mode,
                                                 dbt_args) -> None:
    pytester.makeini("[pytest]\n")
    project = copy_project(source, pytester.path)
    plugin_vars = ("--dbt-vars", dbt_args[1]) if dbt_args else ()
    result = run(f"--dbt-project-dir={project.name}", "--dbt-select=*", *plugin_vars, "--dbt-threads=1", *mode,
                 "--junitxml=report.xml")
    stdout = result.stdout.str()
    try:
        assert_follows_dbt(source, project, pytester.path / "report.xml", result.ret, shared_dir, *dbt_args)
    except AssertionError:
        print(stdout[-3000:])
        raise
    assert "Traceback" not in stdout
    if source.name == "batches":
        assert result.parseoutcomes() == {"failed": 1, "passed": 1, "skipped": 1}
        assert re.search(r"failed batches: \[2024-01-01T00:00:00\+00:00, 2025-01-01T00:00:00\+00:00\)", stdout)
    if mode and "-n" in mode:
        # Two workers, one DuckDB file: one elected worker built, the other read its outcomes.
        assert not any(w in stdout + result.stderr.str() for w in ("Could not set lock", "Conflicting lock"))
        assert stdout.count("dbt build:") == 1
        assert re.search(r"dbt build: \d+ node\(s\)( and \d+ hook\(s\))? in \d+\.\ds: ", stdout), stdout[-2000:]
