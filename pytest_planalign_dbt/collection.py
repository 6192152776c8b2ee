"""The dbt collector: which nodes the selection means, and where their files are.

Nodes are collected the way pytest collects anything: ``pytest_collect_file``
turns each file of the dbt project that defines selected nodes into a DbtFile,
so ids are relative to the rootdir, and file, directory and ``file::name``
arguments, ``--deselect``, ``--lf`` and ``--sw`` work as for Python tests.
Without path arguments (or when pytest's paths do not reach the project) every
selected node is collected. Ephemeral models are not collected: dbt never runs
them (it inlines them into their children, whose items report their errors).
Hooks run with every build, so their items come with any dbt item.
"""

from __future__ import annotations

import dataclasses
import difflib
import fnmatch
import os
from pathlib import Path

import pytest

from .factory import make_runner
from .items import DbtFile, DbtItem
from .lister import NodeLister
from .options import PATH_ARGUMENTS, DbtSettings, in_our_words
from .progress import in_report_order, progress_by_folder
from .runner import DbtError, DbtRunner, shorten
from .lifecycle import SessionDbt
from .session.build import SessionBuild
from .session.lines import NodeLines
from .session.nodes import NodeSpec, with_twins_marked
from .session.share import SharedOutcomes
from .xdist import worker_share


