"""Items report as their nodes finish, not when the whole build ends."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

RECORDER = '''
from pytest_planalign_dbt.collection import COLLECTION_KEY

EVENTS = []

def pytest_runtest_logreport(report):
    if report.when != "call":
        return
    import pytest
    config = pytest.dbt_config
    build = config.stash[COLLECTION_KEY].build
    slow_done = "model.slow.slow_model" in build.outcomes
    with open("events.txt", "a") as f:
        f.write(f"{report.nodeid.split('::')[-1]} reported; slow_model finished={slow_done}; "
                f"build done={build.done.is_set()}\\n")

def pytest_configure(config):
    import pytest
    pytest.dbt_config = config
'''


@pytest.mark.parametrize("executor", ["inprocess", "subprocess"])
def test_fast_node_reports_before_the_slow_node_finishes(dbt_project, run, pytester, executor) -> None:
    dbt_project("slow")
    pytester.makeconftest(RECORDER)
    result = run("--dbt-project-dir", "slow", "--dbt-select", "*", "--dbt-vars", "{slow_rows: 25000}",
                 "--dbt-executor", executor, "-v")
    assert result.ret == 0
    events = (pytester.path / "events.txt").read_text().splitlines()
    # The fast node's report is written while dbt is still running the slow model.
    assert events[0] == "fast_upstream reported; slow_model finished=False; build done=False"
    assert events[1].startswith("slow_model reported; slow_model finished=True")
    assert events[2].startswith("after_slow reported; slow_model finished=True")
