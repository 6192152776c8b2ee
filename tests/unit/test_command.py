from __future__ import annotations

import json

import pytest

from pytest_planalign_dbt.runner.command import (
    make_command,
    merge_vars,
    parse_vars_text,
    replace_selection,
    validate_threads,
    vars_json,
)
from pytest_planalign_dbt.runner.failures.errors import DbtCommandError


def _vars(argv: tuple[str, ...]) -> dict:
    return json.loads(argv[argv.index("--vars") + 1])


def test_simulation_year_goes_first_and_dbt_vars_merge_over_it() -> None:
    cmd = make_command(
        ["run", "--select", "int_*"], simulation_year=2025,
        dbt_vars={"simulation_year": 2026, "rate": 0.1},
    )
    assert cmd.subcommand == "run"
    assert cmd.argv[:3] == ("run", "--select", "int_*")
    assert _vars(cmd.argv) == {"simulation_year": 2026, "rate": 0.1}
    assert cmd.runs_nodes


def test_vars_in_the_arguments_are_merged_not_duplicated() -> None:
    cmd = make_command(
        ["build", "--vars", "{rate: 0.2, x: 1}"], simulation_year=2025, dbt_vars={"x": 2}
    )
    assert cmd.argv.count("--vars") == 1
    assert _vars(cmd.argv) == {"simulation_year": 2025, "rate": 0.2, "x": 2}
    cmd = make_command(["build", "--vars={a: 1}"])
    assert _vars(cmd.argv) == {"a": 1}


def test_settings_become_flags() -> None:
    cmd = make_command(
        "dbt build -s tag:nightly", project_dir="/p", profiles_dir="/q", target="dev", threads=2,
        full_refresh=True, fail_fast=True, target_path="/t", log_path="/l",
    )
    argv = cmd.argv
    assert argv[:3] == ("build", "-s", "tag:nightly")
    for flag, value in [("--project-dir", "/p"), ("--profiles-dir", "/q"), ("--target", "dev"),
                        ("--threads", "2"), ("--target-path", "/t"), ("--log-path", "/l")]:
        assert argv[argv.index(flag) + 1] == value
    assert "--full-refresh" in argv and "--fail-fast" in argv
    assert "--vars" not in argv
    assert cmd.shell().startswith("dbt build -s tag:nightly")


def test_threads_only_for_commands_that_take_them() -> None:
    assert "--threads" not in make_command(["ls"], threads=4).argv
    assert "--threads" not in make_command(["deps"], threads=4).argv
    assert make_command(["run", "--threads", "3"], threads=4).argv.count("--threads") == 1
    assert "--target-path" not in make_command(["deps"], target_path="/t").argv


@pytest.mark.parametrize(
    ("args", "kwargs", "needle"),
    [
        ([], {}, "command_args is empty"),
        (["dbt"], {}, "command_args is empty"),
        (["frobnicate"], {}, "unknown dbt subcommand 'frobnicate'"),
        ([1, 2], {}, "must be a list of strings"),
        (["run", "--select", ""], {}, "needs a non-empty selector"),
        (["run", "--select"], {}, "needs a non-empty selector"),
        (["run", "--exclude", "--full-refresh"], {}, "needs a non-empty selector"),
        (["run", "--selector="], {}, "needs a non-empty selector"),
        (["run", "--threads", "0"], {}, "--threads must be >= 1"),
        (["run", "--threads", "x"], {}, "--threads must be a whole number"),
        (["run", "--project-dir", "x"], {}, "use DbtRunner(working_dir=...)"),
        (["run", "--target=prod"], {}, "use DbtRunner(target=...)"),
        (["run"], {"threads": 0}, "threads must be >= 1"),
        (["run"], {"threads": True}, "threads must be a whole number"),
        (["run"], {"simulation_year": "2025"}, "simulation_year must be an int"),
        (["run"], {"simulation_year": 2025.0}, "simulation_year must be an int"),
        (["run"], {"dbt_vars": {"simulation_year": True}}, "simulation_year must be an int"),
        (["run"], {"dbt_vars": {"when": object()}}, "dbt var 'when' is not JSON- or YAML-serialisable"),
        (["run"], {"dbt_vars": {"x": float("nan")}}, "NaN and infinity cannot be passed to dbt"),
        (["run"], {"dbt_vars": {1: "a"}}, "dbt var names must be strings"),
        (["run"], {"dbt_vars": ["a"]}, "dbt_vars must be a mapping"),
        (["run"], {"target": " "}, "target is empty"),
        (["test"], {"full_refresh": True}, "full_refresh does not apply to 'dbt test'"),
        (["run", "--vars"], {}, "--vars needs a value"),
        (["run", "--vars", "[1, 2]"], {}, "--vars must be a mapping"),
        (["run", "--vars", "{a: [1"], {}, "--vars is not valid YAML/JSON"),
    ],
)
def test_bad_input_is_refused_with_the_fix(args, kwargs, needle) -> None:
    with pytest.raises(DbtCommandError) as info:
        make_command(args, **kwargs)
    assert needle in str(info.value)
    assert isinstance(info.value, ValueError)


def test_helpers() -> None:
    assert validate_threads("3") == 3
    assert parse_vars_text("") == {}
    assert parse_vars_text("null") == {}
    assert parse_vars_text('{"a": 1}') == {"a": 1}
    assert merge_vars(None, None, {"a": 1}) == {"a": 1}
    assert vars_json({"b": 1, "a": [1, "x", None]}) == '{"a": [1, "x", null], "b": 1}'


def test_replace_selection_drops_every_selection_flag() -> None:
    argv = ("build", "--select", "a", "b", "--exclude=c", "--selector", "s", "--threads", "2")
    assert replace_selection(argv, ["fqn:p.x"]) == ("build", "--threads", "2", "--select", "fqn:p.x")


def test_runner_level_input_checks(tmp_path) -> None:
    from pytest_planalign_dbt import DbtConfigError, DbtRunner

    (tmp_path / "dbt_project.yml").write_text("name: p\nprofile: p\n")
    (tmp_path / "profiles.yml").write_text("p: {target: dev, outputs: {dev: {type: duckdb, path: p.duckdb}}}\n")
    with pytest.raises(DbtConfigError, match="database_suffix must be"):
        DbtRunner(tmp_path, database_suffix="a/b")
    runner = DbtRunner(tmp_path, write_json=False, threads=None)
    argv = runner.command_for("run -s x").argv
    assert "--no-write-json" in argv and "--threads" not in argv
    assert runner.command_for(["ls", "--no-write-json"]).argv.count("--no-write-json") == 1
    with pytest.raises(DbtCommandError, match="command_args is empty"):
        runner.command_for([])
    with pytest.raises(DbtCommandError, match="exactly one of select= or inline="):
        runner.show()
    with pytest.raises(DbtCommandError, match="model must be the name of a model, seed or snapshot"):
        runner.rows("x; drop table y")
    assert "--no-write-json" not in DbtRunner(tmp_path, executor="subprocess", write_json=False).command_for(["run"]).argv
