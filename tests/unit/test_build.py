"""SessionBuild's bookkeeping, with a stand-in runner (the real build is tested in tests/plugin)."""

from __future__ import annotations

import threading

from pytest_planalign_dbt.runner import DbtResult, NodeResult
from pytest_planalign_dbt.runner.events import ProgressEvent
from pytest_planalign_dbt.runner.failures.errors import DbtExecutionError
from pytest_planalign_dbt.session.build import SessionBuild
from pytest_planalign_dbt.session.nodes import NodeOutcome, NodeSpec, topological

A = NodeSpec("model.p.a", "a", "model", "models/a.sql", "p", ("x",), ("p", "a"))
B = NodeSpec("model.p.b", "b", "model", "models/b.sql", "p", (), ("p", "b"), ("model.p.a",))
T = NodeSpec("test.p.t", "t", "test", "models/s.yml", "p", (), ("p", "t"), ("model.p.b",))
U = NodeSpec("unit_test.p.a.u", "u", "unit_test", "models/s.yml", "p", (), ("p", "a", "u"), ("model.p.a",))


class FakeRunner:
    def __init__(self, result=None, crash=None, rows=None):
        self.result, self.crash, self.rows, self.calls = result, crash, rows, []

    def execute_command(self, args, **kwargs):
        self.calls.append(args)
        on_progress = kwargs["on_progress"]
        on_progress(ProgressEvent("start", "model.p.a", "a", "model", 1, 2))
        on_progress(ProgressEvent("finish", "model.p.a", "a", "model", 1, 2, "success", 0.5))
        on_progress(ProgressEvent("finish", "model.p.zzz", "zzz", "model", 1, 2, "success", 0.5))
        if self.crash:
            raise self.crash
        return self.result

    def show(self, **kwargs):
        if self.rows is None:
            raise DbtExecutionError("Runtime Error")
        return self.rows


def test_specs_from_ls_and_order() -> None:
    spec = NodeSpec.from_ls({"unique_id": "model.p.b", "name": "b", "resource_type": "model",
                             "depends_on": {"nodes": ["model.p.a"]}, "fqn": ["p", "b"]})
    assert spec.parents == ("model.p.a",) and spec.selector == "fqn:p.b"
    assert U.selector == "unit_test:p.u"
    assert NodeSpec("x", "x", "model", "", "").selector == "x"
    assert [s.name for s in topological([T, B, A, U])] == ["u", "a", "b", "t"]  # unit tests first


def test_command_uses_the_users_selection_unless_items_were_deselected() -> None:
    build = SessionBuild(FakeRunner(), [A, B, T], selection=["--select", "a+"])
    assert build.command(["model.p.a", "model.p.b", "test.p.t"], False) == ["build", "--select", "a+"]
    assert build.command(["model.p.b", "test.p.t"], True) == [
        "build", "--select", "fqn:p.b", "fqn:p.t", "--indirect-selection", "empty", "--fail-fast"]


def test_outcomes_from_progress_then_the_final_results() -> None:
    nodes = [
        NodeResult("model.p.a", "a", "model", "success", "OK", execution_time=0.5),
        NodeResult("model.p.b", "b", "model", "error", "Runtime Error\nboom", error_class="execution"),
        NodeResult("test.p.t", "t", "test", "skipped"),
    ]
    result = DbtResult(False, "", "", 1.0, 1, ["dbt"], nodes=nodes, attempts=2)
    build = SessionBuild(FakeRunner(result), [A, B, T])
    build.start(["model.p.a", "model.p.b", "test.p.t"])
    build.start(["model.p.a"])  # idempotent
    pumped = []
    assert build.wait("test.p.t", pump=lambda: pumped.append(1)).upstream_failures == ["model b (execution)"]
    assert build.done.wait(5)
    assert build.order[0] == "model.p.a"  # known from progress, before the build ended
    a = build.outcomes["model.p.a"]
    assert a.status == "success" and a.kind is None
    b = build.outcomes["model.p.b"]
    assert (b.status, b.kind, b.attempts) == ("error", "execution", 2) and "reproduce" in b.fix
    build.stop()


