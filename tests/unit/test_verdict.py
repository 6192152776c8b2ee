"""The verdict on one invocation (failures/verdict.py), from hand-made invocations: no dbt runs."""

from __future__ import annotations

import pytest

from pytest_planalign_dbt.runner import (
    DbtCompilationError,
    DbtDataQualityError,
    DbtError,
    DbtExecutionError,
    DbtResult,
    DbtSelectionError,
    DbtTimeoutError,
    Kind,
    NodeResult,
    Status,
    make_command,
)
from pytest_planalign_dbt.runner.invocation import Invocation
from pytest_planalign_dbt.runner.failures.verdict import (
    classify_invocation,
    split_result,
)


def _node(name: str, status: str, message: str | None = None, kind: str | None = None,
          resource_type: str = "model") -> NodeResult:
    return NodeResult(f"{resource_type}.p.{name}", name, resource_type, status, message, error_class=kind)


def _inv(argv: list[str], nodes: list[NodeResult], code: int = 0, **kw) -> Invocation:
    command = make_command(argv)
    return Invocation(command=command, argv=["dbt", *command.argv], return_code=code, lines=kw.pop("lines", []),
                      stderr="", nodes=nodes, fatal=kw.pop("fatal", None), invocation_id="i", duration=1.0, **kw)


def test_success_has_no_error() -> None:
    nodes = [_node("a", Status.SUCCESS), _node("t", Status.PASS, resource_type="test")]
    assert classify_invocation(_inv(["build"], nodes), nodes) is None


def test_the_most_severe_kind_wins_with_its_node_first() -> None:
    nodes = [_node("dq", Status.FAIL, "Got 3 results, configured to fail if != 0", Kind.DATA_QUALITY, "test"),
             _node("bad_sql", Status.ERROR, "Database Error in model bad_sql", Kind.EXECUTION),
             _node("bad_jinja", Status.ERROR, "Compilation Error in model bad_jinja", Kind.COMPILATION)]
    error = classify_invocation(_inv(["build"], nodes, 1), nodes)
    assert isinstance(error, DbtCompilationError)
    assert error.node_names[0] == "bad_jinja" and set(error.node_names) == {"dq", "bad_sql", "bad_jinja"}
    only_dq = nodes[:1]
    assert isinstance(classify_invocation(_inv(["test"], only_dq, 1), only_dq), DbtDataQualityError)


def test_an_ephemeral_models_error_comes_from_dbts_lines() -> None:
    skipped = _node("child", Status.SKIPPED, "caused by compilation error in referenced ephemeral model "
                    "model.p.eph", Kind.COMPILATION)
    lines = ["Failure in model eph (models/eph.sql)", "  Compilation Error in model eph (models/eph.sql)",
             "  'undefined_macro' is undefined", ""]
    error = classify_invocation(_inv(["build"], [skipped], 1, lines=lines), [skipped])
    assert isinstance(error, DbtCompilationError) and "'undefined_macro' is undefined" in error.dbt_message


def test_a_stopped_run_is_a_timeout_or_a_cancellation() -> None:
    timed = classify_invocation(_inv(["run"], [], 2, timed_out=True, fatal="ran longer than 5s"), [])
    assert isinstance(timed, DbtTimeoutError) and timed.kind == Kind.TIMEOUT
    cancelled = classify_invocation(_inv(["run"], [], 2, cancelled=True), [])
    assert type(cancelled) is DbtError and "stopped on request" in cancelled.fix


def test_a_fatal_message_is_classified_and_a_bare_exit_code_is_unknown() -> None:
    fatal = classify_invocation(_inv(["run"], [], 2, fatal="Compilation Error: 'x' is undefined"), [])
    assert isinstance(fatal, DbtCompilationError)
    bare = classify_invocation(_inv(["run"], [], 2, lines=["something odd"]), [])
    assert type(bare) is DbtError and bare.kind == Kind.UNKNOWN and "something odd" in bare.dbt_message


@pytest.mark.parametrize(("argv", "fails"), [
    (["build", "--select", "nothing_*"], True),
    (["run", "-s", "a", "b"], True),
    (["ls", "--select", "nothing_*"], False),  # ls may list nothing: not a mistake
])
def test_an_empty_selection_fails_only_commands_that_must_select(argv: list[str], fails: bool) -> None:
    error = classify_invocation(_inv(argv, [], no_nodes=True), [])
    assert isinstance(error, DbtSelectionError) is fails
    if fails:
        assert "matches no enabled dbt node" in str(error)
        assert " ".join(argv[1:]) in error.dbt_message


def test_a_hook_alone_does_not_count_as_a_selected_node() -> None:
    hook = _node("p-on-run-end-0", Status.SUCCESS, resource_type="operation")
    assert isinstance(classify_invocation(_inv(["run", "--select", "x"], [hook], no_nodes=True), [hook]),
                      DbtSelectionError)


def test_split_result_gives_each_model_its_nodes_and_its_own_error() -> None:
    ok, bad = _node("ok", Status.SUCCESS), _node("bad", Status.ERROR, "Database Error in model bad", Kind.EXECUTION)
    combined = DbtResult(False, "out", "", 3.0, 1, ["dbt", "run"], nodes=[ok, bad],
                         error=DbtExecutionError("Database Error", nodes=[bad]))
    part_ok, part_bad = split_result(combined, "ok"), split_result(combined, "model.p.bad")
    assert part_ok.success and part_ok.nodes == [ok] and part_ok.error is None
    assert not part_bad.success and isinstance(part_bad.error, DbtExecutionError)
    assert part_bad.error.result is part_bad and part_bad.return_code == 1
    # A failed hook ran for every model: each part carries it.
    hook = _node("p-on-run-end-0", Status.ERROR, "Database Error in hook", Kind.EXECUTION, "operation")
    with_hook = DbtResult(False, "", "", 1.0, 1, ["dbt", "run"], nodes=[ok], hooks=[hook])
    assert isinstance(split_result(with_hook, "ok").error, DbtExecutionError)
