"""A dbt project found is a dbt project used: where it is, what path arguments select in it, and
the one line that says what to type when nothing is selected.

With no ``--dbt-project-dir``, the project is pytest's rootdir when it holds ``dbt_project.yml``,
else the nearest ``dbt_project.yml`` above a path argument (above the dir pytest was started in,
when it was given no path). A path argument inside one of the
project's node paths (``model-paths``, ``seed-paths``, ``test-paths``, ``snapshot-paths``) with
no selection given selects what dbt's ``path:`` method selects there: ``pytest models/staging``
collects the staging nodes (and the tests dbt attaches to them), as ``pytest tests/unit`` collects
the Python tests there. ``pytest`` alone does not build the whole project: a build writes to the
target's warehouse, which nobody asked for by typing ``pytest`` in a repository that may hold
Python tests too; it prints the one line instead (``nothing_selected_line``).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from .runner import load_yaml, vars_from_file

# dbt_project.yml's keys for the dirs that hold nodes (source-/data-paths: their old names).
NODE_PATHS = {"model-paths": ["models"], "source-paths": [], "seed-paths": ["seeds"], "data-paths": [],
              "test-paths": ["tests"], "snapshot-paths": ["snapshots"]}
NODE_SUFFIXES = (".sql", ".py", ".csv", ".yml", ".yaml")


def path_arguments(config: pytest.Config) -> list[Path]:
    """The paths given on the command line (not testpaths), absolute; ``file::name`` is its file."""
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        return []
    base = Path(config.invocation_params.dir)
    return [Path(os.path.abspath(base / a.split("::")[0])) for a in config.args]


def search_paths(config: pytest.Config) -> list[Path]:
    """Where to look for the project: the path arguments, or the dir pytest was started in
    when it was given none (not its ``testpaths``)."""
    if config.args_source == pytest.Config.ArgsSource.INVOCATION_DIR:
        return [Path(config.invocation_params.dir)]
    return path_arguments(config)


def project_above(paths: Iterable[Path]) -> Path | None:
    """The dir of the nearest ``dbt_project.yml`` at or above the first path that has one."""
    for path in paths:
        for directory in (path, *path.parents):
            if (directory / "dbt_project.yml").is_file():
                return directory.resolve()
    return None


def node_dirs(project_dir: Path) -> list[Path]:
    """The project's dirs that hold dbt nodes, as its dbt_project.yml names them."""
    config = load_yaml(project_dir / "dbt_project.yml")
    dirs: list[Path] = []
    for key, default in NODE_PATHS.items():
        value = config.get(key, default)
        for entry in [value] if isinstance(value, str) else (value or []):
            if isinstance(entry, str) and "{" not in entry:
                dirs.append((project_dir / entry).resolve())
    return dirs


def path_selection(project_dir: Path, paths: Iterable[Path]) -> tuple[str, ...]:
    """``path:`` selectors for the path arguments inside the project's node dirs (a Python test
    file or dir elsewhere in the project is pytest's own, as always)."""
    dirs = node_dirs(project_dir)
    out: list[str] = []
    for path in (p.resolve() for p in paths):
        if path.is_file() and (not path.name.endswith(NODE_SUFFIXES) or _python_test(path)):
            continue
        if any(path == d or d in path.parents for d in dirs):
            out.append("path:" + path.relative_to(project_dir).as_posix())
    return tuple(dict.fromkeys(out))


def _python_test(path: Path) -> bool:
    """A file pytest collects itself (a dbt Python model is never named so)."""
    return path.suffix == ".py" and (path.name.startswith("test_") or path.name.endswith("_test.py")
                                     or path.name == "conftest.py")


def _model_example(project_dir: Path) -> tuple[str, str | None]:
    """A selector that fits this project (``int_*``: the commonest name prefix of its biggest
    folder of models), and that folder, to name as a path argument (None for a flat project)."""
    models = [d for d in node_dirs(project_dir) if d.is_dir()]
    files = sorted(p for d in models[:1] for p in d.rglob("*.sql"))
    if not files:
        return "*", None
    by_folder = Counter(f.relative_to(models[0]).parts[0] for f in files if f.parent != models[0])
    folder = max(sorted(by_folder), key=by_folder.__getitem__) if by_folder else None
    pick = [f for f in files if folder is None or f.relative_to(models[0]).parts[0] == folder]
    where = (models[0] / folder).relative_to(project_dir).as_posix() if folder else None
    return _common_prefix(pick), where


def _common_prefix(files: list[Path]) -> str:
    """``prefix_*`` for the commonest name prefix two or more of ``files`` share, else the
    first file's name."""
    prefixes = Counter(f.stem.split("_", 1)[0] + "_" for f in files if "_" in f.stem)
    if not prefixes:
        return files[0].stem
    prefix, count = max(sorted(prefixes.items()), key=lambda item: item[1])
    return prefix + "*" if count > 1 else files[0].stem


def nothing_selected_line(project_dir: Path, invocation_dir: Path) -> str:
    """What to type to test this project's nodes: the option, its ini line, a path argument."""
    selector, folder = _model_example(project_dir)
    try:
        where = os.path.relpath(project_dir / folder, invocation_dir) if folder else None
    except ValueError:  # another drive (Windows)
        where = None
    by_path = f", or name a folder of nodes: pytest {where}" if where else ""
    name = load_yaml(project_dir / "dbt_project.yml").get("name") or project_dir.name
    return (f"dbt: nothing selected from project {name}: pytest --dbt-select '{selector}' "
            f"(or 'dbt_select = {selector}' in your pytest ini file){by_path}")


def vars_example(project_dir: Path | None) -> str:
    """A ``--dbt-vars`` value made of one of the project's own vars and its default."""
    found: dict[str, Any] = {}
    if project_dir is not None and (project_dir / "dbt_project.yml").is_file():
        declared = load_yaml(project_dir / "dbt_project.yml").get("vars")
        for source in (declared if isinstance(declared, dict) else {}, vars_from_file(project_dir)):
            found.update({k: v for k, v in source.items() if not isinstance(v, (dict, list))})
    name, value = next(iter(found.items()), ("my_var", "value"))
    try:
        return json.dumps({name: value})
    except TypeError:  # a date or another YAML value JSON cannot write
        return json.dumps({name: str(value)})
