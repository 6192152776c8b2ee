"""pytest hooks: options, the report header, and dbt nodes collected as items."""

from __future__ import annotations

import queue
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Generator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pytest

from . import envguard
from .build import NodeOutcome, NodeSpec, SessionBuild, topological
from .factory import make_runner
from .fixtures import (  # noqa: F401  (fixtures)
    dbt,
    dbt_database_suffix,
    dbt_runner,
    dbt_scenario,
    dbt_settings,
    dbt_vars,
    dbt_worker_id,
)
from .items import COLLECTION_KEY, DbtFile, DbtItem, DbtNodeProblem
from .options import DbtSettings, add_options, describe, resolve_settings
from .runner import DbtError, DbtRunner
from .runner.project import load_project, resolve_profiles_dir
from .share import SharedOutcomes

SETTINGS_KEY: pytest.StashKey[DbtSettings] = pytest.StashKey()


def pytest_addoption(parser: pytest.Parser) -> None:
    """The "dbt" option group and its ini twins."""
    add_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Resolve and validate the dbt settings before anything runs; register the collector."""
    config.addinivalue_line("markers", "dbt: a dbt node collected by pytest-planalign-dbt")
    config.addinivalue_line(
        "markers", "dbt_vars(**vars): dbt vars for this test's `dbt` and `dbt_vars` fixtures"
    )
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and "planalign_dbt" in workerinput:
        # An xdist worker: the controller resolved the settings; use exactly those.
        settings = DbtSettings.from_json(workerinput["planalign_dbt"]["settings"])
    else:
        settings = resolve_settings(config)
    config.stash[SETTINGS_KEY] = settings
    if config.pluginmanager.hasplugin("xdist") and workerinput is None:
        config.pluginmanager.register(XdistHooks(settings), "planalign-dbt-xdist")
    if settings.collects:
        collection = DbtCollection(config, settings)
        config.stash[COLLECTION_KEY] = collection
        config.pluginmanager.register(collection, "planalign-dbt-collection")


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Project, target, adapter, dbt version, and where each setting came from."""
    settings = config.stash.get(SETTINGS_KEY, None)
    if settings is None or settings.project_dir is None:
        return ["dbt: no project configured (--dbt-project-dir)"]
    try:
        profiles = resolve_profiles_dir(settings.profiles_dir, settings.project_dir)
        info = load_project(settings.project_dir, profiles)
        target = settings.target or info.default_target() or "default"
        adapter = info.adapter_type(settings.target) or "unknown"
        name = info.name
    except ValueError as exc:
        return [f"dbt: {exc}"]
    lines = [
        f"dbt: project {name} ({settings.project_dir}), target {target}, adapter {adapter} "
        f"{_version('dbt-' + adapter)}, dbt-core {_version('dbt-core')}",
    ]
    described = describe(settings)
    if described:
        lines.append("dbt settings: " + ", ".join(described))
    return lines


class XdistHooks:
    """Controller side of pytest-xdist: settings and the shared build dir go to workers."""

    def __init__(self, settings: DbtSettings) -> None:
        self.settings = settings
        self.shared: str | None = None

    def pytest_configure_node(self, node: Any) -> None:
        """Hand each worker the resolved settings and the directory of the shared build."""
        if self.shared is None:
            self.shared = tempfile.mkdtemp(prefix="planalign-dbt-xdist-")
        node.workerinput["planalign_dbt"] = {"settings": self.settings.to_json(), "shared": self.shared}

    def pytest_unconfigure(self) -> None:
        if self.shared is not None:
            shutil.rmtree(self.shared, ignore_errors=True)


