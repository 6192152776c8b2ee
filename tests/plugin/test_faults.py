"""Faults in the plugin, produced for real: Ctrl+C, timeouts, secrets, --lf after a failure."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from ..conftest import duckdb_is_free

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("executor", ["inprocess", "subprocess"])
def test_ctrl_c_during_a_build(dbt_project, pytester, executor) -> None:
    project = dbt_project("slow")
    # A terminal's Ctrl+C: SIGINT to pytest (which may have inherited SIGINT ignored in CI).
    pytester.makeconftest("import signal\nsignal.signal(signal.SIGINT, signal.default_int_handler)\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", "--dbt-project-dir", "slow",
         "--dbt-select", "*", "--dbt-vars", "{slow_rows: 10000000}", "--dbt-stream",
         "--dbt-executor", executor],
        cwd=pytester.path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if "START sql table model main.slow_model" in line:
            break
    time.sleep(1)
    proc.send_signal(signal.SIGINT)
    sent = time.monotonic()
    rest = proc.stdout.read()
    assert proc.wait(60) == 2, "".join(seen) + rest
    output = "".join(seen) + rest
    assert "fast_upstream PASSED" in output  # results so far are reported
    assert "KeyboardInterrupt" in output
    while not duckdb_is_free(project / "slow.duckdb"):
        assert time.monotonic() - sent < 5, "lock still held 5 s after Ctrl+C"
        time.sleep(0.2)


def test_timeout_errors_the_unfinished_nodes_and_frees_the_lock(dbt_project, run) -> None:
    project = dbt_project("slow")
    result = run("--dbt-project-dir", "slow", "--dbt-select", "*", "--dbt-vars", "{slow_rows: 10000000}",
                 "--dbt-timeout", "4", "-v")
    assert result.ret == 1
    result.stdout.fnmatch_lines([
        "*fast_upstream PASSED*",
        "*slow_model ERROR*",
        "*after_slow SKIPPED*",
        "dbt timeout: model slow_model (models/slow_model.sql)",
        "*fix: raise the timeout*",
    ])
    assert duckdb_is_free(project / "slow.duckdb")


def test_secrets_stay_out_of_terminal_junit_and_stream(dbt_project, run, pytester, monkeypatch) -> None:
    monkeypatch.setenv("PGPASSWORD", "hunter2-secret")
    project = dbt_project("minimal")
    (project / "models" / "leaky.sql").write_text(
        "{{ config(materialized='table') }}"
        "select cast('{{ env_var(\"PGPASSWORD\") }}' as integer) as n,"
        " cast('{{ var(\"api_token\") }}' as integer) as m"
    )
    result = run("--dbt-project-dir", "minimal", "--dbt-select", "leaky", "--dbt-stream",
                 "--dbt-vars", "{api_token: tok-98765}", "--junitxml=report.xml", "-rA")
    assert result.ret == 1
    everything = result.stdout.str() + result.stderr.str() + (pytester.path / "report.xml").read_text()
    assert "Conversion Error" in everything and "****" in everything
    assert "hunter2-secret" not in everything and "tok-98765" not in everything
    assert "api_token': '****'" in result.stdout.str()  # the header names the var, not its value




def test_two_sessions_on_one_database_file_both_pass(dbt_project, pytester, tmp_path) -> None:
    """Two pytest sessions build into one DuckDB file at once (each holds it ~5 s, longer than the
    retries' ~3 s): the second waits for the first (--dbt-lock-wait), and both pass."""
    import shutil

    from tests.conftest import NO_REPORTING_PLUGINS
    from tests.helpers.verdicts import cli_env

    project = dbt_project("minimal")
    (project / "models" / "slowish.sql").write_text(
        "{{ config(materialized='table') }}\n"
        "select sum(hash(a.range + b.range * 7)) as h from range(30000) a, range(30000) b")
    other = tmp_path / "other" / "minimal"
    shutil.copytree(project, other)
    env = cli_env(MINIMAL_DUCKDB_PATH=str(tmp_path / "shared.duckdb"))
    procs = [subprocess.Popen([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly",
                               *NO_REPORTING_PLUGINS, "--dbt-project-dir=.", "--dbt-select=*", "-q"],
                              cwd=where, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for where in (project, other)]
    outputs = [proc.communicate(timeout=600)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], "\n\n".join(o[-3000:] for o in outputs)
