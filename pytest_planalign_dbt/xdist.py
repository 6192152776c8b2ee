"""pytest-xdist: what the controller hands its workers, and what the building worker sends back.

The controller resolves the settings once and makes one directory for the shared build; each
worker reads them from ``workerinput[WORKERINPUT]`` (pytest-randomly's ``XdistHooks`` pattern).
The worker that builds sends its build time back through ``workeroutput[BUILD_SECONDS]``, and
Slim CI's staged reference, which the controller keeps only if the whole session passed.
XdistHooks is registered only when xdist is present.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

from . import coverage_gate
from .options import DbtSettings
from .session.share import SharedOutcomes
from .session.slim import ReferenceStore, SlimNote, failed_by_problem, slim_exit_status

WORKERINPUT = "planalign_dbt"
# The build's wall time, sent by the xdist worker that built (its ``workeroutput``).
BUILD_SECONDS = "planalign_dbt_build_seconds"
BUILD_SECONDS_KEY = pytest.StashKey[float]()
# Slim CI's staged reference, sent by the worker that built: the controller keeps it only if
# the whole session passed (session/slim.py).
PENDING_REFERENCE = "planalign_dbt_pending_reference"


def worker_settings(config: pytest.Config) -> DbtSettings | None:
    """On an xdist worker, the settings the controller resolved (None elsewhere)."""
    handed = getattr(config, "workerinput", {}).get(WORKERINPUT)
    return DbtSettings.from_json(handed["settings"]) if handed else None


def worker_share(config: pytest.Config) -> SharedOutcomes | None:
    """On an xdist worker, the build it shares with the others (None elsewhere)."""
    workerinput = getattr(config, "workerinput", {})
    handed = workerinput.get(WORKERINPUT)
    return SharedOutcomes(handed["shared"], workerinput.get("workerid", "gw?")) if handed else None


def send_build_seconds(config: pytest.Config, seconds: float) -> None:
    """On the building worker: its build time, for the controller's build line."""
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[BUILD_SECONDS] = seconds


def send_pending_reference(config: pytest.Config, directory: Path) -> None:
    """On the building worker: the reference it staged, for the controller to keep or drop."""
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[PENDING_REFERENCE] = str(directory)


class XdistHooks:
    """Controller side of pytest-xdist: settings and the shared build dir go to workers."""

    def __init__(self, settings: DbtSettings) -> None:
        self.settings = settings
        self.shared: str | None = None
        self.pending: list[ReferenceStore] = []

    def pytest_configure_node(self, node: Any) -> None:
        """Hand each worker the resolved settings and the directory of the shared build."""
        if self.shared is None:
            self.shared = tempfile.mkdtemp(prefix="planalign-dbt-xdist-")
        node.workerinput[WORKERINPUT] = {"settings": self.settings.to_json(), "shared": self.shared}

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Slim CI's line, as the worker that listed the nodes wrote it."""
        note = SharedOutcomes.note(self.shared) if self.shared is not None else None
        if note is not None:
            for line in SlimNote.from_json(note).lines(terminalreporter.config.option.verbose):
                terminalreporter.write_line(line)
        problem = SharedOutcomes.problem(self.shared) if self.shared is not None else None
        if problem:
            terminalreporter.write_line(f"dbt: the session fails: {problem}", red=True, bold=True)

    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """The building worker's build time, for the controller's build line."""
        output = getattr(node, "workeroutput", {})
        seconds = output.get(BUILD_SECONDS)
        if seconds is not None:
            node.config.stash[BUILD_SECONDS_KEY] = seconds
        coverage_gate.receive(node.config, output)
        if output.get(PENDING_REFERENCE):
            self.pending.append(ReferenceStore(Path(output[PENDING_REFERENCE])))

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """The controller's verdict: Slim CI's exit rule, a problem a worker met, the coverage gate,
        the reference settled."""
        note = SharedOutcomes.note(self.shared) if self.shared is not None else None
        if note is not None:
            session.exitstatus = slim_exit_status(note["nothing_changed"], exitstatus)
        if self.shared is not None:  # a problem outside the items (a full disk) fails the session
            session.exitstatus = failed_by_problem(session.exitstatus, SharedOutcomes.problem(self.shared))
        session.exitstatus = coverage_gate.gate(session.config, self.settings, session.exitstatus)
        for store in self.pending:  # the session's verdict, which no worker alone knows
            if session.exitstatus == pytest.ExitCode.OK and not session.shouldfail:
                store.promote()
            elif session.exitstatus != pytest.ExitCode.INTERRUPTED:
                store.mark_failed()
            else:
                store.discard()

    def pytest_unconfigure(self) -> None:
        """Remove the directory the workers shared."""
        if self.shared is not None:
            shutil.rmtree(self.shared, ignore_errors=True)
