"""The session's one dbt build, from the first item's setup to the exit status.

Collection (collection.py) decides which nodes and files; this object owns what follows: the
build started once for every item still selected (on an xdist worker that lists, from the start
of its run), each item's outcome as its node finishes, dbt's lines streamed from the main thread,
golden files checked once the build is done, the build wound down (never left running after an
interruption), Slim CI's reference kept after a green run, the exit status, and the parse let go
before pytest's exit collections.
"""

from __future__ import annotations

import queue
from collections.abc import Callable

import pytest

from . import coverage_gate, exit_heap
from .items import DbtItem
from .lister import NodeLister
from .options import DbtSettings
from .regression import node_golden_failure
from .runner import DbtRunner
from .session import envguard
from .session.build import SessionBuild
from .session.nodes import NodeOutcome
from .session.slim import failed_by_problem, slim_exit_status
from .xdist import send_build_seconds


class SessionDbt:
    """The session's one build: its start, its outcomes, its end."""

    def __init__(self, config: pytest.Config, settings: DbtSettings, nodes: NodeLister,
                 runner: Callable[[], DbtRunner]) -> None:
        self.config = config
        self.settings = settings
        self.nodes = nodes
        self._runner = runner
        self.build: SessionBuild | None = None
        self.lines: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._guarded = False

    def prepare(self, build: SessionBuild) -> None:
        """The build the collected items will share (not started yet)."""
        self.build = build

    def start(self, session: pytest.Session) -> None:
        """Start the one build for every dbt item still selected (idempotent)."""
        build = self.build
        assert build is not None
        if build.started:
            return
        ids = [i.spec.unique_id for i in session.items if isinstance(i, DbtItem)]
        if self.settings.executor == "inprocess":
            envguard.install()  # dbt's threads vs pytest's PYTEST_CURRENT_TEST churn
            self._guarded = True
        option = self.config.option
        fail_fast = option.maxfail == 1 or bool(getattr(option, "stepwise", False))
        build.start(ids, fail_fast=fail_fast)

    def start_early(self, session: pytest.Session) -> None:
        """The xdist worker that listed the nodes builds them, from the start of its run (the
        others follow the outcomes it shares, without ever loading dbt)."""
        if self.nodes.lister and self.build is not None and not self.config.option.collectonly:
            self.start(session)

    def outcome_for(self, item: DbtItem) -> NodeOutcome:
        """The item's node outcome; the first call starts the one build for all items."""
        build = self.build
        assert build is not None
        self.start(item.session)
        try:
            return build.wait(item.spec.unique_id, pump=self._pump)
        except KeyboardInterrupt:
            build.stop()
            raise

    def golden_failure(self, item: DbtItem) -> str | None:
        """A built model with ``meta: {golden: ...}``: its rows against its golden file, once
        the build is done (regression.py)."""
        self.wait_for_build(item.session)
        return node_golden_failure(item, item.spec, self._runner(), self.settings.merged_vars(),
                                   self.settings.regen)

    def wait_for_build(self, session: pytest.Session) -> None:
        """Build the collected nodes before a test changes the same database (fixtures)."""
        if self.build is None:
            return
        self.start(session)
        self.build.done.wait()

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

    def close(self, interrupted: bool = True) -> None:
        """Never leave a build running after an interruption (Ctrl+C, -x). Otherwise the build
        finishes first: items report as their nodes finish, so the session can end while dbt
        still writes manifest.json and run_results.json (stopping it then leaves them cut
        short), and an xdist worker may be building for the others."""
        if self.build is not None:
            if self.build.is_builder and not interrupted:
                self.build.done.wait()
            self.build.stop()
        if self._guarded:
            envguard.uninstall()
            self._guarded = False

    def finish_session(self, interrupted: bool, exitstatus: int) -> int:
        """Wind the build down; measure dbt test coverage (the builder) and gate on it (not a
        worker); keep a green run as Slim CI's next reference; the exit status."""
        self.close(interrupted)
        build = self.build
        if build is not None and build.is_builder and build.result is not None:
            send_build_seconds(self.config, build.result.execution_time)  # to the xdist controller
        if not interrupted and self.settings.covers and build is not None and build.is_builder:
            coverage_gate.measure_build(self.config, self.settings, build, self._runner())
        # Serially this process gates; under xdist the controller does, once (xdist.py), and a
        # worker never does.
        xdist = getattr(self.config, "workerinput", None) is not None or self.config.pluginmanager.has_plugin("dsession")
        if not interrupted and not xdist:
            exitstatus = coverage_gate.gate(self.config, self.settings, exitstatus)
        if not interrupted:
            self.nodes.settle_reference(build, passed=exitstatus == pytest.ExitCode.OK)
        slim = self.nodes.slim
        exitstatus = slim_exit_status(slim.nothing_changed, exitstatus) if slim is not None else exitstatus
        return failed_by_problem(exitstatus, build.write_error if build is not None else None)

    def release(self, runner: DbtRunner | None) -> None:
        """The session is over: the parse in memory goes before pytest's last collections of
        garbage (at unconfigure) walk it (each walk costs twice as much with it at 1,500 nodes),
        and those walks skip what is left (exit_heap.py)."""
        if runner is not None:
            runner.invalidate_manifest()
        exit_heap.freeze_for_exit(self.config)
