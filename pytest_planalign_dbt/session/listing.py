"""The selected nodes, kept between sessions: a warm collection never imports dbt (no pytest
in here; the plugin hands it pytest's cache dir).

What ``dbt ls`` answered for a selection is kept, keyed by everything that can change the
answer: the project's files (path, size and mtime of each, packages under ``dbt_packages/``
included, as the runner fingerprints them), profiles.yml, the target, the selection, the
vars, the versions of dbt-core, the adapter and this plugin, and every ``DBT_*`` variable of
the environment. The environment variables the project reads through ``env_var()`` are
found in its files when the answer is kept, and their values (as digests, never the values)
must be the same when it is read. A project that reads an environment variable by a name
we cannot see is never kept. An entry that cannot be read, or was kept for another key, is
ignored and replaced: never trusted.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..runner import atomic_write, digest, installed, text_files
from .nodes import NodeSpec

log = logging.getLogger(__name__)

FORMAT = 3  # 2: NodeSpec.golden; 3: NodeSpec.line
ENV_VAR_CALL = re.compile(r"\benv_var\s*\(\s*(['\"])([^'\"]+)\1\s*[,)]")
ANY_ENV_VAR = re.compile(r"\benv_var\b")


def listing_key(fingerprint: str, adapter: str | None, parts: Mapping[str, Any],
                environ: Mapping[str, str] | None = None) -> str:
    """The key of a listing: the project's state (``fingerprint``), the versions that read
    it, the ``DBT_*`` environment and ``parts`` (target, selection, vars: JSON-able)."""
    environ = os.environ if environ is None else environ
    data = {
        "format": FORMAT,
        "fingerprint": fingerprint,
        "versions": [installed("pytest-planalign-dbt", "-"), installed("dbt-core", "-"),
                     installed(f"dbt-{adapter}", "-") if adapter else "-"],
        "dbt_env": sorted((k, v) for k, v in environ.items() if k.startswith("DBT_")),
        "parts": parts,
    }
    text = json.dumps(data, sort_keys=True, default=repr)
    return digest(text, length=32)


def env_var_names(project_dir: Path, extra_files: Iterable[Path], skip: set[Path],
                  why: list[str] | None = None) -> set[str] | None:
    """The environment variables the project's files read; None when one is read by a name
    that is not a literal (or a file cannot be read), and ``why`` gets the reason."""
    names: set[str] = set()
    for path in [*text_files(project_dir, skip), *extra_files]:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            continue
        except (OSError, UnicodeDecodeError) as exc:
            (why if why is not None else []).append(f"{path} could not be read ({exc})")
            return None
        uses = len(ANY_ENV_VAR.findall(text))
        found = [m.group(2) for m in ENV_VAR_CALL.finditer(text)]
        if len(found) != uses:
            (why if why is not None else []).append(
                f"{path} reads an environment variable by a computed name (env_var(...)), so no change "
                "of the environment could be seen")
            return None
        names.update(found)
    return names


def _digest(value: str | None) -> str:
    return "unset" if value is None else digest(value)


FIELDS = tuple(f.name for f in dataclasses.fields(NodeSpec))
TUPLES = frozenset(f.name for f in dataclasses.fields(NodeSpec) if str(f.type).startswith("tuple"))


def specs_to_json(specs: Sequence[NodeSpec]) -> list[dict[str, Any]]:
    # Not dataclasses.asdict: its deep copies are slow for a large project.
    return [{name: getattr(s, name) for name in FIELDS} for s in specs]


def specs_from_json(data: Sequence[Mapping[str, Any]]) -> list[NodeSpec]:
    return [NodeSpec(**{k: tuple(v) if k in TUPLES else v for k, v in d.items()}) for d in data]  # type: ignore[arg-type]


class ListingCache:
    """Kept listings in one directory (the newest ``keep``), one JSON file per key."""

    def __init__(self, directory: Path, keep: int = 16) -> None:
        self.dir = directory
        self.keep = keep

    def path(self, key: str) -> Path:
        return self.dir / f"{key}.json"

    def get(self, key: str, environ: Mapping[str, str] | None = None) -> list[NodeSpec] | None:
        """The kept listing for ``key``; None when there is none, or it cannot be trusted."""
        environ = os.environ if environ is None else environ
        try:
            data = json.loads(self.path(key).read_text())
            if data.get("format") != FORMAT or data.get("key") != key:
                return None
            if any(_digest(environ.get(name)) != d for name, d in data["env"].items()):
                log.debug("an environment variable the project reads changed: listing again")
                return None
            specs = specs_from_json(data["specs"])
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return None
        with contextlib.suppress(OSError):
            os.utime(self.path(key))  # recently used: pruned last
        return specs

    def put(self, key: str, specs: Sequence[NodeSpec], env_names: Iterable[str],
            environ: Mapping[str, str] | None = None) -> None:
        """Keep a listing (best effort, atomic: readers see the old file or the new one)."""
        environ = os.environ if environ is None else environ
        data = {"format": FORMAT, "key": key, "env": {n: _digest(environ.get(n)) for n in sorted(env_names)},
                "specs": specs_to_json(specs)}
        try:
            atomic_write(self.path(key), json.dumps(data))  # dumps: the C encoder (json.dump writes slow chunks)
        except OSError:
            log.debug("could not keep the node listing", exc_info=True)
        self._prune()

    def _prune(self) -> None:
        try:
            kept = sorted(self.dir.glob("*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        except OSError:  # pragma: no cover - another process pruned meanwhile
            return
        for old in kept[self.keep:]:
            with contextlib.suppress(OSError):
                old.unlink()
