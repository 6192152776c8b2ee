"""One walk of a dbt project's files by dbt's rules (runner/layout.py), and what reads it."""

from __future__ import annotations

import os
from pathlib import Path

from pytest_planalign_dbt.runner.layout import ProjectLayout
from pytest_planalign_dbt.runner.parse.unseen_vars import VarUse, text_files
from pytest_planalign_dbt.runner.project import fingerprint, load_project


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def _rel(root: Path, paths) -> list[str]:
    return [os.path.relpath(p, root) for p in paths]


def test_the_files_dbt_reads_by_the_projects_own_paths(tmp_path: Path) -> None:
    root = _write(tmp_path / "p", {
        "dbt_project.yml": "name: p\nmodel-paths: [transform]\ntarget-path: build\nlog-path: dbt_logs\n"
                           "packages-install-path: vendor\n",
        "vars.yml": "vars: {}\n", ".dbtignore": "transform/drafts/\n*.bak\n",
        "transform/a.sql": "", "transform/logs/b.sql": "", "transform/target/c.sql": "",
        "transform/drafts/d.sql": "", "transform/e.sql.bak": "", "transform/__pycache__/x.pyc": "",
        "models/not_a_model_path.sql": "", "build/compiled.sql": "", "dbt_logs/dbt.log": "",
        "macros/m.sql": "", "simulate.py": "", "README.md": "",
    })
    layout = ProjectLayout.read(root)
    assert (layout.target_path, layout.log_path, layout.packages_dir) == (root / "build", root / "dbt_logs",
                                                                          root / "vendor")
    assert _rel(root, layout.files()) == [
        "dbt_project.yml", "vars.yml", ".dbtignore",
        "transform/a.sql", "transform/logs/b.sql", "transform/target/c.sql", "macros/m.sql"]


def test_a_package_symlinked_to_its_parent_is_read_once_by_its_own_paths(tmp_path: Path) -> None:
    package = _write(tmp_path / "pkg", {"dbt_project.yml": "name: pkg\n", "models/p.sql": "",
                                        "python_tests/conftest.py": "", "integration_tests/dbt_project.yml": "name: it\n",
                                        "integration_tests/models/i.sql": ""})
    project = package / "integration_tests"
    (project / "dbt_packages").mkdir()
    (project / "dbt_packages" / "pkg").symlink_to(package)
    (project / "dbt_packages" / "again").symlink_to(package)  # the same package twice: read once
    (project / "dbt_packages" / "not_a_package").mkdir()
    layout = ProjectLayout.read(project)
    assert [(p.name, p.root.name) for p in layout.packages()] == [("pkg", "again")]
    assert _rel(project, layout.files()) == ["dbt_project.yml", "models/i.sql",
                                             "dbt_packages/again/dbt_project.yml", "dbt_packages/again/models/p.sql"]


def test_a_resource_path_rendered_by_dbt_means_the_whole_project_is_read(tmp_path: Path) -> None:
    root = _write(tmp_path / "p", {"dbt_project.yml": "name: p\nmodel-paths: [\"{{ env_var('M') }}\"]\n",
                                   "anywhere/a.sql": "", "target/t.sql": "", ".git/config": ""})
    assert _rel(root, ProjectLayout.read(root).files()) == ["dbt_project.yml", "anywhere/a.sql"]


def test_the_fingerprint_sees_models_logs_and_not_what_dbt_ignores(tmp_path: Path) -> None:
    root = _write(tmp_path / "p", {"dbt_project.yml": "name: p\n", ".dbtignore": "models/scratch/\n",
                                   "models/a.sql": "select 1", "models/scratch/draft.sql": "x"})
    before = fingerprint(root)
    (root / "models" / "scratch" / "draft.sql").write_text("select {{ var(name) }}")
    (root / "target").mkdir()
    (root / "target" / "run_results.json").write_text("{}")
    assert fingerprint(root) == before
    (root / "models" / "logs").mkdir()
    (root / "models" / "logs" / "b.sql").write_text("select 2")
    assert fingerprint(root) != before
    # A var read by a name we cannot see, but in a file dbt ignores: no reason for a full parse.
    assert VarUse.scan(root, set()) is not None
    assert [p.name for p in text_files(root, set())] == ["dbt_project.yml", "a.sql", "b.sql"]


def test_dbt_project_yml_is_read_once_per_project_info(tmp_path: Path, monkeypatch) -> None:
    from pytest_planalign_dbt.runner import layout as layout_module

    root = _write(tmp_path / "p", {"dbt_project.yml": "name: p\n", "profiles.yml": "p: {}\n"})
    info = load_project(root, root)
    reads: list[Path] = []
    real = layout_module.load_yaml
    monkeypatch.setattr(layout_module, "load_yaml", lambda path: reads.append(path) or real(path))
    for package in ("a", "b", "c"):
        info.package_dir(package)
    assert reads == [root / "dbt_project.yml"]


def test_the_names_a_ref_can_take_come_from_models_seeds_and_snapshots_of_the_project_and_its_packages(
        tmp_path: Path) -> None:
    root = _write(tmp_path / "p", {
        "dbt_project.yml": "name: p\nmodel-paths: [transform]\n",
        "transform/stg/stg_orders.sql": "", "transform/py_model.py": "", "transform/schema.yml": "",
        "seeds/census.csv": "", "snapshots/snap_orders.sql": "", "macros/stg_helper.sql": "",
        "tests/stg_check.sql": "", "analyses/stg_look.sql": "",
        "dbt_packages/pkg/dbt_project.yml": "name: pkg\n", "dbt_packages/pkg/models/pkg_model.sql": "",
        "dbt_packages/pkg/macros/pkg_macro.sql": "",
    })
    assert ProjectLayout.read(root).ref_names() == {
        "stg_orders", "py_model", "census", "snap_orders", "pkg_model"}
