"""profiles.yml: which one applies, that it has the project's profile, and the private copy
in-process runs get (relative DuckDB paths made absolute, a database file per worker)."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from . import spark
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


REMOTE_PREFIXES = ("/", ":memory:", "md:", "motherduck:", "s3:", "gs:", "gcs:", "az:", "http:", "https:")


def with_suffix(path: str, suffix: str) -> str:
    """``sim.duckdb`` + ``-gw0`` -> ``sim-gw0.duckdb`` (one database file per worker/scenario)."""
    if not suffix or path.startswith(REMOTE_PREFIXES[1:]):
        return path
    head, dot, ext = path.rpartition(".")
    if dot and "/" not in ext:
        return f"{head}{suffix}.{ext}"
    return path + suffix


def _absolute_path_value(value: str, project_dir: Path, suffix: str = "") -> str:
    """A DuckDB ``path:`` that no longer depends on the current directory (plus a suffix)."""
    base = str(project_dir).rstrip("/") + "/"
    if "{{" not in value and "{%" not in value:
        if value.startswith(REMOTE_PREFIXES[1:]):
            return value
        if not value.startswith(("/", "~")):
            value = base + value
        return with_suffix(value, suffix)
    # Rendered by dbt, then made absolute the same way (Jinja's block set keeps any template).
    prefixes = ", ".join(repr(p) for p in REMOTE_PREFIXES)
    remote = ", ".join(repr(p) for p in REMOTE_PREFIXES[1:])
    rendered = (
        "{%- set _planalign_path -%}" + value + "{%- endset -%}"
        "{%- set _planalign_path = _planalign_path if _planalign_path.startswith((" + prefixes
        + ")) else '" + base + "' ~ _planalign_path -%}"
    )
    if not suffix:
        return rendered + "{{ _planalign_path }}"
    return rendered + (
        "{%- if _planalign_path.startswith((" + remote + ")) -%}{{ _planalign_path }}"
        "{%- elif _planalign_path.rpartition('.')[1] and '/' not in _planalign_path.rpartition('.')[2] -%}"
        "{{ _planalign_path.rpartition('.')[0] ~ '" + suffix + ".' ~ _planalign_path.rpartition('.')[2] }}"
        "{%- else -%}{{ _planalign_path ~ '" + suffix + "' }}{%- endif -%}"
    )


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
            if output.get("type") != "duckdb":
                # A server database: isolate by schema instead of by file.
                schema = output.get("schema")
                if suffix and isinstance(schema, str) and schema:
                    output["schema"] = schema + re.sub(r"\W", "_", suffix)
                    changed = True
                if spark.is_session(output):  # Spark in this process: a metastore of its own
                    spark.isolate(output, project_dir, suffix)
                    changed = True
                continue
            path = output.get("path")
            if isinstance(path, str) and path:
                new = _absolute_path_value(path, project_dir, suffix)
                if new != path:
                    output["path"] = new
                    changed = True
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
        self._cleanup: weakref.finalize | None = None

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
