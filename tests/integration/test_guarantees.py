"""Reliability rows produced for real: stale parses, stale results, secrets, mid-build failures."""

from __future__ import annotations

import json
import logging

import duckdb
import pytest

from pytest_planalign_dbt import (
    DbtExecutionError,
    DbtRunner,
    DbtTransientError,
    RetryPolicy,
)

pytestmark = pytest.mark.integration


def test_a_reused_manifest_that_went_stale_is_parsed_again(copy_project, caplog) -> None:
    runner = DbtRunner(copy_project("varsdag"), reuse_manifest_across_vars=True)
    assert runner.execute_command(["run"], dbt_vars={"source": "a"}, stream_output=False).success
    assert runner.rows("picker") == [{"picked": "a"}]
    with caplog.at_level(logging.WARNING):
        result = runner.execute_command(["run", "--select", "picker"], dbt_vars={"source": "b"},
                                        stream_output=False)
    assert result.success
    assert "the reused dbt manifest is stale; parsing again" in caplog.text
    assert runner.rows("picker", dbt_vars={"source": "b"}) == [{"picked": "b"}]


def test_reusing_the_manifest_across_simulation_years_is_safe_on_example_project(copy_project) -> None:
    """The example project's DAG does not depend on simulation_year: one parse serves every year."""
    project = copy_project("example_project")
    runner = DbtRunner(project, reuse_manifest_across_vars=True)
    for year in (2025, 2026):
        assert runner.execute_command(["build"], simulation_year=year, stream_output=False).success
    assert runner.executor.parses == 1
    with duckdb.connect(str(project / "simulation.duckdb"), read_only=True) as con:
        counts = con.execute("select simulation_year, count(*) from fct_workforce_snapshot group by 1 order by 1").fetchall()
    assert counts == [(2025, 347), (2026, 353)]  # the same rows as a run that re-parses each year


def test_a_corrupted_partial_parse_file_falls_back_to_a_full_parse(copy_project) -> None:
    project = copy_project("minimal")
    runner = DbtRunner(project, executor="subprocess")
    assert runner.execute_command(["run"], stream_output=False).success
    (project / "target" / "partial_parse.msgpack").write_bytes(b"\x00garbage, not msgpack\xff")
    (project / "models" / "base_numbers.sql").write_text("select 7 as n")
    result = runner.execute_command(["run"], stream_output=False)
    assert result.success
    assert runner.rows("scaled") == [{"n": 7}]


def test_a_lock_at_start_never_blames_earlier_results(copy_project, hold_lock) -> None:
    project = copy_project("minimal")
    (project / "target").mkdir()
    (project / "target" / "run_results.json").write_text(json.dumps({
        "metadata": {"invocation_id": "an-earlier-run"},
        "results": [{"unique_id": "model.minimal.scaled", "status": "error", "message": "old failure"}],
    }))
    runner = DbtRunner(project, executor="subprocess", retry_policy=RetryPolicy(max_attempts=1, lock_wait=0))
    hold_lock(project / "minimal.duckdb", 60)
    with pytest.raises(DbtTransientError) as info:
        runner.execute_command(["run"], stream_output=False)
    assert info.value.nodes == [] and "old failure" not in str(info.value)


def test_a_model_failing_mid_build_keeps_what_was_built_before(copy_project) -> None:
    project = copy_project("holdout")
    runner = DbtRunner(project, threads=1)
    with pytest.raises(DbtExecutionError):
        runner.execute_command(["build", "--exclude", "compile_error_model", "assert_no_grace"],
                               stream_output=False)
    assert runner.rows("good_model") and len(runner.rows("good_model")) == 3


def test_secrets_never_reach_results_errors_or_lines(copy_project, monkeypatch, caplog) -> None:
    """Secret-named env vars (PGPASSWORD, DBT_ENV_SECRET_*) and vars (api_token) are redacted in
    the command, dbt's lines, node messages, the error and the runner's own log."""
    monkeypatch.setenv("PGPASSWORD", "hunter2-secret")
    monkeypatch.setenv("DBT_ENV_SECRET_TOKEN", "sup3rs3cret")
    project = copy_project("minimal")
    (project / "models" / "leaky.sql").write_text(
        "{{ config(materialized='table') }}"
        "select cast('{{ env_var(\"PGPASSWORD\") }}' as integer) as n,"
        " cast('{{ var(\"api_token\") }}' as integer) as m"
    )
    runner = DbtRunner(project)
    lines: list[str] = []
    with caplog.at_level(logging.DEBUG, logger="pytest_planalign_dbt"):
        result = runner.execute_command(["run", "--select", "leaky"], dbt_vars={"api_token": "tok-98765", "api": "sup3rs3cret"},
                                        on_line=lines.append, retry=False)
    texts = [result.stdout, result.stderr, " ".join(result.command), str(result.error),
             *(n.message or "" for n in result.nodes), *lines, caplog.text]
    assert not any(secret in t for t in texts for secret in ("hunter2-secret", "tok-98765", "sup3rs3cret"))
    assert "****" in str(result.error) and "****" in " ".join(result.command)


def test_an_in_process_build_leaves_dbt_and_its_parse_out_of_collections_and_thaws_after(copy_project) -> None:
    """While dbt runs, what was alive when the call began and the parsed manifest are frozen
    (left out of every collection); after the call nothing is (runner/parse/heap.py)."""
    import gc

    runner = DbtRunner(copy_project("minimal"))
    seen: list[tuple[int, bool]] = []

    def during(event) -> None:
        if not seen:  # gc.get_objects() lists what collections walk: never the frozen
            manifest = runner.executor.manifest()
            walked = any(o is manifest for o in gc.get_objects())
            seen.append((gc.get_freeze_count(), walked))

    result = runner.execute_command(["build"], stream_output=False, on_progress=during)
    assert result.success
    [(frozen, manifest_walked)] = seen
    assert frozen > 0 and not manifest_walked
    assert gc.get_freeze_count() == 0
    assert any(o is runner.executor.manifest() for o in gc.get_objects())
