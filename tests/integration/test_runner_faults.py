"""Faults produced for real: a second process holding the lock, timeouts, Ctrl+C, threads."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from pytest_planalign_dbt import (
    DbtRunner,
    DbtTimeoutError,
    DbtTransientError,
    RetryPolicy,
)

from ..conftest import duckdb_is_free

pytestmark = pytest.mark.integration

FAST_RETRY = RetryPolicy(max_attempts=8, base_delay=0.5, max_delay=2.0, jitter=0.1)


def test_database_locked_for_a_few_seconds_is_retried_and_succeeds(copy_project, hold_lock) -> None:
    project = copy_project("minimal")
    runner = DbtRunner(project, retry_policy=FAST_RETRY)
    runner.list_nodes()  # parse first, so the lock is still held when dbt connects
    hold_lock(project / "minimal.duckdb", 3)
    result = runner.execute_command(["run"], stream_output=False)
    assert result.success and result.attempts >= 2
    assert {n.name for n in result.nodes} == {"base_numbers", "scaled"}


@pytest.mark.parametrize("executor", ["inprocess", "subprocess"])
def test_database_locked_for_good_names_the_holder(copy_project, hold_lock, executor) -> None:
    project = copy_project("minimal")
    runner = DbtRunner(project, executor=executor,
                       retry_policy=RetryPolicy(max_attempts=2, base_delay=0.1, jitter=0, lock_wait=0))
    holder = hold_lock(project / "minimal.duckdb", 120)
    with pytest.raises(DbtTransientError) as info:
        runner.execute_command(["run"], stream_output=False)
    error = info.value
    assert error.result is not None and error.result.attempts == 2
    assert f"PID {holder.pid}" in error.fix and "minimal.duckdb" in error.fix
    assert "Conflicting lock" in error.dbt_message


def test_a_lock_held_past_the_attempts_is_waited_for_until_lock_wait(copy_project, hold_lock, caplog) -> None:
    """Another session's build holds the file longer than the usual attempts last (~1.5 s here):
    the runner polls until it is free, naming the holder, within lock_wait."""
    project = copy_project("minimal")
    runner = DbtRunner(project, retry_policy=RetryPolicy(max_attempts=2, base_delay=0.5, jitter=0, lock_wait=30))
    runner.list_nodes()  # parse first, so the lock is still held when dbt connects
    holder = hold_lock(project / "minimal.duckdb", 6)
    with caplog.at_level(logging.WARNING, logger="pytest_planalign_dbt"):
        result = runner.execute_command(["run"], stream_output=False)
    assert result.success and result.attempts > 2
    assert "is locked by" in caplog.text and f"(PID {holder.pid}); waiting for it" in caplog.text
    short = DbtRunner(project, retry_policy=RetryPolicy(max_attempts=2, base_delay=0.1, jitter=0, lock_wait=1))
    hold_lock(project / "minimal.duckdb", 60)
    started = time.monotonic()
    with pytest.raises(DbtTransientError):
        short.execute_command(["run"], stream_output=False)
    assert time.monotonic() - started < 30  # the deadline holds


def test_a_node_level_lock_reruns_only_that_node_and_its_children(copy_project, hold_lock, monkeypatch) -> None:
    project = copy_project("lockable")
    other = project / "other.duckdb"
    monkeypatch.setenv("LOCKABLE_OTHER_DB", str(other))
    runner = DbtRunner(project, retry_policy=FAST_RETRY)
    runner.list_nodes()  # parse first, so the lock is still held when the node runs
    hold_lock(other, 3)
    lines: list[str] = []
    result = runner.execute_command(["run"], on_line=lines.append)
    assert result.success and result.attempts >= 2
    assert {n.name: n.status for n in result.nodes} == {
        "independent": "success", "attaches_other": "success", "child_of_attach": "success"}
    totals = [line for line in lines if line.startswith("Done.")]
    assert totals[0].endswith("TOTAL=3")
    # Retries select only the transient node and the child it skipped.
    assert all(line.endswith("TOTAL=2") for line in totals[1:])


@pytest.mark.parametrize("executor", ["inprocess", "subprocess"])
def test_timeout_cancels_the_query_and_frees_the_lock(copy_project, executor) -> None:
    project = copy_project("slow")
    runner = DbtRunner(project, executor=executor, timeout=4)
    started = time.monotonic()
    with pytest.raises(DbtTimeoutError) as info:
        runner.execute_command(["run"], dbt_vars={"slow_rows": 10_000_000}, stream_output=False)
    assert time.monotonic() - started < 30
    assert info.value.result is not None and info.value.result.attempts == 1  # timeouts are not retried
    assert "timeout of 4.0s" in info.value.dbt_message
    deadline = time.monotonic() + 5
    while not duckdb_is_free(project / "slow.duckdb"):
        assert time.monotonic() < deadline, "the DuckDB file is still locked 5 s after the timeout"
        time.sleep(0.2)


CTRL_C_SCRIPT = textwrap.dedent("""
    import signal, sys
    # A background job may inherit SIGINT ignored; a terminal's Ctrl+C is what we model.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    from pytest_planalign_dbt import DbtRunner
    runner = DbtRunner(sys.argv[1], executor=sys.argv[2])
    def line(text):
        print(text, flush=True)
    try:
        runner.execute_command(["run"], dbt_vars={"slow_rows": 10_000_000}, on_line=line)
    except KeyboardInterrupt:
        print("INTERRUPTED", flush=True)
        sys.exit(130)