class DbtCollection:
    """Collects the selected dbt nodes as items; ``lifecycle`` runs them in one dbt build."""

    def __init__(self, config: pytest.Config, settings: DbtSettings) -> None:
        self.config = config
        self.settings = settings
        assert settings.project_dir is not None
        self.project_dir: Path = settings.project_dir
        self.runner: DbtRunner | None = None
        self.files: dict[Path, list[NodeSpec]] = {}
        self.visited: set[Path] = set()
        self._never_walk: frozenset[Path] | None = None  # dirs pytest must not walk (ignore())
        self.list_error: str | None = None
        self.ephemeral: list[NodeSpec] = []
        self.nodes = NodeLister(config, settings, self._runner, self._share)
        # From the first item's setup to the exit status: the one build (lifecycle.py).
        self.lifecycle = SessionDbt(config, settings, self.nodes, self._runner)

    # -- which nodes, in which files ------------------------------------------------------

    def selection_args(self) -> list[str]:
        return self.settings.selection.argv()

    def list_specs(self) -> list[NodeSpec]:
        """The selected nodes (lister.py: dbt's ls, the kept listing, xdist's shared one, Slim CI)."""
        return self.nodes.specs()

    def _runner(self) -> DbtRunner:
        if self.runner is None:
            try:
                self.runner = make_runner(self.settings)
            except ValueError as exc:
                raise pytest.UsageError(in_our_words(str(exc).splitlines()[0])) from None
        return self.runner

    def resolve(self) -> None:
        """Ask dbt which nodes the selection means, and map them to their files."""
        try:
            specs = self.list_specs()
        except DbtError as exc:
            self.list_error = f"dbt could not list the selected nodes\n{in_our_words(str(exc))}"
            return
        except ValueError as exc:
            raise pytest.UsageError(in_our_words(str(exc).splitlines()[0])) from None
        self.ephemeral = [s for s in specs if s.ephemeral]
        specs = [s for s in specs if not s.ephemeral]
        if not specs:
            if self.nodes.slim is not None or self.from_paths:
                # Nothing changed (a pass); or path arguments that hold no dbt node (Python tests).
                return
            raise pytest.UsageError(self._nothing_selected())
        specs = with_twins_marked(_with_parent_tags(specs))
        info = self._runner().info
        node_lines = NodeLines()
        hooks = [NodeSpec.hook(p, t, i, info.name, node_lines.hook(info.node_file(p, "dbt_project.yml"), t, i))
                 for p, t, i in info.hooks()]
        for spec in [*specs, *hooks]:
            self.files.setdefault(self.path_of(spec), []).append(spec)
        for tag in sorted({t for s in specs for t in s.tags}):
            self.config.addinivalue_line("markers", f"{tag}: dbt tag {tag}")

    def check_server(self) -> None:
        """Refuse to start (exit 4, one line) when the target's database server does not answer:
        every node would error for the same reason, after a listing and a build tried it."""
        why = self._runner().unanswered(self.settings.merged_vars())
        if why is not None:
            raise pytest.UsageError(f"dbt: {why}")

    @property
    def from_paths(self) -> bool:
        """The selection is what the path arguments hold (``pytest models/staging``)."""
        return self.settings.sources.get("select") == PATH_ARGUMENTS

    def _nothing_selected(self) -> str:
        what = shorten(self.settings.selection.spelled())
        if self.ephemeral:
            names = ", ".join(s.name for s in self.ephemeral[:5])
            return (f"{what}: selects only ephemeral models ({names}), which dbt never runs (it "
                    "inlines them into their children); select their children, e.g. "
                    f"'{self.ephemeral[0].name}+'")
        return f"{what}: {_no_match(self.settings.select, self._runner())}"

    def path_of(self, spec: NodeSpec) -> Path:
        """The file that defines a node, in the user's tree (packages under dbt_packages/)."""
        return self._runner().info.node_file(spec.package_name, spec.original_file_path)

    # -- pytest's collection -----------------------------------------------------------------

    def ignore(self, path: Path) -> bool:
        """Never walk what dbt writes (``target-path``, ``log-path``: copies of node files) nor
        what ``dbt deps`` installs (``packages-install-path``: a ``local:`` package is a symlink
        that may lead back up into the project; a package's own Python tests are not ours).
        Package nodes are added from the listing, under the same node ids."""
        if self._never_walk is None:
            runner = self._runner()
            layout = runner.info.layout
            self._never_walk = frozenset(p for p in (runner.artifacts_path, runner.log_path, layout.target_path,
                                                      layout.log_path, layout.packages_dir) if p is not None)
        return path in self._never_walk

    def collect_file(self, file_path: Path, parent: pytest.Collector) -> DbtFile | None:
        specs = self.files.get(file_path)
        if not specs or file_path in self.visited:
            return None
        self.visited.add(file_path)
        return DbtFile.from_parent(parent, path=file_path, specs=specs, collection=self.lifecycle)

    def finish_collection(self, session: pytest.Session, items: list[pytest.Item]) -> None:
        """Add the node files pytest's paths did not reach, and prepare the build."""
        if self.list_error is not None:
            report = pytest.CollectReport(self._project_nodeid(), "failed", self.list_error, [])
            session.ihook.pytest_collectreport(report=report)
            return
        self._add_unvisited(session, items)
        if not any(isinstance(i, DbtItem) and not i.spec.is_hook for i in items):
            # No node to build means no build, and no hooks to report.
            items[:] = [i for i in items if not isinstance(i, DbtItem)]
            return
        in_report_order(items, self.ephemeral)
        progress_by_folder(self.config, items)
        # Every selected node, collected or not: the user's own selection is passed to dbt
        # only when pytest kept all of them (no path argument, --lf, -k or -m left one out).
        specs = [spec for specs in self.files.values() for spec in specs]
        reference = self.nodes.reference  # Slim CI: only the changed nodes, never the whole selection
        defer = ["--defer", "--state", str(reference.path)] if reference and self.settings.defer else []
        self.lifecycle.prepare(SessionBuild(
            self._runner(), specs, dbt_vars=self.settings.merged_vars(),
            selection=[] if reference else self.selection_args(), full_refresh=self.settings.full_refresh,
            extra_args=defer, ephemeral=self.ephemeral,
            threads=self.settings.threads,
            on_line=self.lifecycle.lines.put if self.settings.stream else None,
            share=self._share(),
        ))

    def _add_unvisited(self, session: pytest.Session, items: list[pytest.Item]) -> None:
        """Node files pytest's paths did not reach: all of them without path arguments;
        hook files whenever a node is collected (hooks run with every build)."""
        hook_files = {p for p, specs in self.files.items() if all(s.is_hook for s in specs)}
        reached = self._reached(items)
        if not self._explicit_paths():
            for path in [p for p in self.files if p not in reached and p not in hook_files]:
                self._add_file(session, items, path, self.files[path])
        if any(isinstance(i, DbtItem) and not i.spec.is_hook for i in items):
            for path in sorted(hook_files - reached):
                self._add_file(session, items, path, self.files[path])

    def _reached(self, items: list[pytest.Item]) -> set[Path]:
        """The node files pytest's paths reached. pytest makes a collector for every file of a
        dir on a file argument's way, then keeps only the argument's: with path arguments, a
        file is reached when its items were kept."""
        return {i.path for i in items if isinstance(i, DbtItem)} if self.from_paths else self.visited

    def _explicit_paths(self) -> bool:
        """Path arguments that choose which node files run (not the project dir itself, and not
        the node folders dbt's path: selection turned into exactly what they asked)."""
        return (self.config.args_source == pytest.Config.ArgsSource.ARGS and not self._args_are_project()
                and not self.from_paths)

    def _args_are_project(self) -> bool:
        """True when the path arguments are just the project dir (`pytest P --dbt-project-dir P`)."""
        return all(Path(os.path.abspath(a.split("::")[0])) == self.project_dir for a in self.config.args)

    def _add_file(self, session: pytest.Session, items: list[pytest.Item], path: Path,
                  specs: list[NodeSpec]) -> None:
        collector = DbtFile.from_parent(session, path=path, specs=specs, collection=self.lifecycle)
        collected = collector.collect()
        # Reported like any collected file: counts, --collect-only and xdist see them.
        session.ihook.pytest_collectreport(
            report=pytest.CollectReport(collector.nodeid, "passed", None, list(collected))
        )
        self.visited.add(path)
        items.extend(collected)

    def _project_nodeid(self) -> str:
        try:
            return str(self.project_dir.relative_to(self.config.rootpath)) or self.project_dir.name
        except ValueError:
            return self.project_dir.name

    def _share(self) -> SharedOutcomes | None:
        return worker_share(self.config)

    def summary_lines(self, verbose: int) -> list[str]:
        """Where the node list came from, and what Slim CI left out (after "collected N items")."""
        if self.list_error is not None:
            return []
        return self.nodes.summary_lines(len(self.ephemeral), verbose)

    # -- the session's one build (lifecycle.py) ----------------------------------------------

    @property
    def build(self) -> SessionBuild | None:
        """The session's one dbt build, once collection prepared it."""
        return self.lifecycle.build

    def release(self) -> None:
        """The session is over (lifecycle.SessionDbt.release)."""
        self.lifecycle.release(self.runner)


