"""profiles.yml: which one applies, that it has the project's profile, and the private copy
in-process runs get (each engine's output made independent of the working directory, with a
database of its own per worker: adapters/)."""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from . import adapters
from .failures.errors import DbtConfigError
from .layout import read_config_file

def resolve_profiles_dir(
    explicit: Path | str | None, project_dir: Path, environ: Mapping[str, str] | None = None
) -> Path | None:
    """explicit > DBT_PROFILES_DIR > the project dir if it holds profiles.yml > None (dbt's default)."""
    environ = os.environ if environ is None else environ
    if explicit is not None:
        path = Path(explicit).expanduser()
        source = "profiles_dir"
    elif environ.get("DBT_PROFILES_DIR"):
        path = Path(environ["DBT_PROFILES_DIR"]).expanduser()
        source = "DBT_PROFILES_DIR"
    elif (project_dir / "profiles.yml").is_file():
        return project_dir
    else:
        return None
    if not path.is_absolute():
        path = Path.cwd() / path
    if not (path / "profiles.yml").is_file():
        raise DbtConfigError(
            f"{source} {str(path)!r} holds no profiles.yml: point it at the directory with your "
            "profiles.yml, or unset it to use the project's own"
        )
    return path.resolve()


def load_profiles(profiles_dir: Path | None) -> dict[str, Any]:
    if profiles_dir is None:
        profiles_dir = Path.home() / ".dbt"
    path = profiles_dir / "profiles.yml"
    if not path.is_file():
        return {}  # dbt says which profile it could not find
    return read_config_file(path)


def write_cwd_free_profiles(
    source_dir: Path | None, project_dir: Path, dest_dir: Path, suffix: str = ""
) -> bool:
    """Copy profiles.yml to ``dest_dir`` with relative DuckDB paths resolved against the project.

    In-process runs cannot ``cd`` into the project (the working directory is shared by
    every thread of the process), so relative paths are resolved here instead; ``suffix``
    gives each xdist worker or scenario a database file of its own (a schema of its own on
    a server database). Returns False (and writes nothing) when nothing needed it.
    """
    profiles = load_profiles(source_dir)
    changed = False
    for entry in profiles.values():
        outputs = entry.get("outputs") if isinstance(entry, dict) else None
        if not isinstance(outputs, dict):
            continue
        for output in outputs.values():
            if not isinstance(output, dict):
                continue
            changed = adapters.isolate(output, project_dir, suffix) or changed
    if not changed:
        return False
    dest_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = dest_dir / "profiles.yml"
    target.write_text(yaml.safe_dump(profiles, sort_keys=False))
    target.chmod(0o600)  # it may hold passwords
    return True


class ProfilesCopy:
    """The private copy of profiles.yml for runs that share this process's working directory.

    A subprocess runs with its working directory set to the project, so relative DuckDB paths
    resolve as after ``cd working_dir``. In-process runs share the process's working directory,
    so they get a copy with those paths made absolute, refreshed whenever the original changes;
    so do runs with a ``suffix`` (a DuckDB file per xdist worker or scenario). The copy may hold
    resolved secrets: it is removed with its owner, or at exit at the latest.
    """

    def __init__(self, profiles_dir: Path | None, project_dir: Path, suffix: str = "") -> None:
        self.profiles_dir = profiles_dir
        self.project_dir = project_dir
        self.suffix = suffix
        self._dir: Path | None = None
        self._stamp: tuple[int, int] | None = None
        self._used = False
        self._cleanup: weakref.finalize[..., Any] | None = None

    def dir_for_dbt(self) -> Path | None:
        """The profiles dir to hand dbt: the copy when one was needed, else the user's own."""
        source = (self.profiles_dir or Path.home() / ".dbt") / "profiles.yml"
        try:
            st = source.stat()
        except OSError:
            return self.profiles_dir
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp != self._stamp:
            if self._dir is None:
                self._dir = Path(tempfile.mkdtemp(prefix="planalign-dbt-profiles-"))
                self._cleanup = weakref.finalize(self, shutil.rmtree, str(self._dir), True)
            self._stamp = stamp
            self._used = write_cwd_free_profiles(source.parent, self.project_dir, self._dir, self.suffix)
        return self._dir if self._used else self.profiles_dir

    def remove(self) -> None:
        """Remove the copy now; the next call makes a new one."""
        if self._cleanup is not None:
            self._cleanup()
        self._dir = self._stamp = self._cleanup = None
        self._used = False
