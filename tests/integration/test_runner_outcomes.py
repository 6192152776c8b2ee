"""Real dbt on small broken projects: every failure class, from both executors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_planalign_dbt import (
    DbtCompilationError,
    DbtConfigError,
    DbtDataQualityError,
    DbtError,
    DbtExecutionError,
    DbtRunner,
)

pytestmark = pytest.mark.integration

EXPECTED = {
    "people": ("success", None),
    "good_model": ("success", None),
    "compile_error_model": ("error", "compilation"),
    "runtime_error_model": ("error", "execution"),
    "child_of_error": ("skipped", None),
    "not_null_child_of_error_id": ("skipped", None),
    "unique_good_model_id": ("pass", None),
    "not_null_good_model_id": ("pass", None),
    "not_null_good_model_team": ("warn", None),
    "assert_no_grace": ("fail", "data_quality"),
}


@pytest.mark.parametrize("executor", ["inprocess", "subprocess"])
def test_holdout_build_gives_each_class_with_node_message_path_and_fix(copy_project, executor) -> None:
    project = copy_project("holdout")
    runner = DbtRunner(project, threads=2, executor=executor)
    result = runner.execute_command(["build"], stream_output=False, retry=False)
    assert not result.success and result.return_code == 1
    got = {n.name: (n.status, n.error_class) for n in result.nodes}
    assert got == EXPECTED
    assert isinstance(result.error, DbtCompilationError)  # the most severe kind present
    assert {n.name for n in result.error.nodes} == {"compile_error_model", "runtime_error_model", "assert_no_grace"}

    runtime = result.node("runtime_error_model")
    assert runtime is not None and "Could not convert string 'abc'" in (runtime.message or "")
    assert runtime.original_file_path == "models/runtime_error_model.sql"
    assert runtime.compiled_path and Path(runtime.compiled_path).is_file()
    dq = result.node("assert_no_grace")
    assert dq is not None and dq.failures == 1 and dq.compiled_path and Path(dq.compiled_path).is_file()
    warn = result.node("not_null_good_model_team")
    assert warn is not None and warn.failures == 1 and not warn.failed

    # Each class raised on its own, with the fix in plain words.
    with pytest.raises(DbtExecutionError) as exe:
        runner.execute_command(["run", "--select", "runtime_error_model"], stream_output=False)
    assert exe.value.node_names == ["runtime_error_model"]
    assert exe.value.compiled_path == runtime.compiled_path
    assert "reproduce" in exe.value.fix
    with pytest.raises(DbtDataQualityError) as dq_error:
        runner.execute_command(["test", "--select", "assert_no_grace"], stream_output=False)
    assert "Got 1 result" in dq_error.value.dbt_message and "failing rows" in dq_error.value.fix
    with pytest.raises(DbtCompilationError) as comp:
        runner.execute_command(["run", "--select", "compile_error_model"], stream_output=False)
    assert "broken on purpose" in str(comp.value)


def test_warn_only_is_success(copy_project) -> None:
    runner = DbtRunner(copy_project("holdout"), threads=2)
    result = runner.execute_command(["build", "--select", "people", "good_model", "--exclude", "assert_no_grace"],
                                    stream_output=False)
    assert result.success and result.error is None
    assert result.node("not_null_good_model_team").status == "warn"


@pytest.mark.parametrize("executor", ["inprocess", "subprocess"])
def test_a_project_that_does_not_parse_never_blames_old_results(copy_project, executor) -> None:
    project = copy_project("unparsable")
    target = project / "target"
    target.mkdir()
    # A previous run's failing results are lying around.
    (target / "run_results.json").write_text(json.dumps({
        "metadata": {"invocation_id": "old-run"},
        "results": [{"unique_id": "model.unparsable.old", "status": "error", "message": "old failure"}],
    }))
    runner = DbtRunner(project, executor=executor)
    with pytest.raises(DbtCompilationError) as info:
        runner.execute_command(["build"], stream_output=False)
    error = info.value
    assert error.nodes == [] and error.result is not None and error.result.nodes == []
    assert "old failure" not in str(error)
    assert "broken_jinja" in error.dbt_message or "Parsing Error" in error.dbt_message or "Compilation Error" in error.dbt_message
    assert error.result.return_code == 2


def test_runner_settings_are_validated_before_dbt_starts(copy_project, tmp_path) -> None:
    project = copy_project("holdout")
    with pytest.raises(DbtConfigError, match="no dbt_project.yml"):
        DbtRunner(tmp_path)
    with pytest.raises(DbtConfigError, match="target 'prod' is not in profile 'holdout': use one of dev, other, postgres"):
        DbtRunner(project, target="prod")
    with pytest.raises(DbtConfigError, match="executor must be one of"):
        DbtRunner(project, executor="threads")
    with pytest.raises(DbtConfigError, match="timeout must be"):
        DbtRunner(project, timeout=0)
    with pytest.raises(ValueError, match="threads must be >= 1"):
        DbtRunner(project, threads=0)
    runner = DbtRunner(project, target="other", target_path="t2", log_path="l2")
    with pytest.raises(ValueError, match="model name must be a non-empty string"):
        runner.run_model("")
    with pytest.raises(ValueError, match="timeout must be"):
        runner.execute_command(["build"], timeout=-1)
    assert runner.run_models([]) == []
    assert runner.adapter_type == "duckdb"
    # target_path / log_path are honoured: artifacts land there, not in target/.
    result = runner.execute_command(["seed"], stream_output=False)
    assert result.success and (project / "t2" / "run_results.json").is_file()
    assert (project / "other.duckdb").is_file() and not (project / "holdout.duckdb").exists()
    assert result.log_path == str(project / "l2" / "dbt.log")


def test_missing_executable_is_not_retried(copy_project) -> None:
    runner = DbtRunner(copy_project("minimal"), executor="subprocess", dbt_executable="/nonexistent/dbt")
    with pytest.raises(DbtError, match="dbt executable not found") as info:
        runner.run_model("base_numbers", stream_output=False)
    assert "dbt_executable=" in info.value.fix


def test_run_models_parallel_splits_results_and_raises_the_first_failure(copy_project) -> None:
    runner = DbtRunner(copy_project("holdout"), threads=2)
    runner.execute_command(["seed"], stream_output=False)
    results = runner.run_models(["good_model", "runtime_error_model"], parallel=True, retry=False,
                                stream_output=False)
    assert [r.success for r in results] == [True, False]
    assert isinstance(results[1].error, DbtExecutionError)
    assert results[1].error.result is results[1]
    with pytest.raises(DbtExecutionError):
        runner.run_models(["good_model", "runtime_error_model"], parallel=True, stream_output=False)


@pytest.mark.parametrize("executor", ["inprocess", "subprocess"])
def test_a_ref_to_a_missing_node_names_the_closest_one(copy_project, executor) -> None:
    project = copy_project("minimal")
    (project / "models" / "typo.sql").write_text("select * from {{ ref('scaledd') }}\n")
    with pytest.raises(DbtCompilationError) as info:
        DbtRunner(project, executor=executor).execute_command(["parse"], stream_output=False)
    assert info.value.fix.startswith("did you mean 'scaled'? check the name in ref('scaledd')")
    assert str(info.value).endswith(info.value.fix)
