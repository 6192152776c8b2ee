"""dbt's structured log events -> human lines and per-node progress.

Both executors feed the same dicts here: in-process callbacks convert dbt's
EventMsg with ``msg_to_dict``; the subprocess prints them as ``--log-format
json`` lines. User callbacks never run on dbt's threads: events go to a queue
drained by one dispatcher thread, so a slow or raising callback cannot stall
or break the dbt run (dbt-core#6763, #11612).
"""

from __future__ import annotations

import logging
import queue
import re
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .dbt_internals import FULL_PARSE_EVENTS

log = logging.getLogger(__name__)

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\[(?:\d+;)*\d+m")
HUMAN_LEVELS = frozenset({"info", "warn", "error"})
# Info events whose line tells a reader nothing (where dbt wrote its parse timings).
UNREAD_EVENTS = frozenset({"ParsePerfInfoPath"})
START_EVENTS = frozenset({"LogStartLine"})
FINISH_EVENTS = frozenset(
    {
        "LogModelResult", "LogTestResult", "LogSeedResult", "LogSnapshotResult",
        "SkippingDetails", "LogNodeResult", "LogNodeNoOpResult", "LogFreshnessResult",
    }
)
STATUS_ALIASES = {"ok": "success", "created": "success", "insert": "success"}


@dataclass(frozen=True)
class ProgressEvent:
    """A node started or finished: ``kind`` is "start" or "finish"."""

    kind: str
    unique_id: str
    name: str
    resource_type: str
    index: int | None
    total: int | None
    status: str | None = None
    execution_time: float | None = None
    failures: int | None = None


def strip_ansi(text: str) -> str:
    return ANSI.sub("", text)


def progress_from_event(event: Mapping[str, Any]) -> ProgressEvent | None:
    """A ProgressEvent from a NodeStart-like or result-like dbt event, else None."""
    name = event.get("info", {}).get("name")
    if name not in START_EVENTS and name not in FINISH_EVENTS:
        return None
    data = event.get("data", {})
    node = data.get("node_info") or {}
    unique_id = node.get("unique_id")
    if not unique_id:
        return None
    finished = name in FINISH_EVENTS
    status = None
    if finished:
        status = str(node.get("node_status") or data.get("status") or "").lower()
        status = STATUS_ALIASES.get(status, status)
        if name == "SkippingDetails":
            status = "skipped"
    failures = data.get("num_failures")
    return ProgressEvent(
        kind="finish" if finished else "start",
        unique_id=unique_id,
        name=node.get("node_name") or unique_id.split(".")[-1],
        resource_type=node.get("resource_type") or unique_id.split(".")[0],
        index=data.get("index"),
        total=data.get("total"),
        status=status,
        execution_time=data.get("execution_time") if finished else None,
        failures=int(failures) if failures is not None and finished else None,
    )


class Dispatcher:
    """Runs user callbacks on one thread of its own, in event order."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[tuple[Callable[[Any], Any], Any] | None] = queue.SimpleQueue()
        self._failed: set[int] = set()
        self._thread = threading.Thread(target=self._drain, name="dbt-callbacks", daemon=True)
        self._thread.start()

    def put(self, callback: Callable[[Any], Any] | None, value: Any) -> None:
        if callback is not None:
            self._queue.put((callback, value))

    def _drain(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            callback, value = item
            try:
                callback(value)
            except Exception:
                # Logged once per callback, so a callback failing on every line
                # does not flood the log; the dbt run goes on regardless.
                if id(callback) not in self._failed:
                    self._failed.add(id(callback))
                    log.exception("dbt callback %r raised; further errors from it are ignored", callback)

    def close(self, timeout: float | None) -> bool:
        """Let queued callbacks finish (up to ``timeout``); False if they did not."""
        self._queue.put(None)
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("dbt callbacks still busy after %.1fs; not waiting for them", timeout or 0)
            return False
        return True


class EventSink:
    """Collects what one invocation emits: lines, progress, ids, the fatal error."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        on_line: Callable[[str], Any] | None = None,
        on_progress: Callable[[ProgressEvent], Any] | None = None,
    ) -> None:
        self.dispatcher = dispatcher
        self.on_line = on_line
        self.on_progress = on_progress
        self.lines: list[str] = []
        self.invocation_id: str | None = None
        self.fatal: str | None = None
        self.no_nodes_selected = False
        # Why dbt parsed the whole project, once per full parse (dbt's UnableToPartialParse).
        self.full_parses: list[str] = []
        # Command output: `dbt ls` lines (PrintEvent in a subprocess), `dbt show` previews and
        # `dbt compile --inline`'s compiled SQL.
        self.printed: list[str] = []
        self.previews: list[str] = []
        # Why dbt could not parse an inline query (it then says only "Error parsing inline query").
        self.inline_error: str | None = None
        self._lock = threading.Lock()
        self._banner_seen = False

    def feed(self, event: Mapping[str, Any]) -> None:
        info = event.get("info", {})
        with self._lock:
            if info.get("invocation_id"):  # the latest: after a call's parse, the command's own
                self.invocation_id = info["invocation_id"]
            name = str(info.get("name"))
            self._record(name, event, info)
            if info.get("level") in HUMAN_LEVELS and self._shown(name):
                for line in strip_ansi(str(info.get("msg", ""))).splitlines() or [""]:
                    self.lines.append(line)
                    self.dispatcher.put(self.on_line, line)
            progress = progress_from_event(event)
            if progress is not None:
                self.dispatcher.put(self.on_progress, progress)

    def _shown(self, name: str) -> bool:
        """Whether an event's lines are worth a reader's time: dbt's banner once per call (an
        in-process call's parse and its command each print it), never the parse's timing file."""
        if name == "MainReportVersion":
            seen, self._banner_seen = self._banner_seen, True
            return not seen
        return name not in UNREAD_EVENTS

    def _record(self, name: str, event: Mapping[str, Any], info: Mapping[str, Any]) -> None:
        """What an event of one of the names we read says."""
        data = event.get("data", {})
        if name == "MainEncounteredError":
            self.fatal = self.explained(str(data.get("exc") or info.get("msg") or ""))
        elif name == "ParseInlineNodeError":
            self.inline_error = str(data.get("exc") or "")
        elif name == "CompiledNode" and data.get("is_inline"):
            self.previews.append(str(data.get("compiled", "")))
        elif name == "NoNodesForSelectionCriteria":
            self.no_nodes_selected = True
        elif name == "PrintEvent":
            self.printed.append(str(info.get("msg", "")))
        elif name == "ShowNode":
            self.previews.append(str(data.get("preview", "")))
        elif name in FULL_PARSE_EVENTS:
            self.full_parses.append(str(data.get("reason") or data.get("exc") or name))

    def explained(self, fatal: str) -> str:
        """dbt's fatal message, with the reason when it says only "Error parsing inline query"."""
        if self.inline_error and "parsing inline query" in fatal:
            return f"Compilation Error in inline query\n  {self.inline_error}"
        return fatal

    def feed_raw_line(self, line: str) -> None:
        """A stdout line that is not a JSON event (e.g. a Python warning)."""
        clean = strip_ansi(line.rstrip("\n"))
        with self._lock:
            self.lines.append(clean)
            self.dispatcher.put(self.on_line, clean)


def line_callback(on_line: Callable[[str], Any] | None, stream_output: bool,
                  redact: Callable[[str], str]) -> Callable[[str], Any] | None:
    """What to do with each of dbt's lines: the caller's ``on_line``, print it, or nothing."""
    if on_line is not None:
        user = on_line
        return lambda line: user(redact(line))
    if stream_output:
        return lambda line: print(redact(line), file=sys.stdout, flush=True)
    return None
