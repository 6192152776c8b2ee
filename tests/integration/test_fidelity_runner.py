"""The runner on what real projects do: hooks, empty selections, names, dates, refusals."""

from __future__ import annotations

import datetime as dt
import logging
import shutil

import pytest

from pytest_planalign_dbt import DbtRunner, DbtSelectionError
from pytest_planalign_dbt.runner.failures.errors import (
    DbtCommandError,
    DbtConfigError,
    DbtError,
)
from tests.helpers.rich import seeded_rich

# One module-scoped build feeds every test here: under xdist, one worker runs them all.
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("rich_runner")]


@pytest.fixture(scope="module")
def rich_runner(tmp_path_factory: pytest.TempPathFactory) -> DbtRunner:
    return seeded_rich(tmp_path_factory.mktemp("rich"))


def test_hooks_are_results_of_their_own_and_a_failing_one_fails_the_call(rich_runner) -> None:
    green = rich_runner.run_model("stg_orders", dbt_vars={"red": False}, stream_output=False)
    assert [n.name for n in green.nodes] == ["stg_orders"]
    assert [h.name for h in green.hooks] == ["rich-on-run-start-0", "rich-on-run-start-1", "rich-on-run-end-0"]
    with pytest.raises(DbtError) as caught:
        rich_runner.run_model("stg_orders", stream_output=False)  # red: the on-run-end hook fails
    assert "on-run-end hook #0 in the dbt_project.yml of rich" in caught.value.fix
    parts = rich_runner.run_models(["stg_orders", "fct_revenue-daily"], parallel=True, retry=False,
                                   dbt_vars={"red": False}, stream_output=False)
    assert [p.nodes[0].name for p in parts] == ["stg_orders", "fct_revenue-daily"]
    assert all(len(p.hooks) == 3 and p.success for p in parts)


def test_a_selection_that_matches_nothing_is_refused(rich_runner) -> None:
    with pytest.raises(DbtSelectionError, match="the selection --select nope matches no enabled dbt node"):
        rich_runner.execute_command(["run", "--select", "nope"], dbt_vars={"red": False}, stream_output=False)
    listed = rich_runner.list_nodes(["nope"], dbt_vars={"red": False})
    assert listed == []  # listing nothing is an answer, not a mistake


def test_rows_take_any_name_ref_takes_keep_types_and_name_a_missing_model(rich_runner) -> None:
    rich_runner.execute_command(["run", "--select", "stg_orders fct_revenue-daily"], dbt_vars={"red": False},
                                stream_output=False)
    rows = rich_runner.rows("fct_revenue-daily", where="day = '2024-03-01'", dbt_vars={"red": False})
    assert rows == [{"day": dt.date(2024, 3, 1), "revenue": 120.5}]
    with pytest.raises(DbtCommandError, match="no model, seed or snapshot named 'no_such_model'"):
        rich_runner.rows("no_such_model", dbt_vars={"red": False})
    with pytest.raises(DbtCommandError, match="as in ref"):
        rich_runner.rows("x') }} {{ ('")


def test_unknown_selectors_and_yaml_dates_are_handled_like_dbt(rich_runner) -> None:
    with pytest.raises(DbtCommandError, match="--selector nope: no selector of that name in selectors.yml; "
                                              "it has: marts_only, staging_only"):
        rich_runner.execute_command(["build", "--selector", "nope"], stream_output=False)
    command = rich_runner.command_for(["run"], dbt_vars={"since": dt.date(2024, 3, 1)})
    assert command.argv[-2:] == ("--vars", "{since: 2024-03-01}")


def test_missing_profiles_are_refused_before_dbt_starts(copy_project, tmp_path, monkeypatch) -> None:
    project = copy_project("minimal")
    (project / "profiles.yml").unlink()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DBT_PROFILES_DIR", raising=False)
    with pytest.raises(DbtConfigError, match="no profiles.yml for dbt project minimal: none in .*minimal and none in"):
        DbtRunner(project)
    other = tmp_path / "profiles"
    other.mkdir()
    (other / "profiles.yml").write_text("someone_else:\n  target: dev\n  outputs: {dev: {type: duckdb}}\n")
    with pytest.raises(DbtConfigError, match="profile 'minimal' .* is not in .*; it has: someone_else"):
        DbtRunner(project, profiles_dir=other)


def test_a_stale_reused_parse_behind_an_ephemeral_model_is_parsed_again(copy_project, caplog) -> None:
    project = copy_project("varsdag")
    shutil.copy(project / "models" / "picker.sql", project / "models" / "eph_picker.sql")
    (project / "models" / "picker.sql").write_text("select * from {{ ref('a') }}\n")
    text = (project / "models" / "eph_picker.sql").read_text()
    (project / "models" / "eph_picker.sql").write_text("{{ config(materialized='ephemeral') }}\n" + text)
    (project / "models" / "uses_eph.sql").write_text("select * from {{ ref('eph_picker') }}\n")
    runner = DbtRunner(project, reuse_manifest_across_vars=True)
    assert runner.execute_command(["run"], dbt_vars={"source": "a"}, stream_output=False).success
    with caplog.at_level(logging.WARNING):
        result = runner.execute_command(["run"], dbt_vars={"source": "b"}, stream_output=False)
    assert result.success and "the reused dbt manifest is stale; parsing again" in caplog.text
    assert runner.rows("uses_eph", dbt_vars={"source": "b"}) == [{"picked": "b"}]
