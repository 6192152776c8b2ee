"""The dbt versions we run on, and the rules that differ between them (runner/versions.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_planalign_dbt import DbtCommandError, DbtRunner
from pytest_planalign_dbt.runner import make_command, versions, wildcards
from pytest_planalign_dbt.runner.failures.errors import DbtConfigError
from pytest_planalign_dbt.runner.failures.messages import failure_block
from pytest_planalign_dbt.runner.parse.unseen_vars import changed_vars

EXAMPLE = Path(__file__).parents[2] / "example_project"


def _installed(monkeypatch, found: dict[str, str]) -> None:
    monkeypatch.setattr(versions, "installed", found.get)
    monkeypatch.setattr(versions, "dbt_core", lambda: versions.release(found.get("dbt-core")))


def test_release_reads_pre_releases_and_local_versions() -> None:
    assert versions.release("1.12.0rc1") == (1, 12, 0)
    assert versions.release("1.10.23+local.1") == (1, 10, 23)
    assert versions.release(None) == ()


@pytest.mark.parametrize("found", [
    {"dbt-core": "2.0.1"},
    {"dbt-core": "1.11.16", "dbt-oss": "2.0.0"},
    {"dbt-core": "1.11.16", "dbt": "2.0.3"},
])
def test_dbts_v2_engine_is_refused_in_one_line_with_what_to_do(monkeypatch, found) -> None:
    _installed(monkeypatch, found)
    with pytest.raises(DbtConfigError) as err:
        versions.check_engine()
    text = str(err.value)
    assert "v2 engine" in text and 'pip install' not in text and '"dbt-core>=1.10,<1.13"' in text
    assert "\n" not in text


@pytest.mark.parametrize(("found", "says"), [
    ({}, "dbt-core is not installed here"),
    ({"dbt-core": "1.9.8"}, "dbt-core 1.9.8 is not supported"),
    ({"dbt-core": "1.13.0"}, "dbt-core 1.13.0 is not supported"),
])
def test_a_dbt_core_outside_the_tested_range_is_refused(monkeypatch, found, says) -> None:
    _installed(monkeypatch, found)
    with pytest.raises(DbtConfigError, match=says):
        versions.check_engine()


def test_the_runner_refuses_the_v2_engine_before_anything_runs(monkeypatch) -> None:
    _installed(monkeypatch, {"dbt-core": "2.0.0"})
    with pytest.raises(DbtConfigError, match="v2 engine"):
        DbtRunner(EXAMPLE)
    # A subprocess runner given its own dbt executable is not judged by this environment.
    assert DbtRunner(EXAMPLE, executor="subprocess", dbt_executable="/opt/dbt1/bin/dbt").executor
    # Without dbt-core here, a subprocess runner may still find one on PATH; in-process cannot.
    _installed(monkeypatch, {})
    assert DbtRunner(EXAMPLE, executor="subprocess").executor
    with pytest.raises(DbtConfigError, match="dbt-core is not installed here"):
        DbtRunner(EXAMPLE)


@pytest.mark.parametrize(("core", "needed"), [
    ((1, 10, 23), True), ((1, 11, 15), True), ((1, 11, 16), False), ((1, 12, 0), True),
    ((1, 12, 5), True), ((1, 12, 6), False), ((), False),
])
def test_leaf_matching_only_where_dbt_reads_a_bare_wildcard_against_whole_names(monkeypatch, core, needed) -> None:
    monkeypatch.setattr(versions, "dbt_core", lambda: core)
    assert wildcards.needs_leaf_matching() is needed


def test_vars_yml_counts_like_vars_and_the_command_line_wins(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(versions, "dbt_core", lambda: (1, 12, 0))
    (tmp_path / "vars.yml").write_text("vars:\n  year: 2025\n  rate: 0.1\n  my_pkg:\n    depth: 3\n")
    merged = versions.effective_vars(tmp_path, {"year": 2030})
    assert merged["year"] == 2030 and merged["vars.yml\x00rate"] == 0.1
    (tmp_path / "vars.yml").write_text("vars:\n  year: 2025\n  rate: 0.2\n  my_pkg:\n    depth: 4\n")
    old = {k: repr(v) for k, v in merged.items()}
    assert changed_vars(old, versions.effective_vars(tmp_path, {"year": 2030})) == {"rate", "my_pkg", "depth"}
    monkeypatch.setattr(versions, "dbt_core", lambda: (1, 11, 16))  # before 1.12, dbt never reads it
    assert versions.effective_vars(tmp_path, {"year": 2030}) == {"year": 2030}


def test_a_broken_vars_yml_is_no_vars(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(versions, "dbt_core", lambda: (1, 12, 0))
    (tmp_path / "vars.yml").write_text("vars: [unclosed\n")
    assert versions.vars_from_file(tmp_path) == {}
    (tmp_path / "vars.yml").write_text("- a list\n")
    assert versions.vars_from_file(tmp_path) == {}


def test_dotenv_is_read_from_the_project_up_and_never_over_the_environment(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(versions, "dbt_core", lambda: (1, 12, 0))
    project = tmp_path / "repo" / "proj"
    project.mkdir(parents=True)
    assert versions.dotenv_file(project) is None
    (tmp_path / "repo" / ".env").write_text("A=from-file\nB=also\nEMPTY\n")
    assert versions.dotenv_file(project) == tmp_path / "repo" / ".env"
    assert versions.effective_environ(project, {"A": "shell"}) == {"A": "shell", "B": "also"}
    environ = {"A": "shell"}
    versions.load_dotenv_into(project, environ)
    assert environ == {"A": "shell", "B": "also"}
    monkeypatch.setattr(versions, "dbt_core", lambda: (1, 11, 16))
    assert versions.effective_environ(project, {"A": "shell"}) == {"A": "shell"}


def test_the_v2_parser_is_refused_with_why(monkeypatch) -> None:
    with pytest.raises(DbtCommandError, match="--use-v2-parser: the runner keeps and reuses"):
        make_command(["build", "--use-v2-parser"])
    monkeypatch.setenv("DBT_ENGINE_USE_V2_PARSER", "true")
    with pytest.raises(DbtConfigError, match="unset DBT_ENGINE_USE_V2_PARSER"):
        DbtRunner(EXAMPLE)
    monkeypatch.setenv("DBT_ENGINE_USE_V2_PARSER", "0")
    assert DbtRunner(EXAMPLE).project_dir == EXAMPLE.resolve()


@pytest.mark.parametrize("first", [
    "Failure in model eph (models/eph.sql)",  # dbt 1.10, 1.11
    "[ERROR]: in model eph (models/eph.sql)",  # dbt 1.12, as the CLI prints it
    "in model eph (models/eph.sql)",  # dbt 1.12, an in-process event's message
])
def test_the_failure_block_of_each_version_is_found(first: str) -> None:
    lines = ["1 of 2 START sql view model main.a .... [RUN]", first,
             "  Compilation Error in model eph (models/eph.sql)", "  eph is broken", "", "later"]
    assert failure_block(lines, "eph") == "Compilation Error in model eph (models/eph.sql)\n  eph is broken"
    assert failure_block(lines, "other") == ""
