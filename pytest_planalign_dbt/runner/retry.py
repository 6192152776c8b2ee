"""Exponential backoff with jitter, and the one rule of what gets retried.

Only transient failures are retried: a locked DuckDB file, a dropped or
refused connection. Compilation, SQL and data-quality failures would fail the
same way again, and a missing executable never appears by waiting.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from . import adapters
from .attempts import Attempts, first_line
from .command import DbtCommand, replace_selection
from .invocation import Invocation
from .failures.classify import classify_message
from .failures.errors import DbtCommandError, DbtTransientError
from .failures.kinds import Kind, Status
from .results import NodeResult
from .secrets import Redactor

log = logging.getLogger(__name__)
T = TypeVar("T")
LOCK_POLL = 2.0  # seconds between tries at a locked DuckDB file, once the usual attempts are spent


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry transient failures."""

    max_attempts: int = 3
    base_delay: float = 1.0
    max_delay: float = 60.0
    backoff_factor: float = 2.0
    jitter: float = 0.25
    # A DuckDB file locked by another process (a build in another session holds it for as long as
    # it runs): retried past max_attempts until this many seconds after the first attempt.
    lock_wait: float = 120.0

    def __post_init__(self) -> None:
        if isinstance(self.max_attempts, bool) or not isinstance(self.max_attempts, int) or self.max_attempts < 1:
            raise DbtCommandError(f"max_attempts must be an int >= 1, got {self.max_attempts!r}")
        for name in ("base_delay", "max_delay", "lock_wait"):
            if getattr(self, name) < 0:
                raise DbtCommandError(f"{name} must be >= 0 seconds, got {getattr(self, name)!r}")
        if self.backoff_factor < 1:
            raise DbtCommandError(f"backoff_factor must be >= 1, got {self.backoff_factor!r}")
        if not 0 <= self.jitter <= 1:
            raise DbtCommandError(f"jitter must be between 0 and 1, got {self.jitter!r}")

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        raw = min(self.max_delay, self.base_delay * self.backoff_factor ** (attempt - 1))
        spread = (rng or random).uniform(1 - self.jitter, 1 + self.jitter)
        return min(self.max_delay, raw * spread)


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, DbtTransientError)


def retry_with_backoff(
    func: Callable[[], T],
    max_attempts: int = 3,
    base_delay: float = 1.0,
    max_delay: float = 60.0,
    backoff_factor: float = 2.0,
    *,
    jitter: float = 0.25,
    retry_on: Callable[[BaseException], bool] = is_transient,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[int, BaseException, float], None] | None = None,
) -> T:
    """Call ``func`` until it returns, retrying only errors ``retry_on`` accepts."""
    policy = RetryPolicy(max_attempts, base_delay, max_delay, backoff_factor, jitter)
    attempt = 1
    while True:
        try:
            return func()
        except Exception as exc:
            if attempt >= policy.max_attempts or not retry_on(exc):
                raise
            wait = policy.delay(attempt)
            log.warning(
                "attempt %d/%d failed (%s); retrying in %.2fs",
                attempt, policy.max_attempts, type(exc).__name__, wait,
            )
            if on_retry is not None:
                on_retry(attempt, exc, wait)
            sleep(wait)
            attempt += 1


def plan_retry(original: DbtCommand, inv: Invocation) -> DbtCommand | None:
    """What to re-run after a transient failure, or None when nothing should be retried."""
    failed = [n for n in inv.nodes if n.failed]
    if not failed:
        # dbt could not start (e.g. a DuckDB lock at connection time): all again if transient.
        if inv.fatal and not inv.timed_out and classify_message(inv.fatal) == Kind.TRANSIENT:
            return original
        return None
    selectors = _rerun_selectors(inv, failed)
    if not selectors:
        return None
    return DbtCommand(
        subcommand=original.subcommand,
        argv=replace_selection(original.argv, selectors),
        vars=original.vars,
    )


def _rerun_selectors(inv: Invocation, failed: list[NodeResult]) -> list[str]:
    """The transient failures and the children they made dbt skip, unless another failure
    blocks those children anyway."""
    graph = inv.graph
    transient = {n.unique_id for n in failed if n.error_class == Kind.TRANSIENT}
    if not transient or graph is None:
        return []
    blocked = graph.descendants(n.unique_id for n in failed if n.error_class != Kind.TRANSIENT)
    skipped = {n.unique_id for n in inv.nodes if n.status == Status.SKIPPED}
    rerun = transient | ((graph.descendants(transient) & skipped) - blocked)
    return sorted(filter(None, (graph.selector(uid) for uid in rerun)))


def run_with_retries(command: DbtCommand, run_once: Callable[[DbtCommand], Invocation], policy: RetryPolicy,
                     redact: Redactor, rng: random.Random) -> Attempts:
    """Run ``command``, then after each transient failure (and its backoff) what plan_retry says."""
    attempts = Attempts(command, redact)
    current: DbtCommand | None = command
    while current is not None:
        inv = attempts.add(run_once(current))
        current = _next_attempt(command, inv, attempts, policy, rng)
    return attempts


def _next_attempt(command: DbtCommand, inv: Invocation, attempts: Attempts, policy: RetryPolicy,
                  rng: random.Random) -> DbtCommand | None:
    """The command to run next after a transient failure (after the backoff), or None."""
    error = attempts.error
    if error is None or inv.cancelled or inv.timed_out:
        return None
    holder = adapters.lock_holder(error.dbt_message)
    waited = time.monotonic() - attempts.started
    if attempts.count >= policy.max_attempts and (holder is None or waited >= policy.lock_wait):
        return None
    retry_command = plan_retry(command, inv)
    if retry_command is None:
        return None
    wait = policy.delay(attempts.count, rng)
    if holder is not None and attempts.count >= policy.max_attempts:
        # Polled, so the file is taken soon after the other build lets it go.
        wait = max(0.0, min(wait, LOCK_POLL, policy.lock_wait - waited))
    if holder is not None:
        log.warning("dbt: %s is locked by %s (PID %s); waiting for it (%.0fs of --dbt-lock-wait %.0fs)",
                    holder["file"], holder["exe"], holder["pid"], waited, policy.lock_wait)
    log.warning(
        "transient dbt failure (attempt %d/%d): %s; retrying %s in %.2fs",
        attempts.count, policy.max_attempts, first_line(error.dbt_message),
        "the failed nodes" if retry_command is not command else "the command", wait,
    )
    time.sleep(wait)
    return retry_command
