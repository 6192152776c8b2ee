"""Odd input is data, not a crash: any Unicode in vars; file-level errors name the file and line
(exit 4 in pytest, DbtConfigError in the runner); long input cut; every argument checked at once."""

from __future__ import annotations

import math

import pytest

from pytest_planalign_dbt import DbtRunner
from pytest_planalign_dbt.runner.failures.errors import DbtConfigError

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("executor", ["inprocess", "subprocess"])
def test_vars_outside_the_bmp_reach_dbt_as_they_are(copy_project, executor) -> None:
    project = copy_project("minimal")
    (project / "models" / "emoji.sql").write_text("select '{{ var(\"e\") }}' as e")
    runner = DbtRunner(project, threads=1, executor=executor)
    result = runner.execute_command(["run", "--select", "emoji"], dbt_vars={"e": "🚀 ünï"}, stream_output=False)
    assert result.success
    compiled = project / "target" / "compiled" / "minimal" / "models" / "emoji.sql"
    assert "'🚀 ünï' as e" in compiled.read_text(encoding="utf-8")


@pytest.mark.parametrize(("file", "text", "message"), [
    ("profiles.yml", "minimal:\n  target: dev\n  outputs: [\n", "*/profiles.yml:4: not valid YAML (*): fix the file"),
    ("profiles.yml", "", "*/profiles.yml: the file is empty: *"),
    ("dbt_project.yml", "", "*/dbt_project.yml: the file is empty: *"),
    ("dbt_project.yml", "name: [x\n", "*/dbt_project.yml:2: not valid YAML (*): fix the file"),
    ("models/latin1.sql", b"select 1 as n\n-- caf\xe9\n", "*/models/latin1.sql:2: not UTF-8 text (*); dbt reads *"),
])
def test_a_broken_file_is_a_configuration_error_naming_it(dbt_project, run, copy_project, file, text, message) -> None:
    project = dbt_project("minimal")
    target = project / file
    target.write_bytes(text if isinstance(text, bytes) else text.encode())
    result = run("--dbt-project-dir=minimal", "--dbt-select=*")
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()[-2000:]
    result.stderr.fnmatch_lines([f"ERROR: {message}"])
    with pytest.raises(DbtConfigError):
        runner = DbtRunner(project, threads=1)
        runner.list_nodes(["*"])


def test_paths_to_the_files_mean_their_dirs_and_long_input_is_cut(dbt_project, run) -> None:
    dbt_project("minimal")
    named = run("--dbt-project-dir=minimal/dbt_project.yml", "--dbt-profiles-dir=minimal/profiles.yml",
                "--dbt-select=scaled", "--collect-only", "-q")
    assert named.ret == 0 and "minimal/models/scaled.sql::scaled" in named.stdout.str()
    long = run("--dbt-project-dir=minimal", "--dbt-select=" + "x" * 10_000)
    assert long.ret == pytest.ExitCode.USAGE_ERROR
    (line,) = [ln for ln in long.stderr.lines if ln.startswith("ERROR:")]
    assert len(line) < 400 and "... (9813 more characters)" in line  # "--dbt-select " counts too


def test_every_runner_argument_is_checked_at_construction(copy_project) -> None:
    project = copy_project("minimal")
    with pytest.raises(DbtConfigError, match="working_dir must be the path of the dbt project directory"):
        DbtRunner(working_dir=None)  # type: ignore[arg-type]
    (project / "a_file").write_text("")
    with pytest.raises(DbtConfigError, match="target_path .* is a file: pass a directory"):
        DbtRunner(project, target_path=project / "a_file")
    for bad in (math.nan, math.inf, -1, 0):
        with pytest.raises(DbtConfigError, match="timeout must be a number of seconds > 0"):
            DbtRunner(project, timeout=bad)
    assert DbtRunner(project / "dbt_project.yml").project_dir == project.resolve()


@pytest.mark.parametrize("executor", ["inprocess", "subprocess"])
def test_query_values_come_back_as_the_database_returns_them(copy_project, executor) -> None:
    """Money stays Decimal (agate would make every number a Decimal, then floats; dbt's JSON
    preview a float): DECIMAL as Decimal, INTEGER as int, DOUBLE as float, DATE as date,
    TIMESTAMP as datetime, NULL as None; from both executors alike."""
    import datetime
    from decimal import Decimal

    runner = DbtRunner(copy_project("minimal"), threads=1, executor=executor)
    (row,) = runner.query("select (12345 / 100.0)::numeric(12,2) as v, 100.00::decimal(10,2) as whole, 5 as i, "
                          "1.5::double as f, date '2024-01-02' as d, null as n, "
                          "timestamp '2024-01-02 03:04:05.25' as ts, 'x' as s, [1, 2] as l")
    assert row == {"v": Decimal("123.45"), "whole": Decimal("100.00"), "i": 5, "f": 1.5,
                   "d": datetime.date(2024, 1, 2), "n": None,
                   "ts": datetime.datetime(2024, 1, 2, 3, 4, 5, 250000), "s": "x", "l": [1, 2]}
    assert [type(v) for v in row.values()] == [Decimal, Decimal, int, float, datetime.date, type(None),
                                               datetime.datetime, str, list]
