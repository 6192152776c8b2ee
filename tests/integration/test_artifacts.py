"""An in-process run writes dbt's artifacts as the CLI does, without rewriting a manifest.json
that is already this parse's (runner/executors/artifacts.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pytest_planalign_dbt import DbtConfigError, DbtRunner
from pytest_planalign_dbt.runner.files import WriteFailed

pytestmark = pytest.mark.integration


def _stamp(path: Path) -> int:
    return path.stat().st_mtime_ns


def test_run_results_every_call_and_the_manifest_once_per_parse(copy_project) -> None:
    project = copy_project("varsdag")
    runner = DbtRunner(project, threads=1)
    target = project / "target"
    first = runner.execute_command(["run"], dbt_vars={"source": "a"}, stream_output=False)
    manifest, results = target / "manifest.json", target / "run_results.json"
    written = json.loads(manifest.read_text())
    assert "model.varsdag.picker" in written["nodes"]
    assert written["nodes"]["model.varsdag.picker"]["depends_on"]["nodes"] == ["model.varsdag.a"]
    run_results = json.loads(results.read_text())
    assert run_results["metadata"]["invocation_id"] == first.invocation_id
    assert run_results["args"]["write_json"] is True  # as dbt's own file says
    assert "--no-write-json" not in run_results["args"]["invocation_command"]
    assert {r["unique_id"] for r in run_results["results"]} == {n.unique_id for n in first.nodes}
    kept = _stamp(manifest)

    again = runner.execute_command(["run", "--select", "a"], dbt_vars={"source": "a"}, stream_output=False)
    assert _stamp(manifest) == kept  # the same parse: its manifest.json is on disk already
    assert json.loads(results.read_text())["metadata"]["invocation_id"] == again.invocation_id
    assert [r["unique_id"] for r in json.loads(results.read_text())["results"]] == ["model.varsdag.a"]

    runner.execute_command(["run"], dbt_vars={"source": "b"}, stream_output=False)  # another parse
    assert json.loads(manifest.read_text())["nodes"]["model.varsdag.picker"]["depends_on"]["nodes"] == [
        "model.varsdag.b"]
    kept = _stamp(manifest)
    os.utime(manifest, ns=(kept - 10**9, kept - 10**9))  # someone else wrote it since (the CLI, say)
    runner.execute_command(["run", "--select", "b"], dbt_vars={"source": "b"}, stream_output=False)
    assert _stamp(manifest) != kept - 10**9


def test_always_rewrites_and_false_writes_nothing(copy_project) -> None:
    project = copy_project("minimal")
    manifest = project / "target" / "manifest.json"
    always = DbtRunner(project, threads=1, write_json="always")
    always.execute_command(["run"], stream_output=False)
    kept = _stamp(manifest)
    always.execute_command(["run"], stream_output=False)
    assert _stamp(manifest) != kept
    manifest.unlink()
    (project / "target" / "run_results.json").unlink()
    DbtRunner(project, threads=1, write_json=False).execute_command(["run"], stream_output=False)
    assert not manifest.exists() and not (project / "target" / "run_results.json").exists()


def test_a_failed_node_still_gets_its_run_results(copy_project) -> None:
    project = copy_project("minimal")
    (project / "models" / "broken.sql").write_text("select * from nowhere_at_all")
    result = DbtRunner(project, threads=1).execute_command(["run"], stream_output=False, retry=False)
    assert not result.success
    statuses = {r["unique_id"]: r["status"] for r in
                json.loads((project / "target" / "run_results.json").read_text())["results"]}
    assert statuses["model.minimal.broken"] == "error"


def test_write_json_takes_one_of_its_three_values(copy_project) -> None:
    with pytest.raises(DbtConfigError, match='write_json must be True, False or "always"'):
        DbtRunner(copy_project("minimal"), write_json="sometimes")


def test_artifacts_that_cannot_be_written_fail_the_call_loudly(copy_project) -> None:
    """Something in the way of run_results.json: the call raises WriteFailed naming it (never a
    success with a torn or missing file); nothing half-written is left behind."""
    project = copy_project("minimal")
    (project / "target" / "run_results.json").mkdir(parents=True)  # in the way of dbt's file
    with pytest.raises(WriteFailed, match=r"could not write .*target/run_results.json: Is a directory"):
        DbtRunner(project, threads=1).execute_command(["run"], stream_output=False)
    assert not [p for p in (project / "target").iterdir() if p.name.startswith(".planalign")]
