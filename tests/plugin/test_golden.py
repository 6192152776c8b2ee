"""Golden outputs on example_project: a 2-year simulation against its golden file, a changed
rate var reported row by row, --dbt-regen accepting it."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.integration

SIMULATION = """
def test_workforce_snapshot(dbt, dbt_regression):
    assert dbt.execute(["seed"]).success
    for year in (2025, 2026):
        assert dbt.execute(["run"], dbt_vars={"simulation_year": year}).success
    dbt_regression.check("fct_workforce_snapshot", key=["employee_id", "simulation_year"],
                         columns=["employee_id", "simulation_year", "employment_status", "job_level",
                                  "annual_salary", "is_new_hire"])
"""
ARGS = ("--dbt-project-dir", "example_project", "-p", "no:randomly")
GOLDEN = "golden/test_simulation/test_workforce_snapshot.jsonl"


def test_a_simulation_against_its_golden_file(dbt_project, run, pytester) -> None:
    dbt_project("example_project")
    pytester.makepyfile(test_simulation=SIMULATION)
    created = run(*ARGS)
    assert created.ret == 1
    created.stdout.fnmatch_lines([f"*dbt regression: created {GOLDEN} (* rows of fct_workforce_snapshot); "
                                  "review and commit it, then run again*"])
    golden = pytester.path / GOLDEN
    header = json.loads(golden.read_text().splitlines()[0])
    assert header["key"] == ["employee_id", "simulation_year"] and header["columns"]["annual_salary"] == "decimal"  # DECIMAL(12,2), as DuckDB returns it
    assert header["rows"] > 550  # two years of ~300 employees

    assert run(*ARGS).ret == 0  # the same simulation: the same rows

    richer = ("--dbt-vars", "{merit_rate_adjustment: 0.01}")  # a rate var changes the simulation
    failed = run(*ARGS, *richer)
    assert failed.ret == 1
    failed.stdout.fnmatch_lines([
        f"*dbt regression: fct_workforce_snapshot differs from its golden file {GOLDEN}",
        "*  rows: * golden, * actual: * added, * removed, * changed (* values)",
        "*  key (employee_id, simulation_year) | column        | golden -> actual",
        "*  (*, 2026)* | annual_salary | * -> *",
        "*if the change is intended: pytest --dbt-regen rewrites the golden file",
    ])
    before = golden.read_text()
    regen = run(*ARGS, *richer, "--dbt-regen")
    assert regen.ret == 0
    regen.stdout.fnmatch_lines(["*dbt regression: rewrote 1 golden file(s) (--dbt-regen)*", f"  {GOLDEN}"])
    assert golden.read_text() != before
    assert run(*ARGS, *richer).ret == 0  # the accepted output is the golden one now


SCENARIOS = """
import pytest


@pytest.mark.parametrize("multiplier", [2, 3])
def test_scaled(dbt_scenario, dbt_regression, multiplier):
    dbt = dbt_scenario(f"times{multiplier}", {"multiplier": multiplier})
    assert dbt.build().success
    dbt_regression.check("scaled", key="n", dbt=dbt)
"""


def test_one_golden_file_per_scenario_under_xdist(dbt_project, run, pytester) -> None:
    dbt_project("minimal")
    pytester.makepyfile(test_scenarios=SCENARIOS)
    args = ("--dbt-project-dir", "minimal", "-p", "no:randomly")
    first = run(*args, "-n", "2")
    assert first.parseoutcomes()["failed"] == 2  # each created, to be reviewed
    files = sorted((pytester.path / "golden" / "test_scenarios").glob("*.jsonl"))
    assert [f.name for f in files] == ["test_scaled_2.jsonl", "test_scaled_3.jsonl"]
    assert [f.read_text().splitlines()[1:] for f in files] == [["[2]", "[4]", "[6]"], ["[3]", "[6]", "[9]"]]
    assert run(*args).ret == 0  # what two workers wrote, read back (serially: the files are the point)


MISUSES = """
import pytest


@pytest.fixture(autouse=True)
def built(dbt):
    assert dbt.build().success


def test_no_key(dbt_regression):
    dbt_regression.check("scaled", key=[])


