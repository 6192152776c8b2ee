"""The dbt we run on, and everything that differs between the dbt-core versions we support.

Read from package metadata, never by importing dbt (a warm collection imports no dbt, and
dbt's v2 engine installs a ``dbt`` module that is not dbt-core's). Each rule below names the
versions it holds for; code elsewhere asks here instead of comparing versions itself.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import yaml

from .failures.errors import DbtConfigError
from .layout import safe_load

# The dbt-core releases we test (CI runs 1.10, 1.11 and 1.12.0): [lowest, first unsupported).
SUPPORTED = ((1, 10), (1, 13))
SUPPORTED_TEXT = "dbt-core>=1.10,<1.13"
# Distributions of dbt's v2 engine (a binary; its Python shim has no callbacks= nor manifest=).
V2_DISTRIBUTIONS = ("dbt-oss", "dbt-fusion")
VARS_FILE = "vars.yml"


def installed(name: str, missing: str | None = None) -> str | None:
    """The installed version of distribution ``name``, or ``missing``."""
    try:
        return version(name)
    except PackageNotFoundError:
        return missing


def release(text: str | None) -> tuple[int, ...]:
    """``"1.12.0rc1"`` -> ``(1, 12, 0)``; ``()`` when there is none."""
    if not text:
        return ()
    return tuple(int(part) for part in re.findall(r"\d+", text.split("+")[0])[:3])


@functools.lru_cache(maxsize=1)
def dbt_core() -> tuple[int, ...]:
    """The installed dbt-core's (major, minor, patch); ``()`` when it is not installed."""
    return release(installed("dbt-core"))


def at_least(*wanted: int) -> bool:
    return dbt_core() >= wanted


def v2_engine() -> str | None:
    """What says dbt's v2 engine is installed here (a distribution and version), or None."""
    core = installed("dbt-core")
    if core and release(core)[:1] >= (2,):
        return f"dbt-core {core}"
    for name in V2_DISTRIBUTIONS:
        found = installed(name)
        if found:
            return f"{name} {found}"
    meta = installed("dbt")  # the v2 engine's own package; 0.x was a pre-1.0 meta-package
    if meta and release(meta)[:1] >= (2,):
        return f"dbt {meta}"
    return None


def check_engine(require_core: bool = True) -> None:
    """Refuse, before anything runs, a dbt this runner cannot drive (``require_core=False``: a
    subprocess may find dbt-core on PATH, outside this environment; only the v2 engine here is
    refused)."""
    engine = v2_engine()
    if engine is not None:
        raise DbtConfigError(
            f"dbt's v2 engine ({engine}) is installed here; pytest-planalign-dbt drives dbt-core "
            f"1.10-1.12 through its Python API, which v2 does not have: install "
            f"\"{SUPPORTED_TEXT}\" in this environment (keep the v2 CLI in a virtualenv of its own)"
        )
    core = dbt_core()
    if not core and not require_core:
        return
    if not core:
        raise DbtConfigError(f"dbt-core is not installed here: pip install \"{SUPPORTED_TEXT}\" dbt-duckdb")
    if not SUPPORTED[0] <= core[:2] < SUPPORTED[1]:
        raise DbtConfigError(
            f"dbt-core {'.'.join(map(str, core))} is not supported: install \"{SUPPORTED_TEXT}\""
        )


def bare_wildcard_matches_name() -> bool:
    """Whether dbt matches a selector with a wildcard and no dot (``int_*``) against a node's
    name alone: dbt-core 1.11.16+ and 1.12.6+; earlier releases (1.10, 1.12.0-1.12.5) match it
    against the whole qualified name (``project.folder.int_x``), so it selects nothing nested."""
    core = dbt_core()
    return core >= (1, 12, 6) or (1, 11, 16) <= core < (1, 12)


def reads_vars_file() -> bool:
    """dbt-core 1.12 reads vars from ``vars.yml`` beside ``dbt_project.yml``."""
    return at_least(1, 12)


def vars_from_file(project_dir: Path) -> dict[str, Any]:
    """The ``vars:`` of the project's ``vars.yml`` as dbt reads it (empty before 1.12)."""
    if not reads_vars_file():
        return {}
    try:
        data = safe_load((project_dir / VARS_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    found = data.get("vars") if isinstance(data, dict) else None
    return dict(found) if isinstance(found, dict) else {}


def effective_vars(project_dir: Path | None, cli_vars: Mapping[str, Any]) -> dict[str, Any]:
    """The vars a parse depends on: ``vars.yml``'s (each package-scoped one also under
    ``package\\x00name``), with ``--vars`` over them, as dbt merges them."""
    merged: dict[str, Any] = {}
    for key, value in (vars_from_file(project_dir) if project_dir is not None else {}).items():
        merged[f"{VARS_FILE}\x00{key}"] = value
        if isinstance(value, dict):
            for inner, inner_value in value.items():
                merged[f"{VARS_FILE}\x00{key}\x00{inner}"] = inner_value
    merged.update(cli_vars)
    return merged


def var_name(key: str) -> str:
    """The name a file reads for a key of ``effective_vars``."""
    return key.rsplit("\x00", 1)[-1]


def loads_dotenv() -> bool:
    """dbt-core 1.12 loads a ``.env`` file (the first found from the working directory up)
    into the environment, never over a variable already set."""
    return at_least(1, 12)


def dotenv_file(project_dir: Path) -> Path | None:
    """The ``.env`` dbt loads when run from the project dir (1.12+), or None."""
    if not loads_dotenv():
        return None
    for directory in (project_dir, *project_dir.parents):
        if (directory / ".env").is_file():
            return directory / ".env"
    return None


def dotenv_values(project_dir: Path) -> dict[str, str]:
    """What dbt 1.12's ``.env`` adds to the environment (python-dotenv reads it, as dbt does)."""
    path = dotenv_file(project_dir)
    if path is None:
        return {}
    from dotenv import dotenv_values as read  # a dbt-core 1.12 dependency

    return {k: v for k, v in read(path).items() if v is not None}


def effective_environ(project_dir: Path, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment dbt runs with: ``environ`` over the project's ``.env`` (1.12+)."""
    environ = os.environ if environ is None else environ
    return {**dotenv_values(project_dir), **environ}


def load_dotenv_into(project_dir: Path, environ: Any = None) -> None:
    """Set what the project's ``.env`` holds in ``environ`` (``os.environ``) where unset: what
    dbt 1.12 itself does when run from the project dir (an in-process run cannot ``cd``)."""
    environ = os.environ if environ is None else environ
    for key, value in dotenv_values(project_dir).items():
        environ.setdefault(key, value)
