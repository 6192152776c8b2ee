"""One dbt build shared by every pytest-xdist worker (no pytest in here).

Each worker collects the same dbt items, but only one may build them: DuckDB
allows one writing process per file, and building twice is wasted time. The
first worker to need a result wins an election under an exclusive file lock
(``fcntl.flock``), builds, and appends every node outcome to a JSON-lines file
as it becomes known; the other workers follow that file, so their items report
as the nodes finish too (the approach of pytest-mypy, made incremental).
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..runner import NodeResult, atomic_write
from .nodes import NodeOutcome


def outcome_to_json(outcome: NodeOutcome) -> dict[str, Any]:
    data = dataclasses.asdict(outcome)
    result = data.get("result")
    if result and outcome.result is not None and not outcome.result.failed:
        result["compiled_code"] = None  # reports show it for failures only: the feed stays small
    return data


def outcome_from_json(data: dict[str, Any]) -> NodeOutcome:
    data = dict(data)
    result = data.pop("result", None)
    return NodeOutcome(**data, result=NodeResult(**result) if result else None)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - another user's process: alive
        return True
    return True


class SharedOutcomes:
    """The files through which xdist workers share one dbt build's outcomes."""

    def __init__(self, directory: Path | str, worker: str) -> None:
        self.directory = Path(directory)
        self.worker = worker
        self.outcomes_file = self.directory / "outcomes.jsonl"
        self.builder_file = self.directory / "builder.json"
        self.listing_file = self.directory / "nodes.json"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / "lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def elect(self) -> bool:
        """True for exactly one caller across all workers: the one that builds (the worker
        that listed the nodes, when one did)."""
        with self._locked():
            return self._elect_locked()

    def _elect_locked(self) -> bool:
        if self.builder_file.exists():
            return self.builder() == {"worker": self.worker, "pid": os.getpid()}
        self.builder_file.write_text(json.dumps({"worker": self.worker, "pid": os.getpid()}))
        return True

    def put_note(self, note: dict[str, Any]) -> None:
        """What the session says to the user (Slim CI's line), for the controller's summary."""
        note_file = self.directory / "note.json"
        atomic_write(note_file, json.dumps(note))

    def put_problem(self, text: str) -> None:
        """What failed the whole session outside any item (a full disk), for the controller."""
        with contextlib.suppress(OSError):  # the disk may be the problem: the worker says it too
            (self.directory / "problem.txt").write_text(text)

    @staticmethod
    def problem(directory: Path | str) -> str | None:
        try:
            return (Path(directory) / "problem.txt").read_text() or None
        except OSError:
            return None

    @staticmethod
    def note(directory: Path | str) -> dict[str, Any] | None:
        try:
            return dict(json.loads((Path(directory) / "note.json").read_text()))
        except (OSError, ValueError):
            return None

    def listing(self, produce: Callable[[], dict[str, Any]]) -> tuple[dict[str, Any], bool]:
        """The selected nodes, listed once for every worker: the first to ask runs ``produce``
        (dbt's ``ls``, or the listing kept in pytest's cache) and is elected to build, dbt being
        loaded and the project parsed in that worker only; the others read what it listed.
        Returns (the listing, whether this worker listed it)."""
        with self._locked():
            try:
                return json.loads(self.listing_file.read_text()), False
            except FileNotFoundError:
                pass
            data = produce()  # raises (dbt could not list): each worker then tries, and says why
            atomic_write(self.listing_file, json.dumps(data))
            self._elect_locked()
            return data, True

    def builder(self) -> dict[str, Any]:
        try:
            return dict(json.loads(self.builder_file.read_text()))
        except (OSError, ValueError):
            return {}

    def _append(self, record: dict[str, Any]) -> None:
        line = json.dumps(record) + "\n"
        with self._locked(), open(self.outcomes_file, "a") as handle:
            handle.write(line)

    def publish(self, outcome: NodeOutcome) -> None:
        self._append({"outcome": outcome_to_json(outcome)})

    def finish(self) -> None:
        self._append({"done": True})

    def follow(
        self,
        on_outcome: Callable[[NodeOutcome], None],
        stop: threading.Event,
        poll: float = 0.1,
    ) -> str | None:
        """Feed published outcomes to ``on_outcome`` until the builder is done.

        Returns None when the build finished, or why it never will (the builder died).
        """
        offset = 0
        buffer = ""
        while not stop.is_set():
            if self.outcomes_file.exists():
                with open(self.outcomes_file) as handle:
                    handle.seek(offset)
                    chunk = handle.read()
                    offset = handle.tell()
                buffer += chunk
                *lines, buffer = buffer.split("\n")
                for line in lines:
                    record = json.loads(line)
                    if record.get("done"):
                        return None
                    on_outcome(outcome_from_json(record["outcome"]))
            builder = self.builder()
            if builder and not _alive(int(builder["pid"])) and not chunk_pending(self.outcomes_file, offset):
                return (
                    f"the xdist worker building the dbt nodes ({builder['worker']}, PID "
                    f"{builder['pid']}) stopped before the build finished"
                )
            time.sleep(poll)
        return "stopped while waiting for the dbt build"


def chunk_pending(path: Path, offset: int) -> bool:
    """True when the file has grown past ``offset`` (more lines to read first)."""
    try:
        return path.stat().st_size > offset
    except OSError:
        return False
