"""One walk of a dbt project's files, by dbt's own rules (no dbt import, no pytest).

dbt reads a project's config files (``dbt_project.yml``, ``packages.yml``, ``vars.yml``, ...)
and the files under its resource paths (``model-paths``, ``macro-paths``, ``seed-paths``, ...,
from ``dbt_project.yml``), minus what its ``.dbtignore`` names; then the same for each package
installed under ``packages-install-path``. Nothing else: not ``target-path`` nor ``log-path``
(wherever they are); but a ``models/logs/`` folder, like any folder under a resource path, is read.
dbt walks each resource path without following directory symlinks inside it, and so do we;
a package that is a symlink (``- local: ../``) is walked once, by its real path, never round
a loop. The fingerprint, the var and env-var scans and the plugin's collection all read the
project through here.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .failures.errors import DbtConfigError

# The files at a project's root that dbt reads (vars.yml: dbt-core 1.12).
CONFIG_FILES = ("dbt_project.yml", "packages.yml", "dependencies.yml", "package-lock.yml",
                "selectors.yml", "vars.yml", ".dbtignore")
# dbt_project.yml's resource path keys and their defaults (source-/data-paths: old names).
RESOURCE_PATHS = {
    "model-paths": ["models"], "source-paths": [], "seed-paths": ["seeds"], "data-paths": [],
    "test-paths": ["tests"], "analysis-paths": ["analyses"], "macro-paths": ["macros"],
    "snapshot-paths": ["snapshots"], "docs-paths": [], "asset-paths": [], "function-paths": ["functions"],
}
# The resource paths whose files are nodes a ref() names by the file's name.
REFABLE_PATHS = ("model-paths", "source-paths", "seed-paths", "data-paths", "snapshot-paths")
REFABLE_SUFFIXES = frozenset({".sql", ".py", ".csv"})
# Never dbt input, wherever they appear (editors' and tools' litter).
NEVER = frozenset({".git", "__pycache__", ".venv", "venv", "node_modules", ".ipynb_checkpoints"})


# libyaml's loader where PyYAML has it, as dbt's own yaml_helper: the same reading, 5-10x faster
# (a large dbt_project.yml costs 20 ms in pure Python, and the runner reads it on every call).
SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """``yaml.safe_load`` with libyaml where available."""
    return yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader


def load_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping, or {} when the file is missing, unreadable or not a mapping."""
    try:
        data = safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def read_config_file(path: Path) -> dict[str, Any]:
    """A dbt configuration file (dbt_project.yml, profiles.yml) dbt must read: a mapping, or a
    DbtConfigError naming the file, the line and the fix (before dbt starts, which says less)."""
    text = utf8_text(path, path.read_bytes())
    try:
        data = safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise DbtConfigError(f"{where}: not valid YAML ({problem}): fix the file") from None
    if data is None:
        raise DbtConfigError(f"{path}: the file is empty: write its settings (dbt's docs list them) or remove it")
    if not isinstance(data, dict):
        raise DbtConfigError(f"{path}:1: must be a mapping of settings, got {type(data).__name__}: fix the file")
    return data


