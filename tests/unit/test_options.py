from __future__ import annotations

from pathlib import Path

import pytest

from pytest_planalign_dbt.options import (
    OPTIONS,
    DbtSettings,
    describe,
    resolve_settings,
)


def _config(pytester: pytest.Pytester, *args: str, ini: str = "[pytest]\n") -> pytest.Config:
    pytester.makeini(ini)
    return pytester.parseconfig(*args)


def test_defaults(pytester: pytest.Pytester) -> None:
    settings = resolve_settings(_config(pytester), environ={})
    assert settings == DbtSettings(sources={o.dest: "default" for o in OPTIONS})
    assert not settings.collects and describe(settings) == []


def test_rootdir_project_is_found(pytester: pytest.Pytester) -> None:
    (pytester.path / "dbt_project.yml").write_text("name: p\n")
    settings = resolve_settings(_config(pytester), environ={})
    assert settings.project_dir == pytester.path and settings.sources["project_dir"] == "rootdir"


def test_every_kind_converts(pytester: pytest.Pytester) -> None:
    (pytester.path / "proj").mkdir()
    (pytester.path / "proj" / "dbt_project.yml").write_text("name: p\n")
    (pytester.path / "proj" / "profiles.yml").write_text("p: {}\n")
    config = _config(
        pytester, "--dbt-project-dir", "proj", "--dbt-profiles-dir", "proj", "--dbt-target", " ci ",
        "--dbt-select", "int_* tag:x", "--dbt-exclude", "int_b", "--dbt-selector", "nightly",
        "--dbt-vars", "{rate: 0.5, simulation_year: 2027}", "--dbt-simulation-year", "2026",
        "--dbt-threads", "2", "--dbt-full-refresh", "--dbt-retries", "0", "--dbt-retry-delay", "0",
        "--dbt-timeout", "2.5", "--dbt-executor", "subprocess", "--dbt-stream",
    )
    s = resolve_settings(config, environ={})
    assert s.project_dir == (pytester.path / "proj").resolve() and s.profiles_dir == pytester.path / "proj"
    assert (s.target, s.select, s.exclude, s.selector) == ("ci", ("int_*", "tag:x"), ("int_b",), "nightly")
    assert (s.simulation_year, s.threads, s.full_refresh, s.retries, s.retry_delay) == (2026, 2, True, 0, 0.0)
    assert (s.timeout, s.executor, s.stream) == (2.5, "subprocess", True)
    assert s.collects
    assert s.merged_vars() == {"simulation_year": 2027, "rate": 0.5}  # vars win over the shorthand
    assert s.merged_vars({"rate": 1}) == {"simulation_year": 2027, "rate": 1}
    assert DbtSettings.from_json(s.to_json()) == s
    assert "stream=True (command line)" in describe(s)


def test_ini_bools_and_env(pytester: pytest.Pytester) -> None:
    config = _config(pytester, ini="[pytest]\ndbt_stream = yes\ndbt_full_refresh = off\n")
    s = resolve_settings(config, environ={"DBT_FULL_REFRESH": "1", "DBT_TARGET": ""})
    assert s.stream is True and s.sources["stream"] == "ini dbt_stream"
    assert s.full_refresh is True and s.sources["full_refresh"] == "env DBT_FULL_REFRESH"
    assert s.sources["target"] == "default"  # an empty env var counts as unset


@pytest.mark.parametrize(
    ("ini", "needle"),
    [
        ("dbt_stream = maybe", "--dbt-stream (ini dbt_stream): use true or false, got 'maybe'"),
        ("dbt_retries = x", "--dbt-retries (ini dbt_retries): must be a whole number >= 0, got 'x'"),
        ("dbt_retry_delay = soon", "--dbt-retry-delay (ini dbt_retry_delay): must be a number of seconds >= 0"),
        ("dbt_retry_delay = -1", "--dbt-retry-delay (ini dbt_retry_delay): must be a number of seconds >= 0"),
        ("dbt_timeout = never", "--dbt-timeout (ini dbt_timeout): must be a number of seconds > 0, got 'never'"),
    ],
)
def test_bad_ini_values(pytester: pytest.Pytester, ini: str, needle: str) -> None:
    with pytest.raises(pytest.UsageError) as info:
        resolve_settings(_config(pytester, ini=f"[pytest]\n{ini}\n"), environ={})
    assert needle in str(info.value)


def test_empty_name_on_the_command_line(pytester: pytest.Pytester) -> None:
    with pytest.raises(pytest.UsageError, match=r"--dbt-target \(command line\): must not be empty"):
        resolve_settings(_config(pytester, "--dbt-target", " "), environ={})


def test_paths_from_env_resolve_against_the_invocation_dir(pytester: pytest.Pytester) -> None:
    (pytester.path / "p").mkdir()
    (pytester.path / "p" / "dbt_project.yml").write_text("name: p\n")
    s = resolve_settings(_config(pytester), environ={"DBT_PROJECT_DIR": "p"})
    assert s.project_dir == (Path.cwd() / "p").resolve() and s.sources["project_dir"] == "env DBT_PROJECT_DIR"


def test_many_vars_are_summarised_in_the_header_and_dates_survive_xdist() -> None:
    import datetime as dt

    many = {f"rate_{i}": i for i in range(138)}
    settings = DbtSettings(vars={**many, "api_token": "s3cret", "since": dt.date(2024, 3, 1)},
                           sources={"vars": "command line"})
    short = describe(settings, max_vars=5)
    assert short == ["vars=140 vars (rate_0, rate_1, rate_2, rate_3, rate_4, ...; -v lists them) (command line)"]
    full = describe(settings)[0]
    assert "'rate_137': 137" in full and "'api_token': '****'" in full and "s3cret" not in full
    # Settings travel to xdist workers as plain values; YAML dates come back as dates.
    again = DbtSettings.from_json(settings.to_json())
    assert again.vars["since"] == dt.date(2024, 3, 1) and again.vars["rate_7"] == 7


def test_a_data_quality_failure_has_its_own_letter_and_word() -> None:
    from pytest_planalign_dbt.report import ReportInfo, teststatus

    class Rep:
        when, failed = "call", True

    rep = Rep()
    ReportInfo(status="fail", kind="data_quality", hook=False, attempts=1).put(rep)
    assert teststatus(rep) == ("dq_failed", "Q", ("DQ_FAILED", {"red": True}))
    ReportInfo(status="error", kind="execution", hook=False, attempts=1).put(rep)
    assert teststatus(rep) is None
    assert teststatus(Rep()) is None  # not a dbt item's report


def test_the_selection_is_one_value_spelled_for_dbt_for_caches_and_for_the_user() -> None:
    from pytest_planalign_dbt.selection import Selection

    selection = DbtSettings(select=("int_*", "tag:x"), exclude=("int_b",), selector=None).selection
    assert selection.argv() == ["--select", "int_*", "tag:x", "--exclude", "int_b"]
    assert selection.key() == {"select": ("int_*", "tag:x"), "exclude": ("int_b",), "selector": None}
    assert selection.spelled() == "--dbt-select int_* tag:x --dbt-exclude int_b"
    assert Selection(selector="nightly").argv() == ["--selector", "nightly"]
    assert not Selection(exclude=("a",)) and Selection(selector="s")  # an exclusion alone selects nothing
