"""One dbt build per session, feeding every collected dbt item (no pytest in here).

The build runs on a thread of its own so items can report as their nodes
finish: a node that succeeded, passed or warned is final the moment dbt says
so (dbt never re-runs it); errors, failures and skips wait for the end of the
build, because a transient error may still be retried and a skip may be undone
by that retry.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

from ..runner import (
    DbtResult,
    DbtRunner,
    FINAL_ON_PROGRESS,
    Kind,
    NodeResult,
    ProgressEvent,
    Status,
    WriteFailed,
    failure_block,
)
from .nodes import NodeOutcome, NodeSpec, graph_of, kind_name

log = logging.getLogger(__name__)


class Share(Protocol):
    """How a build shares its outcomes across xdist workers (``share.SharedOutcomes``)."""

    def elect(self) -> bool: ...

    def publish(self, outcome: NodeOutcome) -> None: ...

    def finish(self) -> None: ...

    def follow(self, on_outcome: Callable[[NodeOutcome], None], stop: threading.Event) -> str | None: ...

    def put_problem(self, text: str) -> None: ...

SAMPLE_ROWS = 5


class SessionBuild:
    """Runs the selected nodes in one dbt build and hands each item its outcome."""

    def __init__(
        self,
        runner: DbtRunner,
        specs: Sequence[NodeSpec],
        *,
        dbt_vars: Mapping[str, Any] | None = None,
        selection: Sequence[str] = (),
        full_refresh: bool = False,
        threads: int | None = None,
        on_line: Callable[[str], Any] | None = None,
        share: Share | None = None,
        extra_args: Sequence[str] = (),
        ephemeral: Sequence[NodeSpec] = (),
    ) -> None:
        self.runner = runner
        # dbt never runs ephemeral models, but they are edges of the DAG: why a node was skipped.
        self.ephemeral = list(ephemeral)
        self.extra_args = list(extra_args)  # e.g. --defer --state DIR (Slim CI)
        self.share = share
        self.is_builder = False
        # What the build could not write (a full disk): the session fails on it (collection.py).
        self.write_error: str | None = None
        self.specs = {s.unique_id: s for s in specs}
        self.dbt_vars = dict(dbt_vars or {})
        self.selection = list(selection)  # the user's own selection args, when nothing was deselected
        self.full_refresh = full_refresh
        self.threads = threads
        self.on_line = on_line
        self.outcomes: dict[str, NodeOutcome] = {}
        self.ready: dict[str, threading.Event] = {uid: threading.Event() for uid in self.specs}
        self.done = threading.Event()
        self.cancel_requested = threading.Event()
        self.result: DbtResult | None = None
        self.crash: BaseException | None = None
        self.order: list[str] = []  # unique ids in the order their outcomes became known
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def started(self) -> bool:
        return self._thread is not None

    def command(self, unique_ids: Iterable[str], fail_fast: bool) -> list[str]:
        ids = list(unique_ids)
        if set(ids) == set(self.specs) and self.selection:
            args = ["build", *self.selection]
        else:
            # Exactly the items pytest kept (after -k, -m, --lf, --deselect); their tests
            # are listed themselves, so dbt must not add the attached ones back.
            # Hooks are not selectable: they run with any build.
            args = ["build", "--select",
                    *sorted(self.specs[u].selector for u in ids if not self.specs[u].is_hook),
                    "--indirect-selection", "empty"]
        if fail_fast:
            args.append("--fail-fast")
        return [*args, *self.extra_args]

    def all_passed(self) -> bool:
        """Every node of the session was built (none left out by pytest) and none failed: a
        green run, whose manifest may become the reference of the next --dbt-changed session."""
        built = {uid for uid, outcome in self.outcomes.items()}
        return (self.done.is_set() and self.is_builder and built == set(self.specs)
                and all(o.status in FINAL_ON_PROGRESS for o in self.outcomes.values()))

    def start(self, unique_ids: Iterable[str], fail_fast: bool = False) -> None:
        """Start the build once; later calls do nothing."""
        if self._thread is not None:
            return
        ids = [u for u in unique_ids if u in self.specs]
        if all(self.specs[u].is_hook for u in ids):
            # Only hooks kept (-k): dbt runs hooks only around nodes, so nothing runs.
            for uid in ids:
                self._set(NodeOutcome(uid, Status.SKIPPED, build_error="no dbt node was kept, so dbt ran no hooks"),
                          publish=False)
            self._thread = threading.Thread(target=self.done.set, name="dbt-nothing", daemon=True)
            self._thread.start()
            return
        if self.share is not None and not self.share.elect():
            # Another xdist worker builds; follow the outcomes it publishes.
            self._thread = threading.Thread(target=self._follow, args=(ids,), name="dbt-follow",
                                            daemon=True)
        else:
            self.is_builder = True
            args = self.command(ids, fail_fast)
            self._thread = threading.Thread(target=self._run, args=(args, ids), name="dbt-build",
                                            daemon=True)
        self._thread.start()

    def _follow(self, ids: list[str]) -> None:
        assert self.share is not None
        reason = None
        try:
            reason = self.share.follow(lambda o: self._set(o, publish=False), self.cancel_requested)
        except Exception as exc:  # pragma: no cover - a corrupt shared file; reported per item
            reason = f"could not read the shared dbt build's outcomes: {exc}"
        finally:
            for uid in ids:
                if uid not in self.outcomes:
                    self._set(NodeOutcome(uid, Status.MISSING, build_error=reason or
                                          "the worker that built the dbt nodes did not report this node"),
                              publish=False)
            for event in self.ready.values():
                event.set()
            self.done.set()

    def _run(self, args: list[str], ids: list[str]) -> None:
        try:
            self.result = self.runner.execute_command(
                args, description="Building the selected dbt nodes", dbt_vars=self.dbt_vars,
                stream_output=False, on_line=self.on_line, on_progress=self._progress,
                retry=True, raise_on_error=False, full_refresh=self.full_refresh,
                threads=self.threads, cancel=self.cancel_requested,
            )
            self._finish(self.result, ids)
        except WriteFailed as exc:  # a full disk: loud, the session fails on it
            self.write_error = str(exc)
            if self.share is not None:
                self.share.put_problem(self.write_error)
        except BaseException as exc:  # the items report it; never lost on a thread
            log.exception("the dbt build failed to run")
            self.crash = exc
        finally:
            reason, kind, fix = self._missing_reason()
            attempts = self.result.attempts if self.result is not None else 1
            for uid in ids:
                if uid not in self.outcomes:
                    self._set(NodeOutcome(uid, Status.MISSING, build_error=reason, build_kind=kind,
                                          build_fix=fix, attempts=attempts))
            if self.share is not None:
                self.share.finish()
            for event in self.ready.values():
                event.set()
            self.done.set()

    def _missing_reason(self) -> tuple[str, Kind, str | None]:
        """Why a node has no result: (dbt's message, failure kind, fix)."""
        if self.write_error is not None:
            return self.write_error, Kind.UNKNOWN, None
        if self.crash is not None:
            return (f"the dbt build crashed: {type(self.crash).__name__}: {self.crash}", Kind.UNKNOWN,
                    "this is a bug of pytest-planalign-dbt: please report it with the dbt log")
        error = self.result.error if self.result else None
        if error is not None:
            return error.dbt_message, error.kind, error.fix
        return "dbt did not run this node", Kind.UNKNOWN, None

    def _progress(self, event: ProgressEvent) -> None:
        if event.kind != "finish" or event.unique_id not in self.specs:
            return
        if event.status in FINAL_ON_PROGRESS and event.unique_id not in self.outcomes:
            self._set(NodeOutcome(
                event.unique_id, event.status or "", execution_time=event.execution_time or 0.0,
                failures=event.failures,
            ))

    def _finish(self, result: DbtResult, ids: list[str]) -> None:
        by_id = {n.unique_id: n for n in (*result.nodes, *result.hooks)}
        stopped_by = result.error.kind if result.error is not None and result.error.kind == Kind.TIMEOUT else None
        skips = SkipReasons(graph_of([*self.specs.values(), *self.ephemeral]), by_id, ids, result.stdout)
        for uid in ids:
            node = by_id.get(uid)
            if node is None:
                continue
            outcome = NodeOutcome(uid, node.status, result=node, execution_time=node.execution_time,
                                  failures=node.failures, attempts=result.attempts, stopped_by=stopped_by)
            skips.explain(outcome, node)
            if node.status == Status.FAIL and node.resource_type == "test":
                outcome.samples = self._samples(uid, node)
            with self._lock:
                earlier = self.outcomes.get(uid)
            if earlier is None or earlier.result is None:
                self._set(outcome)

    def _samples(self, uid: str, node: NodeResult) -> list[dict[str, Any]]:
        """Up to five failing rows from the test's own query, read through dbt: ``dbt show``
        of the test, or, when a same-named test shares its selector (dbt would show both), the
        query dbt compiled for this one.

        Best effort: a report helper never takes the build down.
        """
        spec = self.specs[uid]
        twins = sum(1 for s in self.specs.values() if s.selector == spec.selector) > 1
        try:
            if twins and node.compiled_code:
                rows = self.runner.query(node.compiled_code, dbt_vars=self.dbt_vars, limit=SAMPLE_ROWS)
            else:
                rows = self.runner.show(select=spec.selector, limit=SAMPLE_ROWS, dbt_vars=self.dbt_vars)
        except Exception as exc:
            log.info("could not read failing rows of %s: %s", uid, exc)
            return []
        # JSON-safe for the xdist hand-off (dates and the like as text).
        return [{k: v if isinstance(v, (int, float, str, bool)) or v is None else str(v)
                 for k, v in row.items()} for row in rows]

    def _set(self, outcome: NodeOutcome, publish: bool = True) -> None:
        with self._lock:
            self.outcomes[outcome.unique_id] = outcome
            self.order.append(outcome.unique_id)
        if publish and self.share is not None:
            self.share.publish(outcome)
        if outcome.unique_id in self.ready:
            self.ready[outcome.unique_id].set()

    def wait(self, uid: str, pump: Callable[[], None] | None = None, poll: float = 0.1) -> NodeOutcome:
        """Block until ``uid`` has its outcome, calling ``pump`` while waiting."""
        event = self.ready[uid]
        while not event.wait(poll):
            if pump is not None:
                pump()
        if pump is not None:
            pump()
        return self.outcomes[uid]

    def stop(self, timeout: float = 60.0) -> None:
        """Cancel a running build and wait for it to wind down (Ctrl+C, pytest -x)."""
        if self._thread is None:
            return
        if not self.done.is_set():
            self.cancel_requested.set()
        deadline = time.monotonic() + timeout
        while not self.done.wait(0.1) and time.monotonic() < deadline:
            pass


class SkipReasons:
    """Why dbt skipped each node of a build: the failed ancestors (or tests) it names. An
    ephemeral model that failed to compile has no item: exactly one of the children dbt skipped
    for it carries its error (the first by id), the others are skips naming it."""

    def __init__(self, graph: Any, by_id: dict[str, NodeResult], ids: list[str], stdout: str) -> None:
        self.graph = graph
        self.failed = {uid: f"{kind_name(n)} {n.name} ({n.error_class})" for uid, n in by_id.items() if n.failed}
        self.carrier: dict[str, str] = {}
        for uid in sorted(ids):
            parent = by_id[uid].ephemeral_parent if uid in by_id else None
            if parent:
                self.carrier.setdefault(parent, uid)
        self.lines = stdout.splitlines()

    def explain(self, outcome: NodeOutcome, node: NodeResult) -> None:
        """Set the outcome's upstream failures, or the ephemeral model's error it carries."""
        parent = node.ephemeral_parent
        if not parent:
            if node.status == Status.SKIPPED:
                outcome.upstream_failures = self.graph.why_skipped(node.unique_id, self.failed)
            return
        # The ephemeral model's own error is only in dbt's lines.
        error = failure_block(self.lines, parent.split(".")[-1]) or None
        if error is not None and self.carrier[parent] == node.unique_id:
            outcome.build_error = error
        elif error is not None:
            outcome.upstream_failures = [f"ephemeral model {parent.split('.')[-1]} (compilation error)"]
        else:  # the ephemeral model has no error of its own: dbt skipped what it reads
            outcome.upstream_failures = self.graph.why_skipped(parent, self.failed)