def utf8_text(path: Path, data: bytes) -> str:
    """``data`` (the bytes of ``path``) as text, or a DbtConfigError naming the file and the line
    of the first byte that is not UTF-8 (dbt reads every project file as UTF-8)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DbtConfigError(
            f"{path}:{line}: not UTF-8 text ({exc.reason}, byte {data[exc.start]:#04x}); dbt reads every "
            "project file as UTF-8: save it as UTF-8"
        ) from None


# Python's text when dbt read a file that is not UTF-8 (dbt's message names no file).
UNDECODABLE = "codec can't decode"
TEXT_SUFFIXES = (".sql", ".yml", ".yaml", ".md", ".py", ".csv", ".jinja")


def check_utf8(layout: ProjectLayout) -> None:
    """Every file dbt reads from the project and its packages is UTF-8, or a DbtConfigError
    names the first that is not, with its line."""
    for path in layout.files():
        if not path.name.endswith(TEXT_SUFFIXES):
            continue
        try:
            data = path.read_bytes()
        except OSError:
            continue
        utf8_text(path, data)


def _first(config: dict[str, Any], key: str, default: str) -> str:
    """A single path setting (dbt's default where it is unset or rendered with Jinja)."""
    value = config.get(key)
    return default if not isinstance(value, str) or not value or "{{" in value else value


def _paths(config: dict[str, Any], key: str, default: list[str]) -> list[str]:
    value = config.get(key, default)
    if isinstance(value, str):
        value = [value]
    return [str(v) for v in value or [] if v]


@dataclass(frozen=True)
class ProjectLayout:
    """Where one dbt project (the root or a package) keeps what dbt reads."""

    root: Path
    name: str
    resource_dirs: tuple[Path, ...]
    target_path: Path
    log_path: Path
    packages_dir: Path
    ignore: Any = None  # a pathspec.PathSpec from .dbtignore, or None
    whole: bool = False  # a resource path dbt renders with Jinja: walk the whole project
    refable_dirs: tuple[Path, ...] = ()  # where the files a ref() can name live

    @classmethod
    def read(cls, root: Path, config: dict[str, Any] | None = None) -> ProjectLayout:
        """The layout ``root``'s dbt_project.yml describes (``config``: that file, read already)."""
        config = load_yaml(root / "dbt_project.yml") if config is None else config
        dirs: list[str] = []
        refable: list[str] = []
        for key, default in RESOURCE_PATHS.items():
            dirs += _paths(config, key, default)
            refable += _paths(config, key, default) if key in REFABLE_PATHS else []
        whole = any("{{" in d or "{%" in d for d in dirs)
        packages = _first(config, "packages-install-path", "dbt_packages")
        return cls(
            root=root, name=str(config.get("name") or root.name),
            resource_dirs=tuple(dict.fromkeys(root / d for d in dirs if not whole)),
            target_path=root / _first(config, "target-path", "target"),
            log_path=root / _first(config, "log-path", "logs"), packages_dir=root / packages,
            ignore=_dbtignore(root), whole=whole, refable_dirs=tuple(root / d for d in refable if not whole),
        )

    def ignored(self, path: Path) -> bool:
        """True when this project's .dbtignore names ``path`` (a file under ``root``)."""
        if self.ignore is None:
            return False
        try:
            relative = path.relative_to(self.root)
        except ValueError:
            return False
        return bool(self.ignore.match_file(str(relative)))

    def own_files(self, skip: frozenset[Path] = frozenset()) -> Iterator[Path]:
        """The files dbt reads from this project (not its packages), each once; never under
        ``skip`` (a runner's own target and log dirs)."""
        for name in CONFIG_FILES:
            if (self.root / name).is_file():
                yield self.root / name
        seen: set[Path] = set()
        never = {*skip, self.target_path, self.log_path, self.packages_dir}
        for top in ([self.root] if self.whole else self.resource_dirs):
            for path in _walk(top, never, seen):
                if path.parent == self.root and path.name in CONFIG_FILES:
                    continue
                if not self.ignored(path):
                    yield path

    def ref_names(self) -> set[str]:
        """The names a ``ref()`` can take from files here and in the packages: models, seeds and
        snapshots by file name (what dbt calls them unless a config renames them)."""
        names: set[str] = set()
        for layout in (self, *self.packages()):
            for path in layout.own_files():
                if path.suffix in REFABLE_SUFFIXES and any(d in path.parents for d in layout.refable_dirs):
                    names.add(path.stem)
        return names

    def packages(self) -> list[ProjectLayout]:
        """The installed packages (each a dir holding dbt_project.yml), each real path once."""
        try:
            entries = sorted(self.packages_dir.iterdir())
        except OSError:
            return []
        out, seen = [], {self.root.resolve()}
        for entry in entries:
            real = entry.resolve()
            if real in seen or not (entry / "dbt_project.yml").is_file():
                continue
            seen.add(real)
            out.append(ProjectLayout.read(entry))
        return out

    def files(self, skip: frozenset[Path] = frozenset()) -> Iterator[Path]:
        """Every file dbt reads: this project's, then each installed package's."""
        yield from self.own_files(skip)
        for package in self.packages():
            yield from package.own_files(skip)


def _walk(top: Path, skip: set[Path], seen: set[Path]) -> Iterator[Path]:
    """Files under ``top`` in a stable order, as dbt walks a resource path: directory symlinks
    inside it are not followed; ``skip`` and litter are never entered; each real dir once."""
    try:
        real = top.resolve()
    except OSError:
        return
    if real in seen or not top.is_dir():
        return
    seen.add(real)
    for current, dirs, files in os.walk(top):
        here = Path(current)
        dirs[:] = sorted(d for d in dirs if d not in NEVER and here / d not in skip)
        for name in sorted(files):
            yield here / name


def _dbtignore(root: Path) -> Any:
    path = root / ".dbtignore"
    if not path.is_file():
        return None
    import pathspec  # a dbt-core dependency; dbt reads .dbtignore with it too

    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    with warnings.catch_warnings():  # pathspec 1.x deprecates the pattern dbt itself uses
        warnings.simplefilter("ignore", DeprecationWarning)
        return pathspec.PathSpec.from_lines(pathspec.patterns.GitWildMatchPattern, lines)
