"""No secret in any output or file of a red run on PostgreSQL, pytest-html and JUnit on."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

PASSWORD = "pw-S3cret-4711-x"  # the server trusts any password: the profile's is only carried
TOKEN = "tok-9f8e7d6c5b4a"


@pytest.mark.reporting_plugins
def test_a_red_run_writes_no_secret_anywhere(dbt_project, run, pytester, pg_schema, monkeypatch) -> None:
    project = dbt_project("minimal")
    # The password read through env_var() under a name that does not look secret; a token in
    # an env var named like one; a var that holds the password (name not secret-looking), used in
    # the SQL of a model that fails, so dbt's message and the compiled SQL carry it.
    monkeypatch.setenv("PG_LOGIN_INPUT", PASSWORD)
    monkeypatch.setenv("MY_API_TOKEN", TOKEN)
    profiles = project / "profiles.yml"
    profiles.write_text(profiles.read_text().replace(
        "env_var('PLANALIGN_PG_PASSWORD', '')", "env_var('PG_LOGIN_INPUT')"))
    (project / "models" / "leaky.sql").write_text(
        "{{ config(materialized='table') }}\nselect '{{ var('pw_probe') }}' as pw, '{{ env_var('MY_API_TOKEN') }}' as tok, 1 / 0 as boom")
    result = run("--dbt-project-dir=minimal", "--dbt-target=postgres", "--dbt-select=*", "-v", "-rA",
                 f"--dbt-vars={{pw_probe: {PASSWORD}, multiplier: 2}}", "--dbt-stream",
                 "--junitxml=out.xml", "--html=report.html", "--self-contained-html")
    assert result.ret == 1
    output = result.stdout.str() + result.stderr.str()
    assert "leaky" in output and "****" in output  # the failure is shown, its secrets masked
    assert PASSWORD not in output and TOKEN not in output
    assert "vars={'pw_probe': '****', 'multiplier': 2} (command line)" in output  # the header
    assert "****" in (pytester.path / "report.html").read_text()
    written = [p for p in pytester.path.rglob("*") if p.is_file() and not _dbts_own(p, project)]
    assert (pytester.path / "out.xml") in written and (pytester.path / "report.html") in written
    leaks = [str(p) for p in written if PASSWORD.encode() in p.read_bytes() or TOKEN.encode() in p.read_bytes()]
    assert leaks == []


def _dbts_own(path, project) -> bool:
    """What dbt itself writes (its compiled and run SQL, its logs and artifacts), as its CLI does;
    our own files under target/ (planalign_*) are checked."""
    try:
        relative = path.relative_to(project)
    except ValueError:
        return False
    return relative.parts[0] in ("target", "logs") and not any(p.startswith("planalign") for p in relative.parts)


@pytest.mark.parametrize("executor", ["inprocess", "subprocess"])
def test_numeric_values_stay_decimal_on_postgres(copy_project, pg_schema, executor) -> None:
    import datetime
    from decimal import Decimal

    from pytest_planalign_dbt import DbtRunner

    runner = DbtRunner(copy_project("minimal"), threads=1, target="postgres", executor=executor)
    (row,) = runner.query("select 123.45::numeric(12,2) as v, 5 as i, 1.5::float8 as f, date '2024-01-02' as d, "
                          "timestamptz '2024-01-02 03:04:05+02' as tz, interval '90 seconds' as iv")
    assert row == {"v": Decimal("123.45"), "i": 5, "f": 1.5, "d": datetime.date(2024, 1, 2),
                   "tz": datetime.datetime(2024, 1, 2, 1, 4, 5, tzinfo=datetime.timezone.utc),
                   "iv": datetime.timedelta(seconds=90)}
    assert type(row["v"]) is Decimal and type(row["i"]) is int and row["tz"].tzinfo is not None
