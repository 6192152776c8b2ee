"""Slim CI: --dbt-changed collects what dbt's state:modified+ selects against the last green run."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from pytest_planalign_dbt import DbtRunner

pytestmark = pytest.mark.integration

CHANGED = ("--dbt-project-dir", "example_project", "--dbt-select", "*", "--dbt-simulation-year", "2025",
           "--dbt-changed", "-v", "-p", "no:randomly")
ITEM = re.compile(r"^example_project/\S+::(\S+) (PASSED|WARNED|FAILED|ERROR|DQ_FAILED)")


def ran(result: pytest.RunResult) -> dict[str, str]:
    """Each dbt item that ran, and its outcome word."""
    return {m.group(1): m.group(2) for line in result.stdout.lines if (m := ITEM.match(line))}


def modified(project: Path, reference: Path) -> set[str]:
    """What dbt's own `ls --select state:modified+ --state <reference>` selects (runnable nodes)."""
    nodes = DbtRunner(project).list_nodes(["state:modified+"], state=reference, dbt_vars={"simulation_year": 2025})
    return {n["name"] for n in nodes if (n.get("config") or {}).get("materialized") != "ephemeral"}


def reference_dir(pytester: pytest.Pytester) -> Path:
    (manifest,) = (pytester.path / ".pytest_cache" / "d" / "planalign_dbt_state").glob("*/manifest.json")
    return manifest.parent


def test_changed_nodes_are_what_state_modified_selects(dbt_project, run, pytester) -> None:
    project = dbt_project("example_project")
    before = run(*CHANGED, "--collect-only")
    before.stdout.fnmatch_lines(["dbt: no green run of this selection is kept yet: all * selected node(s) are collected"])
    # A green run without --dbt-changed keeps its manifest too (a copy of the one dbt's
    # artifacts hold): the first --dbt-changed run after it builds only what changed.
    first = run(*[a for a in CHANGED if a != "--dbt-changed"])
    assert first.ret == 0, first.stdout.str()[-3000:]
    everything = ran(first)
    assert len(everything) > 20 and set(everything.values()) <= {"PASSED", "WARNED"}

    unchanged = run(*CHANGED)
    assert unchanged.ret == 0  # not pytest's 5: nothing changed is a pass
    unchanged.stdout.fnmatch_lines([
        f"dbt: 0 of {len(everything)} selected node(s) changed since the green run of * (state:modified+); "
        f"{len(everything)} unchanged, not built",
        "  unchanged: model.example_project.int_hires",  # -v lists what was left out
    ])
    assert ran(unchanged) == {}

    edits = {
        "a model's SQL": ("models/intermediate/int_hires.sql", lambda t: t + "\n-- reviewed\n"),
        "a macro": ("macros/pseudo_random.sql", lambda t: t.replace("{%- endmacro %}", "{#- same draw -#}{%- endmacro %}")),
        "a seed": ("seeds/census.csv", lambda t: t.replace("79552.26", "79552.27")),
        "a YAML test config": ("models/marts/schema.yml", lambda t: t.replace("data_tests: [not_null]",
                                                                             "data_tests: [{not_null: {config: {severity: warn}}}]", 1)),
    }
    for what, (path, edit) in edits.items():
        reference = reference_dir(pytester)
        kept_reference = pytester.path / "reference"
        shutil.rmtree(kept_reference, ignore_errors=True)
        shutil.copytree(reference, kept_reference)  # the run below replaces it when green
        file = project / path
        file.write_text(edit(file.read_text()))
        result = run(*CHANGED)
        assert result.ret == 0, (what, result.stdout.str()[-3000:])
        expected = modified(project, kept_reference)
        assert expected and expected != set(everything), what  # the change selects some, not all
        assert set(ran(result)) == expected, what
        result.stdout.fnmatch_lines([f"dbt: {len(expected)} of {len(everything)} selected node(s) changed *"])

    # One var changed: everything is collected (dbt's state comparison does not see vars).
    other_vars = run(*CHANGED[:-3], "--dbt-changed", "--dbt-simulation-year", "2026", "--collect-only")
    assert other_vars.ret == 0, other_vars.stdout.str()[-3000:]
    other_vars.stdout.fnmatch_lines([f"collected {len(everything)} items", "*",
                                     "dbt: the vars differ from those of the green run of *: all * selected node(s) are collected"])


def test_a_failed_run_keeps_the_last_green_reference_and_xdist_agrees(dbt_project, run, pytester) -> None:
    project = dbt_project("example_project")
    assert run(*CHANGED).ret == 0
    reference = reference_dir(pytester) / "manifest.json"
    green = reference.read_bytes()
    meta = reference.parent / "planalign_reference.json"
    kept_at = json.loads(meta.read_text())["time"]
    model = project / "models" / "staging" / "stg_census.sql"
    model.write_text(model.read_text() + "\nwhere not_a_column = 1\n")
    broken = run(*CHANGED)
    assert broken.ret == 1 and "stg_census" in ran(broken)
    assert reference.read_bytes() == green  # not a green run: still the reference
    # A run failed after it: what failed may lie outside dbt's state, so everything is collected.
    again = run(*CHANGED)
    assert again.ret == 1 and "stg_census" in ran(again)
    again.stdout.fnmatch_lines(["dbt: the run of * failed after the last green one: all * selected node(s) are collected"])
    model.write_text(model.read_text().replace("\nwhere not_a_column = 1\n", ""))
    on_two = run(*CHANGED, "-n", "2")  # the file is back as it was: green again, on two workers
    assert on_two.ret == 0, on_two.stdout.str()[-3000:]
    assert json.loads(meta.read_text())["time"] > kept_at  # the controller kept this run's
    quiet = run(*CHANGED, "-n", "2")
    assert quiet.ret == 0, quiet.stdout.str()[-3000:]
    quiet.stdout.fnmatch_lines(["dbt: 0 of * selected node(s) changed since the green run of *"])