def test_twice(dbt_regression):
    dbt_regression.check("scaled", key="n")
    dbt_regression.check("scaled", key="n")


def test_named_twice(dbt_regression):
    dbt_regression.check("scaled", key="n", name="a")
    dbt_regression.check("scaled", key="n", name="b", where="n > 2")


def test_not_a_key(dbt_regression):
    dbt_regression.check("base_numbers", key="missing")
"""


def test_misuses_fail_with_what_to_do(dbt_project, run, pytester) -> None:
    dbt_project("minimal")
    pytester.makepyfile(test_misuses=MISUSES)
    args = ("--dbt-project-dir", "minimal", "-p", "no:randomly", "-p", "no:xdist")
    result = run(*args, "--dbt-regen")
    result.stdout.fnmatch_lines([
        "*_ test_no_key _*", "dbt_regression.check: give key= (the column(s) that identify a row)*",
        "*_ test_twice _*",
        "dbt_regression.check: test_twice.jsonl is already checked by this test; pass name= to tell the checks apart",
        "*_ test_not_a_key _*", "*no column 'missing' in the model's rows (it has: n)",
    ])
    assert result.parseoutcomes() == {"failed": 3, "passed": 1}
    result.stdout.fnmatch_lines(["*dbt regression: rewrote 3 golden file(s) (--dbt-regen)*",
                                 "  golden/test_misuses/test_named_twice-a.jsonl",
                                 "  golden/test_misuses/test_named_twice-b.jsonl",
                                 "  golden/test_misuses/test_twice.jsonl"])
    named_b = pytester.path / "golden" / "test_misuses" / "test_named_twice-b.jsonl"
    assert named_b.read_text().splitlines()[1:] == ["[3]"]  # where= n > 2
    named_b.write_text("not json\n")
    (pytester.path / "golden" / "test_misuses" / "test_named_twice-a.jsonl").write_text(
        '{"model": "scaled", "key": ["other"], "columns": {"n": "int"}, "rows": 0}\n')
    again = run(*args, "-k", "named_twice")
    again.stdout.fnmatch_lines([
        "*golden/test_misuses/test_named_twice-a.jsonl is keyed by other, the check by n: pass that key, "
        "or rewrite it with --dbt-regen*"])
    (pytester.path / "golden" / "test_misuses" / "test_named_twice-a.jsonl").unlink()
    assert run(*args, "-k", "named_twice").ret == 1  # a created
    third = run(*args, "-k", "named_twice")
    third.stdout.fnmatch_lines(["*dbt regression: cannot read golden/test_misuses/test_named_twice-b.jsonl *; "
                                "rewrite it with --dbt-regen*"])


GOLDEN_META = """version: 2
models:
  - name: scaled
    config:
      meta:
        golden:
          key: n
"""


def test_a_collected_model_with_a_golden_key_is_checked_after_it_builds(dbt_project, run, pytester) -> None:
    project = dbt_project("minimal")
    (project / "models" / "schema.yml").write_text(GOLDEN_META)
    args = ("--dbt-project-dir", "minimal", "--dbt-select", "*", "-p", "no:randomly", "-p", "no:xdist")
    created = run(*args)
    assert created.parseoutcomes() == {"failed": 1, "passed": 1}
    created.stdout.fnmatch_lines(["*dbt regression: created minimal/models/golden/scaled.jsonl (3 rows of scaled)*"])
    assert run(*args).ret == 0
    changed = run(*args, "--dbt-vars", "{multiplier: 5}")
    assert changed.ret == 1
    changed.stdout.fnmatch_lines([
        "*dbt regression: scaled differs from its golden file minimal/models/golden/scaled.jsonl",
        "  rows: 3 golden, 3 actual: 3 added, 3 removed, 0 changed (0 values)",
        "FAILED minimal/models/scaled.sql::scaled - dbt regression: scaled differs*",
    ])
    regen = run(*args, "--dbt-vars", "{multiplier: 5}", "--dbt-regen")
    assert regen.ret == 0
    regen.stdout.fnmatch_lines(["*dbt regression: rewrote 1 golden file(s) (--dbt-regen)*",
                                "  minimal/models/golden/scaled.jsonl"])
