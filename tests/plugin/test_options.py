"""Options: precedence and the header, refusals with exit code 4, the --help golden."""

from __future__ import annotations

from pathlib import Path

import pytest

HELP_GOLDEN = Path(__file__).parent / "help_dbt_group.txt"


def test_precedence_command_line_over_env_over_ini(dbt_project, run, pytester, monkeypatch) -> None:
    dbt_project("minimal")
    pytester.makeini("[pytest]\ndbt_project_dir = minimal\ndbt_threads = 3\ndbt_target = dev\n")
    from_ini = run()
    from_ini.stdout.fnmatch_lines([
        "dbt: project minimal (*minimal), target dev, adapter duckdb *, dbt-core 1.*",
        "dbt settings: project_dir=*minimal (ini dbt_project_dir), target=dev (ini dbt_target), "
        "threads=3 (ini dbt_threads)",
    ])
    monkeypatch.setenv("DBT_THREADS", "2")
    from_env = run()
    from_env.stdout.fnmatch_lines(["dbt settings: *threads=2 (env DBT_THREADS)*"])
    from_cli = run("--dbt-threads", "1", "--dbt-vars", "{multiplier: 2}", "--dbt-stream")
    from_cli.stdout.fnmatch_lines([
        "dbt settings: *vars={'multiplier': 2} (command line), threads=1 (command line)*stream=True (command line)"
    ])


def test_ini_paths_resolve_against_the_ini_file(dbt_project, run, pytester) -> None:
    dbt_project("minimal")
    sub = pytester.mkdir("sub")
    pytester.makeini("[pytest]\ndbt_project_dir = minimal\n")
    result = pytester.runpytest_subprocess(f"--rootdir={pytester.path}", str(sub))
    result.stdout.fnmatch_lines([f"dbt: project minimal ({pytester.path / 'minimal'})*"])


def test_header_without_a_project_says_nothing_of_dbt(run) -> None:
    assert "dbt" not in run().stdout.str().split("rootdir:")[0]


def test_header_with_an_unknown_target_blames_no_adapter(dbt_project, run) -> None:
    dbt_project("minimal")
    result = run("--dbt-project-dir=minimal", "--dbt-target=prod")
    result.stdout.fnmatch_lines(["dbt: project minimal (*), target prod, no such target, dbt-core 1.*"])
    assert "not installed" not in result.stdout.str()


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--dbt-threads", "0"], {}, "ERROR: --dbt-threads (command line): threads must be >= 1, got 0"),
        ([], {"DBT_THREADS": "many"}, "ERROR: --dbt-threads (env DBT_THREADS): threads must be a whole number >= 1, got 'many'"),
        (["--dbt-vars", "{a: [1"], {}, "ERROR: --dbt-vars (command line): the value is not valid YAML/JSON*: write a mapping such as '{\"my_var\": \"value\"}'"),
        (["--dbt-vars", "[1, 2]"], {}, "ERROR: --dbt-vars (command line): the value must be a mapping such as*"),
        (["--dbt-simulation-year", "next"], {}, "ERROR: --dbt-simulation-year (command line): must be a whole number such as 2025, got 'next'"),
        (["--dbt-timeout", "-3"], {}, "ERROR: --dbt-timeout (command line): must be a number of seconds > 0, got '-3'"),
        (["--dbt-retries", "-1"], {}, "ERROR: --dbt-retries (command line): must be >= 0, got -1"),
        (["--dbt-executor", "threads"], {}, "ERROR: --dbt-executor (command line): must be one of inprocess, subprocess, got 'threads'"),
        (["--dbt-project-dir", "nowhere"], {}, "ERROR: --dbt-project-dir (command line): */nowhere does not exist; point it at the directory that holds dbt_project.yml"),
        (["--dbt-project-dir", "."], {}, "ERROR: --dbt-project-dir (command line): no dbt_project.yml in *"),
        (["--dbt-project-dir", "minimal", "--dbt-profiles-dir", "."], {}, "ERROR: --dbt-profiles-dir (command line): no profiles.yml in *"),
        (["--dbt-select", "*"], {}, "ERROR: --dbt-select needs a dbt project: pass --dbt-project-dir*"),
        (["--dbt-project-dir", "minimal", "--dbt-select", "nothing_like_this"], {}, "ERROR: --dbt-select nothing_like_this: no dbt node matches*"),
        (["--dbt-project-dir", "minimal", "--dbt-select", "*", "--dbt-target", "prod"], {}, "ERROR: target 'prod' is not in profile 'minimal': use one of dev, postgres"),
        (["--dbt-select", "  "], {}, "ERROR: --dbt-select (command line): give at least one selector*"),
        (["--dbt-project-dir", "minimal", "--dbt-selector", "nope"], {},
         "ERROR: --dbt-selector nope: the project has no selectors.yml; define the selector there, or use --dbt-select"),
        (["--dbt-project-dir", "minimal", "--dbt-select", "scaeld"], {},
         "ERROR: --dbt-select scaeld: no dbt node matches; did you mean scaled?"),
        (["--dbt-project-dir", "minimal", "--dbt-select", "disabled_one"], {},
         "ERROR: --dbt-select disabled_one: no enabled dbt node matches; disabled_one matches but is disabled*"),
    ],
)
def test_bad_settings_exit_4_with_one_line(dbt_project, run, monkeypatch, args, env, message) -> None:
    project = dbt_project("minimal")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = run(*args)
    assert result.ret == 4
    result.stderr.fnmatch_lines([message])
    assert "Traceback" not in result.stderr.str()
    assert not (project / "minimal.duckdb").exists()  # nothing was built


def test_a_refusal_in_a_fresh_process(dbt_project, run_subprocess) -> None:
    """The refusals above run in this process; one smoke run in a new interpreter, as a user sees it."""
    dbt_project("minimal")
    result = run_subprocess("--dbt-project-dir", "minimal", "--dbt-select", "nothing_like_this")
    assert result.ret == 4
    assert result.stderr.lines[0].startswith("ERROR: --dbt-select nothing_like_this: no dbt node matches")
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


def _dbt_group(text: str) -> str:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("dbt projects as tests"))
    end = next(i for i in range(start + 1, len(lines)) if lines[i] and not lines[i].startswith(" "))
    return "\n".join(lines[start:end]).rstrip() + "\n"


def test_help_golden(run) -> None:
    """The dbt option group as `pytest --help` prints it (update the golden file on purpose)."""
    group = _dbt_group(run("--help").stdout.str())
    assert group == HELP_GOLDEN.read_text()
