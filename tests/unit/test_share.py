"""The xdist hand-off files, driven by real threads and a real second process."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from pytest_planalign_dbt.runner import NodeResult
from pytest_planalign_dbt.session.nodes import NodeOutcome
from pytest_planalign_dbt.session.share import (
    SharedOutcomes,
    chunk_pending,
    outcome_from_json,
    outcome_to_json,
)


def test_exactly_one_builder_is_elected(tmp_path: Path) -> None:
    winners = []
    barrier = threading.Barrier(6)

    def contend(i: int) -> None:
        barrier.wait()
        if SharedOutcomes(tmp_path, f"gw{i}").elect():
            winners.append(i)

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1
    assert SharedOutcomes(tmp_path, "gw9").builder()["worker"] == f"gw{winners[0]}"


def test_outcomes_round_trip_and_followers_see_them_in_order(tmp_path: Path) -> None:
    outcome = NodeOutcome("model.p.a", "error", NodeResult("model.p.a", "a", "model", "error", "boom",
                                                           error_class="execution"), samples=[{"x": 1}])
    assert outcome_from_json(outcome_to_json(outcome)) == outcome
    builder = SharedOutcomes(tmp_path, "gw0")
    assert builder.elect()
    seen: list[str] = []
    stop = threading.Event()
    result: list[str | None] = []
    follower = threading.Thread(
        target=lambda: result.append(SharedOutcomes(tmp_path, "gw1").follow(lambda o: seen.append(o.unique_id), stop, 0.01))
    )
    follower.start()
    builder.publish(outcome)
    builder.publish(NodeOutcome("model.p.b", "success"))
    builder.finish()
    follower.join(5)
    assert seen == ["model.p.a", "model.p.b"] and result == [None]


def test_a_dead_builder_is_noticed(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(proc.stdout)
    (tmp_path / "builder.json").write_text(f'{{"worker": "gw0", "pid": {dead_pid}}}')
    SharedOutcomes(tmp_path, "gw0").publish(NodeOutcome("model.p.a", "success"))
    seen: list[str] = []
    reason = SharedOutcomes(tmp_path, "gw1").follow(lambda o: seen.append(o.unique_id), threading.Event(), 0.01)
    assert seen == ["model.p.a"]
    assert reason == f"the xdist worker building the dbt nodes (gw0, PID {dead_pid}) stopped before the build finished"
    stopped = threading.Event()
    stopped.set()
    assert SharedOutcomes(tmp_path / "new", "gw1").follow(print, stopped) == "stopped while waiting for the dbt build"
    assert SharedOutcomes(tmp_path / "new", "gw1").builder() == {}
    assert chunk_pending(tmp_path / "missing", 0) is False