def _no_match(select: tuple[str, ...], runner: DbtRunner) -> str:
    """Why names matched no node: disabled ones that match, or the closest enabled names."""
    patterns = [p for p in select if not any(c in p for c in ":+@/")]
    disabled = [n for n in runner.disabled_names() if any(fnmatch.fnmatchcase(n, p) for p in patterns)]
    if disabled:
        return (f"no enabled dbt node matches; {', '.join(disabled[:5])} "
                "matches but is disabled (`enabled: false` in its config)")
    plain = [p for p in patterns if not any(c in p for c in "*?[")]
    known = runner.enabled_names() if plain else []
    close = [name for p in plain for name in difflib.get_close_matches(p, known, n=3, cutoff=0.6)]
    if close:
        return f"no dbt node matches; did you mean {', '.join(dict.fromkeys(close))}?"
    return "no dbt node matches; check the names, or list the project's nodes with `dbt ls`"


def _with_parent_tags(specs: list[NodeSpec]) -> list[NodeSpec]:
    """Data and unit tests carry the tags of the nodes they test (as dbt's tag: selection does)."""
    tags = {s.unique_id: s.tags for s in specs}
    out = []
    for spec in specs:
        if spec.resource_type in ("test", "unit_test"):
            inherited: dict[str, None] = dict.fromkeys(spec.tags)
            for parent in spec.parents:
                inherited.update(dict.fromkeys(tags.get(parent, ())))
            spec = dataclasses.replace(spec, tags=tuple(inherited))
        out.append(spec)
    return out


COLLECTION_KEY: pytest.StashKey[DbtCollection] = pytest.StashKey()