class DbtCollection:
    """Collects the selected dbt nodes as items and runs them in one dbt build."""

    def __init__(self, config: pytest.Config, settings: DbtSettings) -> None:
        self.config = config
        self.settings = settings
        assert settings.project_dir is not None
        self.project_dir: Path = settings.project_dir
        self.build: SessionBuild | None = None
        self.lines: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._guarded = False

    def _selection_args(self) -> list[str]:
        args: list[str] = []
        if self.settings.select:
            args += ["--select", *self.settings.select]
        if self.settings.exclude:
            args += ["--exclude", *self.settings.exclude]
        if self.settings.selector:
            args += ["--selector", self.settings.selector]
        return args

    def _collect_error(self, session: pytest.Session, message: str) -> None:
        nodeid = self.project_dir.name
        try:
            nodeid = str(self.project_dir.relative_to(self.config.rootpath)) or nodeid
        except ValueError:
            pass
        report = pytest.CollectReport(nodeid, "failed", message, [])
        session.ihook.pytest_collectreport(report=report)

    def _runner(self) -> DbtRunner:
        return make_runner(self.settings)

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, session: pytest.Session, items: list[pytest.Item]) -> None:
        """Ask dbt which nodes the selection means, and add one item per node."""
        try:
            runner = self._runner()
            nodes = runner.list_nodes(
                self.settings.select, self.settings.exclude, self.settings.selector,
                dbt_vars=self.settings.merged_vars(),
            )
        except DbtError as exc:
            self._collect_error(session, f"dbt could not list the selected nodes\n{exc}")
            return
        except ValueError as exc:
            raise pytest.UsageError(str(exc).splitlines()[0]) from None
        if not nodes:
            raise pytest.UsageError(
                f"--dbt-select {' '.join(self._selection_args()[1:])!s}: no dbt node matches; "
                "check the names, or list the project's nodes with `dbt ls`"
            )
        specs = topological([NodeSpec.from_ls(n) for n in nodes])
        for tag in sorted({t for s in specs for t in s.tags}):
            self.config.addinivalue_line("markers", f"{tag}: dbt tag {tag}")
        by_file: dict[Path, list[NodeSpec]] = defaultdict(list)
        for spec in specs:
            by_file[self.project_dir / spec.original_file_path].append(spec)
        dbt_items: dict[str, DbtItem] = {}
        for path, file_specs in by_file.items():
            collector = DbtFile.from_parent(session, path=path, specs=file_specs)
            collected = collector.collect()
            # Reported like any collected file: counts, --collect-only and xdist see them.
            session.ihook.pytest_collectreport(
                report=pytest.CollectReport(collector.nodeid, "passed", None, list(collected))
            )
            for item in collected:
                dbt_items[item.spec.unique_id] = item
        items.extend(dbt_items[s.unique_id] for s in specs)
        self.build = SessionBuild(
            runner, specs, dbt_vars=self.settings.merged_vars(),
            selection=self._selection_args(), full_refresh=self.settings.full_refresh,
            threads=self.settings.threads,
            on_line=self.lines.put if self.settings.stream else None,
            share=self._share(),
        )

    def _share(self) -> SharedOutcomes | None:
        workerinput = getattr(self.config, "workerinput", None)
        if workerinput is None or "planalign_dbt" not in workerinput:
            return None
        return SharedOutcomes(workerinput["planalign_dbt"]["shared"], workerinput.get("workerid", "gw?"))

    def outcome_for(self, item: DbtItem) -> NodeOutcome:
        """The item's node outcome; the first call starts the one build for all items."""
        build = self.build
        assert build is not None
        if not build.started:
            ids = [i.spec.unique_id for i in item.session.items if isinstance(i, DbtItem)]
            if self.settings.executor == "inprocess":
                envguard.install()  # dbt's threads vs pytest's PYTEST_CURRENT_TEST churn
                self._guarded = True
            build.start(ids, fail_fast=self.config.option.maxfail == 1)
        try:
            return build.wait(item.spec.unique_id, pump=self._pump)
        except KeyboardInterrupt:
            build.stop()
            raise

    def _pump(self) -> None:
        """Write queued dbt lines to the terminal (--dbt-stream), from the main thread."""
        if self.lines.empty():
            return
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        capture = self.config.pluginmanager.get_plugin("capturemanager")
        if reporter is None or capture is None:
            return
        with capture.global_and_fixture_disabled():
            while not self.lines.empty():
                reporter.write_line(f"[dbt] {self.lines.get()}")

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """Tag dbt reports with the failure class; durations are the node's own time."""
        report = yield
        if not isinstance(item, DbtItem) or item.outcome is None:
            return report
        report.dbt_kind = item.outcome.kind  # type: ignore[attr-defined]
        report.duration = item.outcome.execution_time if call.when == "call" else 0.0
        if call.excinfo is not None and isinstance(call.excinfo.value, DbtNodeProblem):
            # Setup errors bypass repr_failure: render them the same short way.
            report.longrepr = call.excinfo.value.render()
        elif report.skipped and isinstance(report.longrepr, tuple):
            # Point at the node's file, not at the plugin line that called pytest.skip.
            report.longrepr = (report.location[0], None, report.longrepr[2])  # type: ignore[assignment]
        return report

    def pytest_report_teststatus(self, report: pytest.TestReport) -> Any:
        """Data-quality failures get their own category, letter and word."""
        if report.when == "call" and report.failed and getattr(report, "dbt_kind", None) == "data_quality":
            return "dq_failed", "Q", ("DQ_FAILED", {"red": True})
        return None

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Data-quality failures are not in pytest's "failed" stats: list them here."""
        build = self.build
        if build is not None and build.result is not None:
            result = build.result
            retried = " (transient failures retried)" if result.attempts > 1 else ""
            terminalreporter.write_sep(
                "-", f"dbt build: {len(result.nodes)} nodes in {result.execution_time:.1f}s, "
                f"{result.attempts} attempt(s){retried}"
            )
        reports = terminalreporter.stats.get("dq_failed", [])
        if not reports:
            return
        terminalreporter.write_sep("=", "DATA QUALITY FAILURES")
        for report in reports:
            terminalreporter.write_sep("_", report.nodeid)
            terminalreporter.write_line(report.longreprtext)
        terminalreporter.write_sep("=", "data quality summary")
        for report in reports:
            lines = report.longreprtext.splitlines()
            # Under xdist the text starts with the worker's "[gw0] linux -- Python" line.
            first = next((line for line in lines if line.startswith("dbt ")), lines[0] if lines else "")
            terminalreporter.write_line(f"DQ_FAILED {report.nodeid} - {first}")

    def pytest_sessionfinish(self) -> None:
        """Never leave a build running (e.g. after -x stopped the session)."""
        if self.build is not None:
            self.build.stop()
        if self._guarded:
            envguard.uninstall()
            self._guarded = False
