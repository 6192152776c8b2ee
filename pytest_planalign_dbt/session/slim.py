"""Slim CI: the reference a session compares the project with (no pytest in here).

``--dbt-changed`` compares with the last green run of the same project, target and selection:
after a session that passed (every selected dbt node built and passed, and every other test of
the session too: golden checks, hooks, unit tests, Python tests), its manifest is kept in pytest's
cache (``ReferenceStore``), with the vars and the profile it was built with. A build stages it;
the session's verdict promotes or drops it (under xdist the controller's, which alone knows it). The
next session collects only what dbt's ``state:modified+`` selects against it. When the vars or
the profile differ from the reference's, everything counts as changed: dbt's state comparison
does not see vars, and another profile may mean another database. ``--dbt-state DIR`` compares
with a manifest the user supplies (production's artifacts), as dbt's own ``--state`` does.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..runner import atomic_write, digest

MANIFEST = "manifest.json"
META = "planalign_reference.json"
PENDING = ".pending"  # a staged reference: kept only once the whole session has passed
FAILED = "planalign_failed.json"  # a run failed after the reference: the next collects everything


@dataclass(frozen=True)
class Reference:
    """A dbt state dir to compare with (and defer to)."""

    path: Path
    describe: str  # "the green run of 2026-11-20 14:02", "--dbt-state /prod/target"


def reference_key(project_dir: Path, target: str | None, selection: Mapping[str, Any]) -> str:
    text = json.dumps({"project": str(project_dir), "target": target, "selection": selection},
                      sort_keys=True, default=repr)
    return digest(text, length=24)


def profile_digest(profiles_file: Path, target: str | None) -> str:
    """The profile a run was built with: profiles.yml's text and the target."""
    try:
        text = profiles_file.read_text()
    except OSError:
        text = ""
    return digest(str(target), text)


def vars_digest(dbt_vars: Mapping[str, Any]) -> str:
    return digest(json.dumps(dict(dbt_vars), sort_keys=True, default=repr))


class ReferenceStore:
    """The manifest of the last green run, kept in one directory (pytest's cache)."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory

    def load(self, dbt_vars: Mapping[str, Any], profile: str) -> tuple[Reference | None, str]:
        """The reference, or None and why every selected node is collected instead."""
        try:
            meta = json.loads((self.dir / META).read_text())
            if not (self.dir / MANIFEST).is_file():
                raise FileNotFoundError(MANIFEST)
        except (OSError, ValueError):
            return None, "no green run of this selection is kept yet"
        failed = self._failed_at()
        if failed is not None:
            return None, f"the run of {_when(failed)} failed after the last green one"
        when = _when(meta.get("time", 0))
        if meta.get("vars") != vars_digest(dbt_vars):
            return None, f"the vars differ from those of the green run of {when}"
        if meta.get("profile") != profile:
            return None, f"the profile or target differs from that of the green run of {when}"
        return Reference(self.dir, f"the green run of {when}"), ""

    def stage(self, manifest: Path, dbt_vars: Mapping[str, Any], profile: str) -> bool:
        """Stage ``manifest`` as the next reference (``promote`` keeps it; best effort). A
        manifest that is not whole JSON is never kept: dbt could not compare with it."""
        try:
            json.loads(manifest.read_text())
        except (OSError, ValueError):
            return False
        try:
            atomic_write(self.dir / (MANIFEST + PENDING), copy_of=manifest)
            meta = {"time": time.time(), "vars": vars_digest(dbt_vars), "profile": profile}
            atomic_write(self.dir / (META + PENDING), json.dumps(meta))
            return True
        except OSError:
            return False

    def promote(self) -> bool:
        """The staged reference becomes the reference (the session passed)."""
        try:
            (self.dir / META).unlink(missing_ok=True)  # never a new manifest under old metadata
            os.replace(self.dir / (MANIFEST + PENDING), self.dir / MANIFEST)
            os.replace(self.dir / (META + PENDING), self.dir / META)
            (self.dir / FAILED).unlink(missing_ok=True)
            return True
        except OSError:
            return False

    def mark_failed(self) -> None:
        """A session failed: whatever failed (a golden check, a Python test, a node) is not in
        dbt's state, so the next Slim CI run compares with nothing and collects everything."""
        self.discard()
        if (self.dir / META).is_file():
            atomic_write(self.dir / FAILED, json.dumps({"time": time.time()}))

    def _failed_at(self) -> float | None:
        try:
            return float(json.loads((self.dir / FAILED).read_text())["time"])
        except (OSError, ValueError, KeyError, TypeError):
            return None if not (self.dir / FAILED).exists() else 0.0

    def discard(self) -> None:
        """The staged reference is dropped (the session failed, or was stopped)."""
        for name in (MANIFEST, META):
            (self.dir / (name + PENDING)).unlink(missing_ok=True)

    def save(self, manifest: Path, dbt_vars: Mapping[str, Any], profile: str) -> bool:
        """Keep ``manifest`` as the reference now."""
        return self.stage(manifest, dbt_vars, profile) and self.promote()


def _when(stamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp))


@dataclass(frozen=True)
class SlimNote:
    """What a Slim CI session says: one line, and the unchanged nodes it left out (-v)."""

    line: str
    left_out: list[str]
    nothing_changed: bool

    def lines(self, verbose: int) -> list[str]:
        return [self.line] + ([f"  unchanged: {uid}" for uid in self.left_out] if verbose > 0 else [])

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "left_out": self.left_out, "nothing_changed": self.nothing_changed}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SlimNote:
        return cls(str(data["line"]), [str(u) for u in data["left_out"]], bool(data["nothing_changed"]))


# pytest's exit codes (pytest.ExitCode; no pytest import here).
EXIT_OK, EXIT_TESTS_FAILED, EXIT_NO_TESTS_COLLECTED = 0, 1, 5


def slim_exit_status(nothing_changed: bool, exitstatus: int) -> int:
    """Slim CI's one exit rule: nothing changed since the green run, so nothing collected, is a pass."""
    return EXIT_OK if nothing_changed and exitstatus == EXIT_NO_TESTS_COLLECTED else exitstatus


def failed_by_problem(exitstatus: int, problem: str | None) -> int:
    """A session with a problem outside its items (the build could not write its artifacts)
    fails, whatever its items said."""
    if problem and exitstatus in (EXIT_OK, EXIT_NO_TESTS_COLLECTED):
        return EXIT_TESTS_FAILED
    return exitstatus
