"""Projects as people lay them out: a package's integration-test project (``- local: ../``, so
``dbt_packages/`` holds a symlink back up), a ``models/logs/`` folder and a ``.dbtignore``.

pytest runs in the integration project, as the package's developers run it. It must never walk
round the symlink, never collect the package's own Python tests, and collect what dbt builds:
no more (the ignored draft), no less (the models under ``models/logs/``), by dbt's verdict.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers.verdicts import DBT, cli_env, compare, junit_outcomes, run_results

pytestmark = pytest.mark.integration

MONOREPO = Path(__file__).parents[1] / "projects" / "monorepo"


def _outputs(directory: str, names: list[str]) -> set[str]:
    """What a run leaves (only at a project's top: models/logs/ is a source folder)."""
    top = (Path(directory) / "dbt_project.yml").is_file()
    return {n for n in names if n == "dbt_packages" or n.endswith(".duckdb") or (top and n in ("target", "logs"))}


@pytest.fixture
def integration_project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The monorepo copied, its package installed by ``dbt deps`` (a symlink to the copy)."""
    root = pytester.path / "monorepo"
    shutil.copytree(MONOREPO, root, ignore=_outputs)
    project = root / "integration_tests"
    subprocess.run([DBT, "deps", "--profiles-dir", "."], cwd=project, check=True, capture_output=True,
                   env=cli_env(drop=("DBT_",)))
    assert (project / "dbt_packages" / "mono_pkg").resolve() == root.resolve()
    (project / "pytest.ini").write_text("[pytest]\n")
    monkeypatch.chdir(project)
    return project


def test_a_local_package_symlinked_to_its_parent_is_collected_once_and_built_as_dbt_builds_it(
        integration_project: Path, run) -> None:
    result = run("--dbt-project-dir=.", "--dbt-select=*", "--junitxml=report.xml", "-rA")
    text = result.stdout.str()
    assert result.ret == 0, text[-3000:]
    ids = {line.split(" ", 1)[1] for line in text.splitlines() if line.startswith("PASSED ")}
    assert "dbt_packages/mono_pkg/models/pkg_doubled.sql::pkg_doubled" in ids
    assert "models/logs/log_events.sql::log_events" in ids  # models/logs/ is an ordinary folder
    assert not any("python_tests" in i or "integration_tests/dbt_packages" in i for i in ids)
    assert "draft" not in text and "elementary" not in text  # .dbtignore'd; the package's Python
    assert compare(run_results(integration_project), junit_outcomes(integration_project / "report.xml")) == []


def test_a_model_added_under_models_logs_is_collected_next_time(integration_project: Path, run) -> None:
    first = run("--dbt-project-dir=.", "--dbt-select=*", "--collect-only", "-q")
    assert first.ret == 0 and "models/logs/log_events.sql::log_events" in first.stdout.str()
    (integration_project / "models" / "logs" / "log_errors.sql").write_text("select 2 as id")
    second = run("--dbt-project-dir=.", "--dbt-select=*", "--collect-only", "-q")
    assert "models/logs/log_errors.sql::log_errors" in second.stdout.str(), second.stdout.str()[-2000:]


def test_an_edit_dbt_ignores_keeps_the_kept_listing(integration_project: Path, run) -> None:
    assert run("--dbt-project-dir=.", "--dbt-select=*", "--collect-only").ret == 0
    (integration_project / "models" / "scratch" / "draft.sql").write_text("select {{ var(name) }}")
    again = run("--dbt-project-dir=.", "--dbt-select=*", "--collect-only")
    assert again.ret == 0 and "from the listing kept in pytest's cache" in again.stdout.str(), again.stdout.str()[-2000:]