def test_one_child_carries_an_ephemeral_models_error_and_the_others_skip() -> None:
    """Children dbt skipped for an ephemeral model: with its error in dbt's lines, the first by id
    carries it and the others skip naming it; without one, each skips naming what failed upstream."""
    eph = "caused by compilation error in referenced ephemeral model model.p.eph"
    kids = [NodeSpec(f"model.p.{n}", n, "model", f"models/{n}.sql", "p", (), ("p", n), ("model.p.eph",))
            for n in ("k1", "k2", "k3")]
    lines = "  [ERROR]: in model eph (models/eph.sql)\n    eph cannot compile\n\n"
    nodes = [NodeResult(k.unique_id, k.name, "model", "skipped", eph) for k in kids]
    build = SessionBuild(FakeRunner(DbtResult(False, lines, "", 1.0, 1, ["dbt"], nodes=nodes)), kids)
    build.start([k.unique_id for k in reversed(kids)])
    assert build.done.wait(5)
    first, *others = (build.outcomes[k.unique_id] for k in kids)
    assert first.build_error == "eph cannot compile" and first.upstream_failures == []
    assert all(o.build_error is None and o.upstream_failures == ["ephemeral model eph (compilation error)"]
               for o in others)
    quiet = SessionBuild(FakeRunner(DbtResult(False, "", "", 1.0, 1, ["dbt"], nodes=nodes)), kids)
    quiet.start([k.unique_id for k in kids])
    assert quiet.done.wait(5)
    assert all(quiet.outcomes[k.unique_id].build_error is None for k in kids)


def test_failing_test_gets_sample_rows_or_none() -> None:
    nodes = [NodeResult("test.p.t", "t", "test", "fail", "Got 2 results", failures=2, error_class="data_quality")]
    result = DbtResult(False, "", "", 1.0, 1, ["dbt"], nodes=nodes)
    for rows, expected in (([{"id": 1}], [{"id": 1}]), (None, [])):
        build = SessionBuild(FakeRunner(result, rows=rows), [T])
        build.start(["test.p.t"])
        assert build.wait("test.p.t").samples == expected


def test_a_crash_or_a_missing_node_is_reported_not_lost() -> None:
    build = SessionBuild(FakeRunner(crash=RuntimeError("dbt exploded")), [A, B])
    build.start(["model.p.a", "model.p.b"])
    outcome = build.wait("model.p.b")
    assert outcome.status == "missing" and outcome.kind == "unknown"
    assert "the dbt build crashed: RuntimeError: dbt exploded" in (outcome.build_error or "")
    assert build.wait("model.p.a").status == "success"  # it had finished before the crash
    error = DbtExecutionError("Runtime Error in model b")
    failed = SessionBuild(FakeRunner(DbtResult(False, "", "", 1.0, 2, ["dbt"], error=error)), [B])
    failed.start(["model.p.b"])
    assert "Runtime Error in model b" in (failed.wait("model.p.b").build_error or "")
    quiet = SessionBuild(FakeRunner(DbtResult(True, "", "", 1.0, 0, ["dbt"])), [B])
    quiet.start(["model.p.b"])
    assert quiet.wait("model.p.b").build_error == "dbt did not run this node"


def test_stop_cancels_a_running_build() -> None:
    release = threading.Event()

    class Slow(FakeRunner):
        def execute_command(self, args, **kwargs):
            kwargs["cancel"].wait(5)
            release.set()
            return DbtResult(False, "", "", 1.0, 2, ["dbt"])

    build = SessionBuild(Slow(), [A])
    build.stop()  # nothing started: nothing to do
    build.start(["model.p.a"])
    build.stop(timeout=5)
    assert release.is_set() and build.done.is_set()
    assert NodeOutcome("x", "missing").fix
