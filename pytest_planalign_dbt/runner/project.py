"""The dbt project on disk: where it is, what its dbt_project.yml says, and its fingerprint."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import adapters
from .failures.errors import DbtCommandError, DbtConfigError
from .files import digest
from .layout import ProjectLayout, load_yaml, read_config_file
from .profiles import load_profiles
from .secrets import secret_values
from .versions import effective_environ

SKIP_SUFFIXES = (*adapters.data_suffixes(), ".wal", ".pyc", ".tmp")


def find_project_dir(working_dir: Path | str) -> Path:
    """The absolute project dir; it must hold dbt_project.yml (a path to that file means its dir)."""
    if not isinstance(working_dir, (str, os.PathLike)):
        raise DbtConfigError(
            f"working_dir must be the path of the dbt project directory, got {working_dir!r}: pass the "
            "directory that holds dbt_project.yml"
        )
    path = Path(working_dir).expanduser()
    if path.name == "dbt_project.yml" and path.is_file():
        path = path.parent
    if not path.is_dir():
        raise DbtConfigError(
            f"dbt project dir {str(path)!r} does not exist: pass the directory that holds "
            "dbt_project.yml (working_dir= / --dbt-project-dir)"
        )
    if not (path / "dbt_project.yml").is_file():
        raise DbtConfigError(
            f"no dbt_project.yml in {str(path)!r}: pass the directory that holds it "
            "(working_dir= / --dbt-project-dir)"
        )
    return path.resolve()


@dataclass(frozen=True)
class ProjectInfo:
    """What the runner reads from dbt_project.yml and profiles.yml (no Jinja rendering)."""

    project_dir: Path
    name: str
    profile: str | None
    profiles_dir: Path | None
    target_path: Path
    secrets: tuple[str, ...] = field(default=(), repr=False)

    @functools.cached_property
    def layout(self) -> ProjectLayout:
        """Where the project keeps what dbt reads (dbt_project.yml read once)."""
        return ProjectLayout.read(self.project_dir)

    @property
    def packages_dir(self) -> Path:
        """Where ``dbt deps`` installs packages (``packages-install-path``)."""
        return self.layout.packages_dir

    def package_dir(self, package: str) -> Path:
        return self.project_dir if package == self.name else self.packages_dir / package

    def node_file(self, package: str, original_file_path: str) -> Path:
        """The file that defines a node of ``package`` (packages under packages-install-path)."""
        base = self.package_dir(package) if package else self.project_dir
        return base / original_file_path.lstrip("./")

    def hooks(self) -> list[tuple[str, str, int]]:
        """(package, "on-run-start" | "on-run-end", index) of every hook dbt will run.

        dbt runs the hooks of the root project and of every installed package; each
        list entry of ``on-run-start`` / ``on-run-end`` in a dbt_project.yml is one node.
        """
        files = [self.project_dir / "dbt_project.yml"]
        if self.packages_dir.is_dir():
            files += sorted(self.packages_dir.glob("*/dbt_project.yml"))
        out = []
        for path in files:
            config = load_yaml(path)
            package = str(config.get("name") or path.parent.name)
            for hook_type in ("on-run-start", "on-run-end"):
                entries = config.get(hook_type, config.get(hook_type.replace("-", "_")))
                if isinstance(entries, str):
                    entries = [entries]
                for index, _ in enumerate(entries or []):
                    out.append((package, hook_type, index))
        return out

    def selector_names(self) -> list[str] | None:
        """The names in selectors.yml, or None when the project has none."""
        path = self.project_dir / "selectors.yml"
        if not path.is_file():
            return None
        data = load_yaml(path)
        return [str(s.get("name")) for s in data.get("selectors") or [] if isinstance(s, dict)]

    def check_selector(self, args: Sequence[str]) -> None:
        """An unknown ``--selector`` is refused before dbt starts, naming the known ones."""
        for i, arg in enumerate(args):
            if arg.split("=", 1)[0] != "--selector":
                continue
            name = arg.split("=", 1)[1] if "=" in arg else (args[i + 1] if i + 1 < len(args) else "")
            known = self.selector_names()
            if known is not None and name and name not in known:
                raise DbtCommandError(
                    f"--selector {name}: no selector of that name in selectors.yml; it has: "
                    f"{', '.join(known) or 'none'}"
                )
            if known is None and name:
                raise DbtCommandError(
                    f"--selector {name}: the project has no selectors.yml; define the selector "
                    "there, or use --select"
                )

    def adapter_type(self, target: str | None) -> str | None:
        return self.target_output(target).get("type")

    def target_output(self, target: str | None) -> dict[str, Any]:
        """The profile's output for ``target`` (its default when None); empty when there is none."""
        outputs, default = self._outputs()
        output = outputs.get(target or default or "")
        return output if isinstance(output, dict) else {}

    def default_target(self) -> str | None:
        return self._outputs()[1]

    def targets(self) -> list[str]:
        return sorted(self._outputs()[0])

    def _outputs(self) -> tuple[dict[str, Any], str | None]:
        profiles = load_profiles(self.profiles_dir)
        entry = profiles.get(self.profile or "") or {}
        if not isinstance(entry, dict):
            return {}, None
        outputs = entry.get("outputs") or {}
        return (outputs if isinstance(outputs, dict) else {}), entry.get("target")


def load_project(
    project_dir: Path, profiles_dir: Path | None, target_path: Path | None = None
) -> ProjectInfo:
    config = read_config_file(project_dir / "dbt_project.yml")
    profile_secrets = [s for s in secret_values(load_profiles(profiles_dir), effective_environ(project_dir))
                       if len(s) >= 4]
    if target_path is None:
        target_path = project_dir / str(config.get("target-path") or "target")
    return ProjectInfo(
        project_dir=project_dir,
        name=str(config.get("name") or project_dir.name),
        profile=config.get("profile") or config.get("name"),
        profiles_dir=profiles_dir,
        target_path=target_path,
        secrets=tuple(sorted(set(profile_secrets), key=len, reverse=True)),
    )


def fingerprint(project_dir: Path, extra_files: Iterable[Path] = (), skip: Iterable[Path] = ()) -> str:
    """A cheap digest of the files dbt reads (paths, sizes, mtimes; runner/layout.py): any
    edit changes it."""
    skip_abs = frozenset(Path(os.path.abspath(p)) for p in skip)
    parts: list[str] = []
    for path in [*ProjectLayout.read(project_dir).files(skip_abs), *extra_files]:
        if path.name.endswith(SKIP_SUFFIXES):
            continue
        try:
            st = path.stat()
            parts.append(f"{path}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            parts.append(f"{path}:missing")
    return digest(*parts)


