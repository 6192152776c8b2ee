from __future__ import annotations

import random

import pytest

from pytest_planalign_dbt.runner.failures.errors import (
    DbtCommandError,
    DbtCompilationError,
    DbtTransientError,
)
from pytest_planalign_dbt.runner.retry import RetryPolicy, retry_with_backoff


def test_delays_grow_exponentially_within_jitter_and_cap() -> None:
    policy = RetryPolicy(max_attempts=6, base_delay=1.0, max_delay=5.0, backoff_factor=2.0, jitter=0.25)
    rng = random.Random(1)
    for attempt, raw in [(1, 1.0), (2, 2.0), (3, 4.0)]:
        delays = [policy.delay(attempt, rng) for _ in range(50)]
        assert all(raw * 0.75 <= d <= raw * 1.25 for d in delays)
        assert len(set(delays)) > 1  # jitter spreads retries of parallel callers
    assert all(policy.delay(5, rng) <= 5.0 for _ in range(50))
    assert RetryPolicy(jitter=0).delay(2) == 2.0


@pytest.mark.parametrize(
    "kwargs",
    [{"max_attempts": 0}, {"max_attempts": True}, {"base_delay": -1}, {"max_delay": -1},
     {"backoff_factor": 0.5}, {"jitter": 2}],
)
def test_bad_policy_is_refused(kwargs) -> None:
    with pytest.raises(DbtCommandError):
        RetryPolicy(**kwargs)


def test_retries_transient_until_success() -> None:
    calls, sleeps, seen = [], [], []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise DbtTransientError("Could not set lock on file")
        return "ok"

    result = retry_with_backoff(
        flaky, max_attempts=3, base_delay=0.5, sleep=sleeps.append,
        on_retry=lambda n, exc, wait: seen.append(n),
    )
    assert result == "ok" and len(calls) == 3
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0] * 1.1
    assert seen == [1, 2]


def test_gives_up_after_max_attempts() -> None:
    calls = []

    def always() -> None:
        calls.append(1)
        raise DbtTransientError("Conflicting lock is held")

    with pytest.raises(DbtTransientError):
        retry_with_backoff(always, max_attempts=4, base_delay=0, sleep=lambda s: None)
    assert len(calls) == 4


@pytest.mark.parametrize(
    "exc", [DbtCompilationError("Compilation Error"), FileNotFoundError("dbt"), ValueError("x")]
)
def test_never_retries_other_failures(exc) -> None:
    calls = []

    def fail() -> None:
        calls.append(1)
        raise exc

    with pytest.raises(type(exc)):
        retry_with_backoff(fail, max_attempts=5, base_delay=0, sleep=lambda s: None)
    assert len(calls) == 1
