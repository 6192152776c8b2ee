"""Which fields of the profile's target a parse can read: a kept parse serves another profile
that differs only in fields no parse reads (a DuckDB file's path, a password, threads).

dbt rejects its saved parse whenever the profile's connection values change ("profile has
changed"): a new DuckDB file per simulation costs a full parse each time. Yet a parse reads
the profile only through ``target`` in Jinja rendered at parse time: dbt's own
``generate_schema_name`` / ``generate_database_name`` (``target.schema``, ``target.database``,
``target.name``) and whatever the project and its packages read. So a parse is kept under the
values of the fields read (``relevant``), and handed to dbt for another profile with dbt's
profile hash set to that profile's (cache.py, reuse.py): dbt still checks everything else.

Only when that is sure: a ``target`` used any other way than ``target.field``,
``target['field']`` or ``target.get('field')`` (passed whole, a method, a computed key) makes
every field count; so does a file naming ``credentials`` (``adapter.config.credentials``). In
a file where a macro takes an argument named ``target`` (a relation, in dbt's snapshots), only
the fields named count: the name there is not the profile's.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..files import digest
from ..layout import ProjectLayout
from .yaml_vars import jinja_code

log = logging.getLogger(__name__)

EVERY = "*"  # every field of the target counts
TEXT = frozenset({".sql", ".yml", ".yaml", ".md", ".jinja", ".jinja2"})
_USE = re.compile(r"(?<![\w.'\"])target\b(?!\s*=[^=])")
_GET = re.compile(r"\s*\.\s*get\s*\(\s*(['\"])(\w+)\1")
_ATTR = re.compile(r"\s*\.\s*(\w+)\b(?!\s*\()")
_KEY = re.compile(r"\s*\[\s*(['\"])(\w+)\1\s*\]")
_OWN_TARGET = re.compile(r"{%-?\s*macro\s+\w+\s*\([^)]*\btarget\b|{%-?\s*set\s+target\s*=")
_CREDENTIALS = re.compile(r"\bcredentials\b")


def fields_read(code: str) -> set[str]:
    """The target fields a piece of Jinja code reads (``EVERY`` among them: all of them)."""
    own = bool(_OWN_TARGET.search(code))
    fields: set[str] = set()
    for use in _USE.finditer(code):
        rest = code[use.end():]
        named = _GET.match(rest) or _KEY.match(rest)
        attr = None if named else _ATTR.match(rest)
        if named:
            fields.add(named.group(2))
        elif attr and attr.group(1) != "get":
            fields.add(attr.group(1))
        elif not own:
            fields.add(EVERY)
    if _CREDENTIALS.search(code):
        fields.add(EVERY)
    return fields


def dbt_macro_dirs(adapter_type: str | None) -> list[Path]:
    """dbt's own macros a parse may run: the global project's and the adapter's."""
    out = []
    for module in ("dbt.include.global_project", f"dbt.include.{adapter_type}" if adapter_type else ""):
        if not module:
            continue
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            continue
        for location in (spec.submodule_search_locations or []) if spec else []:
            out.append(Path(location))
    return out


def scan(project_dir: Path, adapter_type: str | None, skip: Iterable[Path] = ()) -> set[str]:
    """Every target field the project, its packages and dbt's macros may read while parsing."""
    fields: set[str] = set()
    files = list(ProjectLayout.read(project_dir).files(frozenset(skip)))
    for top in dbt_macro_dirs(adapter_type):
        files += sorted(top.rglob("*.sql"))
    for path in files:
        if path.suffix not in TEXT and path.name != "dbt_project.yml":
            continue
        try:
            fields |= fields_read(jinja_code(path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError):
            return {EVERY}
        if EVERY in fields:
            log.debug("%s reads the target in a way we cannot follow: every field counts", path)
            return fields
    return fields


@dataclass(frozen=True)
class ProfileSeen:
    """A parse's profile: dbt's hash of it, and the digest of the fields a parse reads."""

    hash: str
    relevant: str


# (project dir, its fingerprint, adapter type) -> the fields read: one scan per project state.
_SCANNED: dict[tuple[Path, str, str | None], set[str]] = {}


def profile_seen(project_dir: Path, fingerprint: str, target_path: Path, parse_argv: Sequence[str],
                 cli_vars: Mapping[str, Any]) -> ProfileSeen | None:
    """The profile a parse of ``parse_argv`` sees now (dbt renders it from this process's
    environment), or None when it cannot be told (then parses are kept as before: by vars)."""
    from ..dbt_internals import profile_state
    from .cache import option_value
    from .vars_hash import hash_inputs

    try:
        inputs = hash_inputs(project_dir, parse_argv)
        profiles = option_value(parse_argv, "--profiles-dir")
        checksum, target = profile_state(Path(profiles) if profiles else Path.home() / ".dbt", inputs.profile_name,
                                         option_value(parse_argv, "--target"), cli_vars, os.environ)
        key = (project_dir, fingerprint, target.get("type"))
        if key not in _SCANNED or not fingerprint:
            _SCANNED.clear()
            _SCANNED[key] = scan(project_dir, target.get("type"), [target_path])
        return ProfileSeen(checksum, relevant(target, _SCANNED[key]))
    except Exception:  # never worse than keeping parses by vars alone
        log.debug("could not read the profile a parse sees", exc_info=True)
        return None


def relevant(target: Mapping[str, Any], fields: set[str]) -> str:
    """A digest of the values of the target's fields a parse reads (all when ``EVERY``)."""
    names = sorted(target) if EVERY in fields else sorted(f for f in fields if f in target)
    return digest(*(f"{name}={target[name]!r}" for name in names), length=16)
