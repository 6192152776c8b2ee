"""Parsed manifests kept in memory by the in-process executor: a vars set seen again in this
process costs nothing, and so does one whose changed vars no file reads.

Keyed by the parse's arguments and the project's fingerprint (any edit changes it); the
newest ``size`` are kept (older ones are on disk, a partial parse away: parse_cache.py).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..versions import effective_vars
from .cache import base_key
from .unseen_vars import VarUse, defined_vars

log = logging.getLogger(__name__)

# Parsed manifests kept in memory per executor.
MANIFESTS_IN_MEMORY = 4


class ManifestMemory:
    """The last ``size`` parsed manifests, each with its vars and the key of its parse without them."""

    def __init__(self, size: int = MANIFESTS_IN_MEMORY) -> None:
        self.size = size
        self._manifests: OrderedDict[tuple[Any, ...], tuple[Any, str, dict[str, str]]] = OrderedDict()
        self._var_use: tuple[tuple[Path, str], VarUse | None] | None = None
        self.latest: Any = None  # the manifest of the latest parse used

    def clear(self) -> None:
        self._manifests.clear()
        self.latest = None

    def get(self, key: tuple[Any, ...]) -> Any:
        """The manifest kept under ``key`` (made the latest), or None."""
        if key not in self._manifests:
            return None
        self._manifests.move_to_end(key)
        self.latest = self._manifests[key][0]
        return self.latest

    def put(self, key: tuple[Any, ...], parse_argv: Sequence[str], cli_vars: Mapping[str, Any] | None,
            manifest: Any) -> None:
        vars_reprs = {k: repr(v) for k, v in (cli_vars or {}).items()}
        self._manifests[key] = (manifest, base_key(parse_argv), vars_reprs)
        self.latest = manifest
        while len(self._manifests) > self.size:
            self._manifests.popitem(last=False)

    def same_parse(self, parse_argv: Sequence[str], cli_vars: Mapping[str, Any] | None, fingerprint: str,
                   project_dir: Path, target_path: Path) -> Any:
        """A manifest in memory that dbt would parse identically for these vars: same project
        state and target, and no file reads a var whose value differs (unseen_vars.py)."""
        base = base_key(parse_argv)
        candidates = [(m, v) for k, (m, b, v) in reversed(self._manifests.items())
                      if b == base and k[1] == fingerprint]
        if not candidates:
            return None
        scanned = (project_dir, fingerprint)
        if self._var_use is None or self._var_use[0] != scanned:
            self._var_use = (scanned, VarUse.scan(project_dir, {target_path}))
        use = self._var_use[1]
        if use is None:
            return None
        defined = defined_vars(project_dir, effective_vars(project_dir, cli_vars or {}), use.project_names)
        for manifest, vars_reprs in candidates:
            if use.reparse_for(vars_reprs, cli_vars or {}, defined) == set():
                log.info("no file reads the vars that changed: the parse in memory is theirs")
                return manifest
        return None
