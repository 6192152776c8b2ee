"""The one rule: every node's pytest outcome follows from dbt's own status for it.

For each test project the plugin builds a copy (``pytest --dbt-select '*'``):
every item's outcome must follow from the status dbt wrote for its node in the
``run_results.json`` of that same invocation, hooks included, with no node
missing either way. dbt's own CLI builds another copy (``dbt build``): its
statuses and exit code must be the plugin's too. Serially, and under ``-n 2``; in-process,
and with dbt as a subprocess.
(The serial red builds of rich and holdout are checked on the module-scoped runs of
``test_rich.py`` and ``test_outcomes.py``.)
One thing dbt itself does not repeat: which of a model's unit tests runs first
(it varies between processes); when one fails, a sibling that had not run yet
is skipped. Such unit tests may be "pass" in one run and "skipped" in the other.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers.verdicts import (
    compare,
    copy_project,
    dbt_build,
    junit_outcomes,
    run_results,
)

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
    pytest.param(EXAMPLE, (), ("--vars", '{"simulation_year": 2025}'), id="example_project"),
]


@pytest.mark.parametrize(("source", "mode", "dbt_args"), CASES)
def test_pytest_outcomes_follow_dbts_run_results(tmp_path: Path, pytester, run, source: Path, mode,
                                                 dbt_args) -> None:
    reference = copy_project(source, tmp_path)
    dbt_code, statuses = dbt_build(reference, "--threads", "1", *dbt_args)
    pytester.makeini("[pytest]\n")
    project = copy_project(source, pytester.path)
    plugin_vars = ("--dbt-vars", dbt_args[1]) if dbt_args else ()
    result = run(f"--dbt-project-dir={project.name}", "--dbt-select=*", *plugin_vars, "--dbt-threads=1", *mode,
                 "--junitxml=report.xml")
    stdout = result.stdout.str()
    outcomes = junit_outcomes(pytester.path / "report.xml")
    own = run_results(project)
    assert compare(own, outcomes) == [], stdout[-3000:]
    racing = {u for u in own if u.startswith("unit_test.") and {own[u], statuses.get(u)} == {"pass", "skipped"}}
    assert compare({u: s for u, s in statuses.items() if u not in racing},
                   {u: o for u, o in outcomes.items() if u not in racing}) == [], stdout[-3000:]
    assert result.ret == dbt_code, stdout[-3000:]
    assert "Traceback" not in stdout
    if mode:
        # Two workers, one DuckDB file: one elected worker built, the other read its outcomes.
        assert not any(w in stdout + result.stderr.str() for w in ("Could not set lock", "Conflicting lock"))
        assert stdout.count("dbt build:") == 1
        assert re.search(r"dbt build: \d+ node\(s\)( and \d+ hook\(s\))? in \d+\.\ds: ", stdout), stdout[-2000:]
