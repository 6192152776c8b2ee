"""pytest hooks: options, the report header, dbt nodes as items, their reports.

Every hook is a few lines handing off to its room: options.py (settings),
collection.py (nodes, files, the build), report.py (what reports say).
"""

from __future__ import annotations

import functools
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from . import coverage_gate, exit_heap, html_report
from . import report as reporting
from .collection import COLLECTION_KEY, DbtCollection
from .fixtures import (  # noqa: F401  (fixtures)
    dbt,
    dbt_database_suffix,
    dbt_regression,
    dbt_runner,
    dbt_scenario,
    dbt_settings,
    dbt_vars,
    dbt_worker_id,
)
from .items import DbtItem
from .lastfailed import LastFailedNote
from .logcapture import keep_dbt_out_of_capture
from .options import (
    SETTINGS_KEY,
    add_options,
    check_rootdir,
    resolve_settings,
)
from .regression import written_summary
from .xdist import XdistHooks, worker_settings

# DeprecationWarnings raised inside dbt and the libraries it renders with (e.g. jinja2's
# "invalid escape sequence" for a model's regex): the dbt CLI does not show them either.
QUIET_DEPRECATIONS = tuple(f"ignore::DeprecationWarning:{module}" for module in
                           ("jinja2", "dbt", "dbt_common", "dbt_adapters", "agate", "mashumaro"))


def pytest_addoption(parser: pytest.Parser) -> None:
    """The "dbt" option group and its ini twins."""
    add_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Resolve and validate the dbt settings before anything runs; register the collector."""
    # Added before pytest's unraisableexception plugin adds its cleanup: runs after it.
    config.add_cleanup(functools.partial(exit_heap.thaw, config))
    config.addinivalue_line("markers", "dbt: a dbt node collected by pytest-planalign-dbt")
    for line in QUIET_DEPRECATIONS:  # dbt's CLI never shows them; in-process they would land on items
        config.addinivalue_line("filterwarnings", line)
    config.addinivalue_line(
        "markers", "dbt_vars(**vars): dbt vars for this test's `dbt` and `dbt_vars` fixtures"
    )
    # An xdist worker uses exactly the settings the controller resolved.
    settings = worker_settings(config)
    if settings is None:
        settings = resolve_settings(config)
        check_rootdir(config, settings)
    config.stash[SETTINGS_KEY] = settings
    config.stash[reporting.REDACT_KEY] = reporting.session_redactor(settings)
    if config.pluginmanager.hasplugin("xdist") and getattr(config, "workerinput", None) is None:
        config.pluginmanager.register(XdistHooks(settings), "planalign-dbt-xdist")
    if settings.collects:
        html_report.register(config)
        collection = DbtCollection(config, settings)
        config.stash[COLLECTION_KEY] = collection
        config.pluginmanager.register(CollectionHooks(collection), "planalign-dbt-collection")
        if getattr(config, "workerinput", None) is None and not config.option.collectonly:
            collection.check_server()  # a server that does not answer: one line, before anything runs
        if config.option.markers:
            reporting.register_tag_markers(collection)


def pytest_sessionstart(session: pytest.Session) -> None:
    """dbt's own debug log never reaches pytest's captures or reports (logs/dbt.log has it)."""
    keep_dbt_out_of_capture(session.config)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Which golden files --dbt-regen rewrote."""
    written_summary(terminalreporter)


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Project, target, adapter, dbt version, and where each setting came from (secrets masked)."""
    lines = reporting.header(config.stash.get(SETTINGS_KEY, None), config.option.verbose,
                             Path(config.invocation_params.dir))
    redact = config.stash.get(reporting.REDACT_KEY, None)
    return [redact(line) for line in lines] if redact is not None else lines


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[
        None, pytest.TestReport, pytest.TestReport]:
    """Every report, dbt item or not, leaves with the session's secrets masked (outermost: after
    every other plugin has filled it)."""
    rep = yield
    redact = item.config.stash.get(reporting.REDACT_KEY, None)
    if redact is not None:
        reporting.redact_report(rep, redact)
    return rep


class CollectionHooks:
    """The hooks of a session that collects dbt nodes; each hands off to DbtCollection."""

    def __init__(self, collection: DbtCollection) -> None:
        self.collection = collection
        self.last_failed = LastFailedNote(collection.config)

    def pytest_sessionstart(self) -> None:
        """Read what the last run recorded for ``--lf`` before this run writes its own."""
        self.last_failed.load()  # the run before's, read before this run writes its own

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Note what dbt skipped and what failed, for the next ``--lf``."""
        self.last_failed.logreport(report)

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self, session: pytest.Session) -> None:
        """Resolve the selection before pytest walks the paths (xdist's controller collects nothing)."""
        if not session.config.pluginmanager.has_plugin("dsession"):
            self.collection.resolve()

    def pytest_report_collectionfinish(self, config: pytest.Config) -> list[str]:
        """Where the node list came from (dbt's ls, or the listing kept in pytest's cache); not with -q."""
        if config.option.verbose < 0:
            return []
        return self.collection.summary_lines(config.option.verbose)

    def pytest_ignore_collect(self, collection_path: Path) -> bool | None:
        """Never walk dbt's target, log and package dirs."""
        return True if self.collection.ignore(collection_path) else None

    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
        """A file that defines selected dbt nodes becomes their collector."""
        return self.collection.collect_file(file_path, parent)

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, session: pytest.Session, items: list[pytest.Item]) -> None:
        """Add the node files pytest's paths did not reach; order items as dbt finishes them."""
        self.collection.finish_collection(session, items)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """Tag dbt reports with the node's outcome; durations are the node's own time."""
        rep = yield
        if isinstance(item, DbtItem):
            reporting.annotate(rep, item, call)
        return rep

    def pytest_report_teststatus(self, report: pytest.TestReport) -> Any:
        """Data-quality failures get their own category, letter and word."""
        return reporting.teststatus(report)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """The build's line, and what ``--lf`` left out that dbt skipped."""
        reporting.terminal_summary(terminalreporter, self.collection.build)
        coverage_gate.summary(terminalreporter, self.collection.settings)
        for line in self.last_failed.summary_lines():
            terminalreporter.write_line(line, yellow=True)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> None:
        """Start the build before the first item asks for it."""
        self.collection.lifecycle.start_early(session)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """Wind the build down; the exit status Slim CI and a problem outside the items decide."""
        interrupted = exitstatus == pytest.ExitCode.INTERRUPTED or bool(session.shouldstop or session.shouldfail)
        session.exitstatus = self.collection.lifecycle.finish_session(interrupted, exitstatus)
        if not interrupted:
            self.last_failed.save()

    @pytest.hookimpl(tryfirst=True)
    def pytest_unconfigure(self) -> None:
        """Let go of the parse before pytest's exit collections walk the heap."""
        self.collection.release()