def test_a_supplied_state_selects_and_defers(dbt_project, run, pytester) -> None:
    project = dbt_project("example_project")
    base = ("--dbt-project-dir", "example_project", "--dbt-select", "*", "--dbt-simulation-year", "2025", "-v")
    assert run(*base).ret == 0
    prod = pytester.path / "prod"
    prod.mkdir()
    shutil.copy(project / "target" / "manifest.json", prod / "manifest.json")
    mart = project / "models" / "marts" / "fct_workforce_snapshot.sql"
    mart.write_text(mart.read_text() + "\n-- reviewed\n")
    result = run(*base, "--dbt-state", "prod", "--dbt-defer")
    assert result.ret == 0, result.stdout.str()[-3000:]
    assert set(ran(result)) == modified(project, prod)
    result.stdout.fnmatch_lines(["dbt: * of * selected node(s) changed since --dbt-state */prod (state:modified+); "
                                 "* unchanged, deferred to --dbt-state */prod"])


def test_the_subprocess_executor_selects_the_same(dbt_project, run, pytester) -> None:
    project = dbt_project("varsdag")
    args = ("--dbt-project-dir", "varsdag", "--dbt-select", "*", "--dbt-changed", "--dbt-executor", "subprocess",
            "-v", "-p", "no:randomly")
    assert run(*args).ret == 0
    # The session waited for dbt to write its artifacts (it once stopped dbt mid-write: the
    # last item reports when its node finishes, before dbt writes manifest.json).
    for artifact in ("manifest.json", "run_results.json"):
        json.loads((project / "target" / artifact).read_text())
    reference = pytester.path / "reference"
    shutil.copytree(reference_dir(pytester), reference)
    (project / "models" / "b.sql").write_text("select 'B' as picked\n")
    result = run(*args)
    assert result.ret == 0, result.stdout.str()[-3000:]
    changed = {line.split("::")[1].split()[0] for line in result.stdout.lines
               if line.startswith("varsdag/") and " PASSED" in line}
    nodes = DbtRunner(project).list_nodes(["state:modified+"], state=reference)
    assert changed == {n["name"] for n in nodes} == {"b"}


@pytest.mark.parametrize(("args", "message"), [
    (("--dbt-state", "nowhere"), "--dbt-state (command line): */nowhere does not exist; point it at the dbt artifacts dir*"),
    (("--dbt-state", "."), "--dbt-state (command line): * holds no manifest.json*"),
    (("--dbt-defer",), "--dbt-defer needs a reference to defer to: add --dbt-state DIR (or --dbt-changed)"),
])
def test_slim_options_are_checked_before_dbt_starts(dbt_project, run, args, message) -> None:
    dbt_project("example_project")
    result = run("--dbt-project-dir", "example_project", "--dbt-select", "*", *args)
    assert result.ret == 4
    result.stderr.fnmatch_lines([f"ERROR: {message}"])


def test_a_red_golden_check_is_red_again_under_slim_ci(dbt_project, run, pytester) -> None:
    """A golden file is not in dbt's state: after a red run, --dbt-changed collects everything
    (the run is red again) until a run passes; under xdist the controller settles it."""
    from tests.plugin.test_golden import GOLDEN_META

    project = dbt_project("minimal")
    (project / "models" / "schema.yml").write_text(GOLDEN_META)
    args = ("--dbt-project-dir", "minimal", "--dbt-select", "*", "-p", "no:randomly")
    assert run(*args).ret == 1  # the golden file is created: a failure to review
    assert run(*args, "--dbt-changed").ret == 0  # green: the reference
    golden = project / "models" / "golden" / "scaled.jsonl"
    good = golden.read_text()
    golden.write_text(good.replace("1", "7", 1))
    assert run(*args, "-n", "2").ret == 1  # red on two workers: the controller marks it
    again = run(*args, "--dbt-changed")
    assert again.ret == 1, again.stdout.str()[-2000:]
    again.stdout.fnmatch_lines(["dbt: the run of * failed after the last green one: all 2 selected node(s) are collected"])
    golden.write_text(good)
    assert run(*args, "--dbt-changed", "-n", "2").ret == 0  # green again: the controller keeps it
    quiet = run(*args, "--dbt-changed")
    assert quiet.ret == 0
    quiet.stdout.fnmatch_lines(["dbt: 0 of 2 selected node(s) changed since the green run of *"])
