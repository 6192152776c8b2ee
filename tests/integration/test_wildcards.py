"""Bare wildcards (``int_*``) select what dbt-core 1.11.16+ selects, on every dbt of the matrix.

``tests/projects/wildcards/expected.json`` is dbt-core 1.11.16's own ``dbt ls`` for each case
below, written by ``python -m tests.integration.test_wildcards <a dbt-core 1.11.16 dbt>``. On
each leg (1.10 and 1.12.0 lack the rule; 1.11.16 has it) the runner's listing, in-process and
as a subprocess, must equal it node for node; where the installed dbt has the rule, its own CLI
must equal it too (the file is dbt's truth, not ours).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from pytest_planalign_dbt import DbtRunner
from pytest_planalign_dbt.runner import versions
from tests.helpers.verdicts import DBT, cli_env, copy_project

pytestmark = [pytest.mark.integration, pytest.mark.dbt_matrix, pytest.mark.xdist_group("wildcards")]

PROJECT = Path(__file__).parents[1] / "projects" / "wildcards"
EXPECTED = PROJECT / "expected.json"

# (name, --select values, --exclude values): each --select value is one argument, as typed.
CASES = [
    ("bare", ["int_*"], []),
    ("two_in_one_argument", ["int_h* stg_*"], []),
    ("two_arguments", ["int_h*", "dim_*"], []),
    ("graph_both_ways", ["+int_te*+"], []),
    ("at_operator", ["@int_h*"], []),
    ("children_depth", ["int_h*+1"], []),
    ("intersection", ["int_*+,tag:nightly"], []),
    ("excluded", ["int_*"], ["int_t* int_v*"]),
    ("exclusion_only_wildcard", ["+fct_moves"], ["stg_*"]),
    ("question_mark", ["int_?ires"], []),
    ("brackets", ["int_[ht]*"], []),
    ("package_named_like_it", ["int_pkg*"], []),
    ("versioned", ["int_versioned*"], []),
    ("versioned_suffix", ["*_v2"], []),
    ("folder_exact", ["int_stuff"], []),
    ("dotted_unchanged", ["intermediate.int_h*"], []),
    ("leading_star", ["*rates"], []),
    ("method_unchanged", ["fqn:int_*"], []),
]


def _args(select: list[str], exclude: list[str]) -> list[str]:
    return ["--select", *select, *(["--exclude", *exclude] if exclude else [])]


def dbt_ls(dbt: str, project: Path, select: list[str], exclude: list[str]) -> list[str]:
    """The unique ids a dbt CLI lists for one case."""
    proc = subprocess.run(
        [dbt, "ls", "--profiles-dir", ".", "--output", "json", "--output-keys", "unique_id", "--quiet",
         *_args(select, exclude)],
        cwd=project, capture_output=True, text=True, env=cli_env(drop=("DBT_",)), check=True,
    )
    return sorted(json.loads(line)["unique_id"] for line in proc.stdout.splitlines() if line.startswith("{"))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(PROJECT, tmp_path_factory.mktemp("wildcards"))


@pytest.fixture(scope="module")
def expected() -> dict[str, list[str]]:
    return json.loads(EXPECTED.read_text())


# A dbt child process costs seconds: the subprocess executor lists the cases that differ in kind.
SUBPROCESS_CASES = ("bare", "two_in_one_argument", "excluded", "versioned")


@pytest.mark.parametrize("executor", ["inprocess", "subprocess"])
def test_the_runner_lists_what_dbt_1_11_16_lists(project: Path, expected, executor: str) -> None:
    runner = DbtRunner(project, executor=executor, threads=1)
    resource_types = ("model", "test", "seed", "snapshot", "unit_test")
    cases = [c for c in CASES if executor == "inprocess" or c[0] in SUBPROCESS_CASES]
    expected = {name: expected[name] for name, _, _ in cases}
    got = {}
    for name, select, exclude in cases:
        nodes = runner.list_nodes(select, exclude, resource_types=resource_types)
        got[name] = sorted(n["unique_id"] for n in nodes)
    assert got == expected
    # The rule matters here: a bare wildcard reaches the nested models.
    assert "model.wildcards.int_hires" in got["bare"]
    assert "model.wildcards.int_versioned.v2" in got["versioned"]


@pytest.mark.skipif(not versions.bare_wildcard_matches_name(), reason="this dbt lacks the rule (we add it)")
def test_expected_is_this_dbts_own_listing(project: Path, expected) -> None:
    assert {name: dbt_ls(DBT, project, s, e) for name, s, e in CASES} == expected


def test_execute_command_runs_a_nested_bare_wildcard(project: Path) -> None:
    runner = DbtRunner(project, threads=1)
    result = runner.execute_command(["run", "--select", "+int_h*"], stream_output=False)
    assert result.success
    assert {n.unique_id for n in result.nodes} == {"model.wildcards.stg_people", "model.wildcards.int_hires"}


def main(dbt: str) -> None:
    """Write expected.json from a dbt-core 1.11.16+ CLI (``dbt``)."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = copy_project(PROJECT, Path(tmp))
        subprocess.run([dbt, "deps", "--profiles-dir", "."], cwd=copy, check=True, capture_output=True)
        out = {name: dbt_ls(dbt, copy, select, exclude) for name, select, exclude in CASES}
    EXPECTED.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
