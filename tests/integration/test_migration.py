"""The orchestrator's entry points, on DbtRunner: run_dbt_command and friends."""

from __future__ import annotations

import pytest

from pytest_planalign_dbt import DbtExecutionError
from pytest_planalign_dbt.compat import DbtRunner, run_dbt_command

pytestmark = pytest.mark.integration


def test_run_dbt_command_prints_a_status_and_returns_success(copy_project, capsys, monkeypatch) -> None:
    project = copy_project("holdout")
    monkeypatch.chdir(project.parent)
    # The old default working_dir is "dbt"; here the project is passed explicitly.
    assert run_dbt_command(["seed"], "Loading seeds", working_dir=project) is True
    out = capsys.readouterr()
    assert "Loading seeds..." in out.out and "ok: Loading seeds in" in out.out

    ok = run_dbt_command(["run", "--select", "runtime_error_model"], "Building", simulation_year=2025,
                         dbt_vars={"x": 1}, working_dir=project)
    assert ok is False
    err = capsys.readouterr().err
    assert "FAILED: Building: dbt execution error in 1 node(s)" in err
    assert "fix: run the compiled SQL" in err
    with pytest.raises(ValueError, match="unknown dbt subcommand"):
        run_dbt_command(["frobnicate"], working_dir=project)


def test_orchestrator_style_calls(copy_project) -> None:
    project = copy_project("holdout")
    runner = DbtRunner(working_dir=project, threads=2)
    assert run_dbt_command(["seed"], runner=runner)
    result = runner.run_models_by_tag("nightly", simulation_year=2025, stream_output=False)
    assert [n.name for n in result.nodes] == ["good_model"]
    with pytest.raises(ValueError, match="tag must be a non-empty string"):
        runner.run_models_by_tag(" ")
    with pytest.raises(DbtExecutionError) as info:
        runner.execute_command(["run", "--select", "runtime_error_model"], max_attempts=1, stream_output=False)
    assert info.value.result.attempts == 1