""")


@pytest.mark.parametrize("executor", ["inprocess", "subprocess"])
def test_ctrl_c_stops_dbt_and_frees_the_lock(copy_project, executor, tmp_path) -> None:
    project = copy_project("slow")
    script = tmp_path / "ctrl_c.py"
    script.write_text(CTRL_C_SCRIPT)
    proc = subprocess.Popen([sys.executable, str(script), str(project), executor],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if "START sql table model main.slow_model" in line:
            break
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    sent = time.monotonic()
    rest = proc.stdout.read()
    assert proc.wait(30) == 130
    assert "INTERRUPTED" in rest
    while not duckdb_is_free(project / "slow.duckdb"):
        assert time.monotonic() - sent < 5, "lock still held 5 s after Ctrl+C"
        time.sleep(0.2)
    # No dbt process of ours is left behind.
    leftovers = subprocess.run(["pgrep", "-f", str(project)], capture_output=True, text=True).stdout.split()
    assert [pid for pid in leftovers if int(pid) != os.getpid()] == []


def test_callbacks_that_raise_or_dawdle_never_break_the_run(copy_project, caplog) -> None:
    runner = DbtRunner(copy_project("minimal"), callback_drain_timeout=0.5)
    calls = []

    def raising(line: str) -> None:
        calls.append(line)
        raise RuntimeError("bad on_line")

    def sleepy(event: object) -> None:
        time.sleep(2)

    with caplog.at_level(logging.ERROR):
        result = runner.execute_command(["run"], on_line=raising, on_progress=sleepy)
    assert result.success and len(calls) > 5
    assert sum("bad on_line" in (r.exc_text or "") or "raised" in r.getMessage() for r in caplog.records) == 1


@pytest.mark.parametrize("executor", ["inprocess", "subprocess"])
def test_lines_of_a_long_running_model_arrive_while_it_runs(copy_project, executor) -> None:
    runner = DbtRunner(copy_project("slow"), executor=executor)
    events: list[str] = []
    lock = threading.Lock()
    started = threading.Event()

    def record(what: str) -> None:
        with lock:
            events.append(what)

    def on_line(line: str) -> None:
        if "START sql table model main.slow_model" in line:
            record("line: START slow_model")
            started.set()

    def on_progress(event) -> None:
        if event.kind == "finish" and event.name == "slow_model":
            record("progress: slow_model finished")

    def watcher() -> None:
        started.wait(60)
        with lock:
            running = "progress: slow_model finished" not in events
        record(f"watcher: slow_model still running={running}")

    watch = threading.Thread(target=watcher)
    watch.start()
    runner.execute_command(["run"], dbt_vars={"slow_rows": 25000}, on_line=on_line, on_progress=on_progress)
    record("execute_command returned")
    watch.join(5)
    assert events == [
        "line: START slow_model",
        "watcher: slow_model still running=True",
        "progress: slow_model finished",
        "execute_command returned",
    ]


def test_eight_threads_times_two_calls_share_one_runner(copy_project) -> None:
    runner = DbtRunner(copy_project("minimal"))
    assert runner.execute_command(["run"], stream_output=False).success
    results: list[tuple[str, object]] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        for j in range(2):
            model = ("base_numbers", "scaled")[(i + j) % 2]
            result = runner.run_model(model, stream_output=False)
            with lock:
                results.append((model, result))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert len(results) == 16
    assert all(r.success and [n.name for n in r.nodes] == [m] for m, r in results)
    assert len({r.invocation_id for _, r in results}) == 16
    assert runner.executor.parses == 1  # one parse, shared by every thread
    assert runner.rows("scaled") == [{"n": 1}, {"n": 2}, {"n": 3}]


@pytest.mark.parametrize("point", ["aside", "written"])
def test_the_dbt_clis_partial_parse_survives_a_kill_at_each_point(copy_project, point) -> None:
    """Killed while the CLI's partial-parse file is set aside: the next run puts it back, and the
    dbt CLI's next parse is partial again."""
    from tests.helpers.verdicts import DBT, cli_env

    project = copy_project("minimal")

    def cli_parse() -> str:
        proc = subprocess.run([DBT, "parse", "--profiles-dir", "."], cwd=project, capture_output=True, text=True,
                              env=cli_env(drop=("DBT_",)))
        assert proc.returncode == 0, proc.stdout[-2000:]
        return proc.stdout

    cli_parse()  # the CLI's own file in target/
    killed = subprocess.run([sys.executable, str(Path(__file__).parents[1] / "helpers" / "kill_mid_parse.py"),
                             point, str(project)], capture_output=True, text=True, env=cli_env())
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert (project / "target" / "planalign_parse" / "cli-partial-parse.aside").exists()
    runner = DbtRunner(project, threads=1)  # the next run, with vars the CLI does not pass
    assert runner.execute_command(["ls"], dbt_vars={"multiplier": 3}, stream_output=False).success
    assert not (project / "target" / "planalign_parse" / "cli-partial-parse.aside").exists()
    assert "Unable to do partial parsing" not in cli_parse()  # the CLI's next parse is partial
