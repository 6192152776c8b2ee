"""What differs between dbt-core versions, proven against the dbt installed here.

Each leg of CI's version matrix (1.10, 1.11, 1.12.0) runs these: the vars hash we write into
a parse derived from other vars is dbt's own; 1.12's ``vars.yml`` and ``.env`` count where
we key or scan; our projects parse without deprecation warnings.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_planalign_dbt import DbtRunner
from pytest_planalign_dbt.runner import versions
from pytest_planalign_dbt.runner.parse.vars_hash import hash_inputs
from tests.helpers.manifests import digest as node_digests

pytestmark = [pytest.mark.integration, pytest.mark.dbt_matrix]

needs_112 = pytest.mark.skipif(not versions.at_least(1, 12), reason="dbt-core 1.12 reads vars.yml and .env")


def _parse(runner: DbtRunner, **kw) -> object:
    result = runner.execute_command(["ls"], stream_output=False, **kw)
    assert result.success, result.stdout[-2000:]
    return runner.executor.manifest()


@pytest.mark.parametrize("target", [None, "dev"])
def test_our_vars_hash_is_the_one_dbt_writes(copy_project, target: str | None) -> None:
    project = copy_project("example_project")
    runner = DbtRunner(project, threads=1, target=target, keep_parses=False)
    cli_vars = {"simulation_year": 2026, "rate": 0.5}
    manifest = _parse(runner, dbt_vars=cli_vars)
    argv = runner.command_for(["parse"], dbt_vars=cli_vars).argv
    assert hash_inputs(project, argv).of(cli_vars) == manifest.state_check.vars_hash.checksum


def test_our_projects_parse_without_deprecation_warnings(copy_project) -> None:
    for name in ("example_project", "varsdag", "minimal", "unitproj"):
        lines: list[str] = []
        runner = DbtRunner(copy_project(name), threads=1, keep_parses=False)
        result = runner.execute_command(["ls"], stream_output=False, on_line=lines.append,
                                        dbt_vars={"simulation_year": 2025} if name == "example_project" else None)
        # dbt 1.10 says it is itself deprecated: about dbt, not about the project.
        warned = [line for line in lines if "eprecat" in line and "version of dbt is deprecated" not in line]
        assert result.success and not warned, (name, warned)


VARS_PROJECT = {
    "dbt_project.yml": "name: vfile\nprofile: vfile\nversion: '1.0'\nconfig-version: 2\n",
    "profiles.yml": "vfile:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: v.duckdb\n",
    "models/by_year.sql": "select {{ var('year') }} as y",
    "models/fixed.sql": "select 1 as one",
    "models/other.sql": "select '{{ var('stage', 'a') }}' as s",
}


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


@needs_112
def test_a_var_changed_in_vars_yml_reparses_only_its_readers(tmp_path: Path) -> None:
    project = _write(tmp_path / "vfile", {**VARS_PROJECT, "vars.yml": "vars:\n  year: 2025\n"})
    runner = DbtRunner(project, threads=1)
    _parse(runner)
    assert runner.executor.full_parses == 1
    (project / "vars.yml").write_text("vars:\n  year: 2026\n")
    derived = node_digests(_parse(runner))
    assert runner.executor.full_parses == 1  # vars.yml's change: only by_year.sql parsed again
    fresh = DbtRunner(project, threads=1, keep_parses=False, target_path=tmp_path / "fresh")
    assert derived == node_digests(_parse(fresh)) and fresh.executor.full_parses == 1
    rows = DbtRunner(project, threads=1)
    assert rows.execute_command(["run", "--select", "by_year"], stream_output=False).success
    assert rows.rows("by_year") == [{"y": 2026}]


@needs_112
def test_the_projects_dotenv_reaches_env_var_in_process_and_in_the_listing_key(tmp_path: Path,
                                                                                monkeypatch) -> None:
    name = "PLANALIGN_DOTENV_PROBE"
    monkeypatch.delenv(name, raising=False)
    project = _write(tmp_path / "vfile", {**VARS_PROJECT, ".env": f"{name}=from-dotenv\n",
                                          "models/fixed.sql": f"select '{{{{ env_var('{name}') }}}}' as v"})
    monkeypatch.chdir(tmp_path)  # dbt itself would look for .env from here, and find none
    runner = DbtRunner(project, threads=1)
    assert runner.env[name] == "from-dotenv"
    assert runner.execute_command(["run", "--select", "fixed"], stream_output=False).success
    assert runner.rows("fixed") == [{"v": "from-dotenv"}]
    monkeypatch.setenv(name, "from-the-shell")  # the shell wins over .env, as with dbt's CLI
    assert DbtRunner(project, threads=1).env[name] == "from-the-shell"


def test_a_bare_wildcard_selects_nested_nodes_on_every_version(dbt_project, run) -> None:
    """dbt-core 1.10 and 1.12.0-1.12.5 read ``int_*`` against whole names; the runner adds
    1.11.16's rule, so the plugin and the runner select the nested int_* models on every leg."""
    project = dbt_project("example_project")
    runner = DbtRunner(project, threads=1)
    result = run(f"--dbt-project-dir={project.name}", "--dbt-select=int_*", "--collect-only", "-q",
                 "--dbt-vars={simulation_year: 2025}")
    assert result.ret == 0 and "int_hires.sql::int_hires" in result.stdout.str()
    listed = runner.list_nodes(["int_*"], resource_types=["model"], simulation_year=2025)
    assert sorted(n["name"] for n in listed) == [
        "int_baseline_workforce", "int_hires", "int_merit", "int_promotions", "int_terminations"]
