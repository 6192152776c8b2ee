"""Which dbt nodes a session collects.

dbt's ``ls`` answers for the selection; the answer is kept in pytest's cache for the project's
state (session/listing.py), so a warm collection starts no dbt; under xdist the first worker
lists for all and the others read it (session/share.py); with Slim CI (``--dbt-changed``,
``--dbt-state``) only what dbt's ``state:modified+`` selects against the reference is kept,
and after a green run its manifest becomes the next reference (session/slim.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from .options import DbtSettings
from .runner import DbtRunner, ProjectInfo, effective_vars
from .session.build import SessionBuild
from .session.listing import (
    ListingCache,
    env_var_names,
    listing_key,
    specs_from_json,
    specs_to_json,
)
from .session.lines import NodeLines
from .session.nodes import NodeSpec
from .session.share import SharedOutcomes
from .session.slim import (
    Reference,
    ReferenceStore,
    SlimNote,
    profile_digest,
    reference_key,
)
from .xdist import send_pending_reference


class NodeLister:
    """Lists the selected nodes for one session, and says where they came from."""

    def __init__(self, config: pytest.Config, settings: DbtSettings, runner: Callable[[], DbtRunner],
                 share: Callable[[], SharedOutcomes | None]) -> None:
        self.config = config
        self.settings = settings
        self.project_dir: Path = settings.project_dir  # type: ignore[assignment]
        self._runner = runner
        self._share = share
        # How many nodes dbt's ls selected (None before listing); whether they came from the
        # listing kept in pytest's cache (no dbt started), or were kept there for the next run.
        self.listed: int | None = None
        self.from_cache = False
        self.kept = False
        self.not_kept: str | None = None  # why the listing could not be kept
        # This xdist worker listed the nodes for all: it builds them too, from the start.
        self.lister = False
        # Slim CI: what was left out and why; the reference compared with.
        self.slim: SlimNote | None = None
        self.reference: Reference | None = None

    def specs(self) -> list[NodeSpec]:
        """The selected nodes, as dbt's own ``ls`` resolves the selection."""
        share = self._share()
        if share is None:
            return self._slim(self._cached_specs()) if self.settings.slim else self._cached_specs()

        def produce() -> dict[str, Any]:
            specs = self._slim(self._cached_specs()) if self.settings.slim else self._cached_specs()
            return {"specs": specs_to_json(specs), "slim": self.slim.to_json() if self.slim else None}

        data, self.lister = share.listing(produce)
        if data.get("slim") is not None:
            self.slim = SlimNote.from_json(data["slim"])
            share.put_note(data["slim"])  # for the controller's summary
        specs = specs_from_json(data["specs"])
        if self.listed is None:  # an xdist worker that read the listing of another
            self.listed = len(specs)
        return specs

    # -- Slim CI ------------------------------------------------------------------------------

    def _reference(self) -> tuple[Reference | None, str]:
        if self.settings.state is not None:
            return Reference(self.settings.state, f"--dbt-state {self.settings.state}"), ""
        store = self._reference_store()
        if store is None:
            return None, "pytest's cache is off (-p no:cacheprovider), so no green run is kept"
        runner = self._runner()
        return store.load(self._parse_vars(), profile_digest(self._profiles_file(), runner.target))

    def _parse_vars(self) -> dict[str, Any]:
        """The vars a parse sees: ``--dbt-vars`` over ``vars.yml``'s (dbt-core 1.12)."""
        return effective_vars(self.project_dir, self.settings.merged_vars())

    def _reference_store(self) -> ReferenceStore | None:
        pytest_cache = getattr(self.config, "cache", None)
        if pytest_cache is None:
            return None
        key = reference_key(self.project_dir, self._runner().target, self.settings.selection.key())
        return ReferenceStore(pytest_cache.mkdir("planalign_dbt_state") / key)

    def _profiles_file(self) -> Path:
        return (self._runner().profiles_dir or Path.home() / ".dbt") / "profiles.yml"

    def _slim(self, specs: list[NodeSpec]) -> list[NodeSpec]:
        """Only the selected nodes dbt's ``state:modified+`` selects against the reference."""
        runnable = [s for s in specs if not s.ephemeral]
        reference, reason = self._reference()
        if reference is None:
            self.slim = SlimNote(f"dbt: {reason}: all {len(runnable)} selected node(s) are collected", [], False)
            return specs
        self.reference = reference
        changed = {n["unique_id"] for n in self._runner().list_nodes(
            ["state:modified+"], state=reference.path, dbt_vars=self.settings.merged_vars())}
        kept = [s for s in specs if s.unique_id in changed]
        left = [s for s in runnable if s.unique_id not in changed]
        n_kept = len(runnable) - len(left)
        unbuilt = f"deferred to {reference.describe}" if self.settings.defer else "not built"
        line = (f"dbt: {n_kept} of {len(runnable)} selected node(s) changed since {reference.describe} "
                f"(state:modified+); {len(left)} unchanged, {unbuilt}")
        self.slim = SlimNote(line, [s.unique_id for s in left], n_kept == 0)
        return kept

    def settle_reference(self, build: SessionBuild | None, passed: bool) -> None:
        """Slim CI's reference follows the session's verdict (``passed``: this process's).

        A session that passed with every selected node green keeps its manifest as the next
        reference: with ``--dbt-changed`` always, without it when that costs a file copy (the
        manifest.json on disk is the build's own), so a first ``--dbt-changed`` run after a green
        one starts from it. A session that failed marks the kept reference so the next Slim CI
        run collects everything. An xdist worker knows only its own items: the building worker
        stages the reference and the controller, which knows the verdict, settles it (xdist.py)."""
        store = self._reference_store() if build is not None and build.is_builder else None
        if store is None or build is None:
            return
        staged = passed and build.all_passed() and self._stage(store)
        if self._share() is not None:
            send_pending_reference(self.config, store.dir)
        elif staged:
            store.promote()
        elif not passed:
            store.mark_failed()

    def _stage(self, store: ReferenceStore) -> bool:
        """Stage this build's manifest in ``store`` (False when there is none to keep)."""
        runner = self._runner()
        written = store.dir / "manifest.written.json"
        # In-process, the build's own parse: written out only for runs that asked for Slim CI.
        manifest = runner.manifest_file(written, write=self.settings.changed)
        if manifest is None:
            return False
        try:
            return manifest.is_file() and store.stage(
                manifest, self._parse_vars(), profile_digest(self._profiles_file(), runner.target))
        finally:
            if manifest == written:
                written.unlink(missing_ok=True)

    def _cached_specs(self) -> list[NodeSpec]:
        runner = self._runner()
        pytest_cache = getattr(self.config, "cache", None)  # None under -p no:cacheprovider
        cache_dir = pytest_cache.mkdir("planalign_dbt_nodes") if pytest_cache is not None else None
        cache = key = None
        if cache_dir is not None:
            cache = ListingCache(cache_dir)
            key = listing_key(runner.fingerprint(), runner.adapter_type, {
                "project": str(self.project_dir), "profiles": str(runner.profiles_dir), "target": runner.target,
                **self.settings.selection.key(), "vars": self.settings.merged_vars(),
            }, runner.env)
            specs = cache.get(key, runner.env)
            if specs is not None:
                self.from_cache = True
                self.listed = len(specs)
                return specs
        selection = self.settings.selection
        nodes = runner.list_nodes(selection.select, selection.exclude, selection.selector,
                                  dbt_vars=self.settings.merged_vars())
        lines, info = NodeLines(), runner.info
        specs = [NodeSpec.from_ls(n, info.name, lines.line(node_file(info, n), n)) for n in nodes]
        self.listed = len(specs)
        if cache is not None and key is not None:
            skip = {p for p in (runner.artifacts_path, runner.log_path) if p is not None}
            why: list[str] = []
            names = env_var_names(self.project_dir, [self._profiles_file()], skip, why)
            if names is not None:
                cache.put(key, specs, names, runner.env)
                self.kept = True
            self.not_kept = why[0] if why else None
        return specs

    def summary_lines(self, ephemeral: int, verbose: int) -> list[str]:
        """Where the selected nodes came from (dbt's ls, or the listing kept in pytest's cache),
        then what Slim CI left out and why."""
        slim = self.slim.lines(verbose) if self.slim else []
        if self.listed is None:
            return slim
        inlined = (f", {ephemeral} of them ephemeral (dbt inlines those into their children: no items)"
                   if ephemeral else "")
        if self.from_cache:
            return [f"dbt: {self.listed} selected node(s){inlined} from the listing kept in pytest's cache "
                    "(the project is unchanged since; dbt was not started to list them)", *slim]
        kept = "; kept in pytest's cache for the next run" if self.kept else ""
        if self.not_kept:  # the next collection lists again: say why, once
            kept = f"; not kept for the next run: {self.not_kept}"
        return [f"dbt: {self.listed} selected node(s){inlined} listed by dbt ls{kept}", *slim]


def node_file(info: ProjectInfo, node: Mapping[str, Any]) -> Path:
    """The file of a ``dbt ls`` entry, in the user's tree."""
    return info.node_file(node.get("package_name") or "", node.get("original_file_path") or "")
