"""The dbt project on disk: where it is, which profiles dir applies, what may be secret."""

from __future__ import annotations

import functools
import hashlib
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import DbtCommandError, DbtConfigError
from .layout import ProjectLayout, load_yaml

SECRET_NAME = re.compile(r"pass(word)?|secret|token|private_key|keyfile|credential|api_key", re.I)
SKIP_SUFFIXES = (".duckdb", ".duckdb.wal", ".wal", ".pyc", ".tmp")


def find_project_dir(working_dir: Path | str) -> Path:
    """The absolute project dir; it must hold dbt_project.yml."""
    path = Path(working_dir).expanduser()
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
        outputs, default = self._outputs()
        return (outputs.get(target or default or "") or {}).get("type")

    def default_target(self) -> str | None:
        return self._outputs()[1]

    def targets(self) -> list[str]:
        return sorted(self._outputs()[0])

    def _outputs(self) -> tuple[dict[str, Any], str | None]:
        profiles = _load_profiles(self.profiles_dir)
        entry = profiles.get(self.profile or "") or {}
        if not isinstance(entry, dict):
            return {}, None
        outputs = entry.get("outputs") or {}
        return (outputs if isinstance(outputs, dict) else {}), entry.get("target")


def require_profiles(info: ProjectInfo, target: str | None = None) -> None:
    """Refuse, before dbt starts, a profiles.yml that is missing or lacks the project's profile."""
    where = info.profiles_dir or Path.home() / ".dbt"
    if not (where / "profiles.yml").is_file():
        raise DbtConfigError(
            f"no profiles.yml for dbt project {info.name}: none in {info.project_dir} and none in "
            f"{where}; pass the directory that holds it (profiles_dir= / --dbt-profiles-dir / "
            "DBT_PROFILES_DIR)"
        )
    profiles = _load_profiles(info.profiles_dir)
    names = sorted(k for k in profiles if k != "config")
    if info.profile and profiles and info.profile not in profiles:
        raise DbtConfigError(
            f"profile {info.profile!r} (dbt_project.yml `profile:`) is not in {where / 'profiles.yml'}; "
            f"it has: {', '.join(names) or 'no profiles'}"
        )


def _load_profiles(profiles_dir: Path | None) -> dict[str, Any]:
    if profiles_dir is None:
        profiles_dir = Path.home() / ".dbt"
    try:
        data = yaml.safe_load((profiles_dir / "profiles.yml").read_text())
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def _secret_values(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str) and SECRET_NAME.search(str(key)) and "{{" not in value:
                yield value
            else:
                yield from _secret_values(value)
    elif isinstance(node, list):
        for value in node:
            yield from _secret_values(value)


def var_secrets(variables: Any) -> list[str]:
    """String values of dbt vars whose names look secret (api_token, db_password...)."""
    return [v for v in _secret_values(variables) if len(v) >= 4]


def env_secrets(environ: Mapping[str, str] | None = None) -> list[str]:
    """Values of env vars that look secret (DBT_ENV_SECRET_*, *PASSWORD*, *TOKEN*...)."""
    environ = os.environ if environ is None else environ
    return [
        v for k, v in environ.items()
        if (k.startswith("DBT_ENV_SECRET") or SECRET_NAME.search(k)) and len(v) >= 4
    ]


def load_project(
    project_dir: Path, profiles_dir: Path | None, target_path: Path | None = None
) -> ProjectInfo:
    try:
        config = yaml.safe_load((project_dir / "dbt_project.yml").read_text()) or {}
    except yaml.YAMLError as exc:
        raise DbtConfigError(
            f"{project_dir / 'dbt_project.yml'} is not valid YAML ({str(exc).splitlines()[0]}): fix it"
        ) from None
    profile_secrets = [s for s in _secret_values(_load_profiles(profiles_dir)) if len(s) >= 4]
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
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()


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
    profiles = _load_profiles(source_dir)
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


class Redactor:
    """Replaces known secret values with ``****`` in any text."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def extended(self, secrets: Iterable[str]) -> Redactor:
        return Redactor([*self.secrets, *secrets])

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, "****")
        return text
