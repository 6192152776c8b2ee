"""Every DbtRunner argument checked at construction, before dbt starts (no pytest here)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import adapters
from .command import V2_PARSER_ENV
from .failures.errors import DbtCommandError, DbtConfigError
from .profiles import load_profiles
from .project import ProjectInfo
from .versions import check_engine


def directory_argument(name: str, path: Path | str | None, project_dir: Path) -> Path | None:
    """A directory argument made absolute (a relative one is read against the project dir); one
    that is a file is refused now, not at the first call."""
    if path is None:
        return None
    if not isinstance(path, (str, os.PathLike)):
        raise DbtConfigError(f"{name} must be a directory path, got {path!r}")
    p = Path(path).expanduser()
    absolute = p if p.is_absolute() else (project_dir / p).resolve()
    if absolute.exists() and not absolute.is_dir():
        raise DbtConfigError(f"{name} {str(absolute)!r} is a file: pass a directory (dbt writes there)")
    return absolute


def check_settings(info: ProjectInfo, target: str | None, env: Mapping[str, str], executor: str,
                    dbt_executable: str | None, write_json: object) -> None:
    """Refuse, before dbt starts, a missing profile or target, a dbt engine we cannot drive, a
    write_json that is not one of its three."""
    if write_json not in (True, False, "always"):
        raise DbtConfigError(f'write_json must be True, False or "always", got {write_json!r}')
    require_profiles(info, target)
    if executor == "inprocess" or dbt_executable is None:
        check_engine(require_core=executor == "inprocess")
    refusal = adapters.refusal(info.target_output(target), env)
    if refusal is not None:
        raise DbtConfigError(refusal)
    if env.get(V2_PARSER_ENV, "").strip().lower() not in ("", "0", "false", "no"):
        raise DbtConfigError(
            f"{V2_PARSER_ENV} is set: the runner keeps and reuses dbt-core's own parse, which "
            f"the v2 parser does not write; unset {V2_PARSER_ENV} for this process"
        )


def require_profiles(info: ProjectInfo, target: str | None = None) -> None:
    """Refuse, before dbt starts, a profiles.yml that is missing or lacks the project's profile
    (or ``target``)."""
    where = info.profiles_dir or Path.home() / ".dbt"
    if not (where / "profiles.yml").is_file():
        raise DbtConfigError(
            f"no profiles.yml for dbt project {info.name}: none in {info.project_dir} and none in "
            f"{where}; pass the directory that holds it (profiles_dir= / --dbt-profiles-dir / "
            "DBT_PROFILES_DIR)"
        )
    profiles = load_profiles(info.profiles_dir)
    names = sorted(k for k in profiles if k != "config")
    if info.profile and profiles and info.profile not in profiles:
        raise DbtConfigError(
            f"profile {info.profile!r} (dbt_project.yml `profile:`) is not in {where / 'profiles.yml'}; "
            f"it has: {', '.join(names) or 'no profiles'}"
        )
    if target is not None and info.targets() and target not in info.targets():
        raise DbtConfigError(
            f"target {target!r} is not in profile {info.profile!r}: use one of {', '.join(info.targets())}"
        )


def call_vars(method: str, dbt_vars: Mapping[str, Any] | None,
              old: Mapping[str, Any] | None, *, frames: int = 1) -> Mapping[str, Any] | None:
    """A call's vars under their one name, ``dbt_vars``; ``vars``, the name ``render``,
    ``query``, ``render_macro`` and ``run_operation`` took before, still works, with a
    DeprecationWarning, for one release, pointing at the caller ``frames`` calls above the
    method (2: through DbtRunner's hand-over to its part)."""
    if old is None:
        return dbt_vars
    if dbt_vars is not None:
        raise DbtCommandError(f"{method}: give dbt_vars= only (vars= is its old name, deprecated)")
    warnings.warn(f"{method}(vars=...) is deprecated: pass dbt_vars=..., as every other runner method "
                  "takes them", DeprecationWarning, stacklevel=2 + frames)
    return old
