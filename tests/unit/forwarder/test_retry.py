from __future__ import annotations

import random

import pytest

from forwarder.retry import RetryPolicy, backoff, next_delay


def test_full_jitter_stays_under_the_exponential_ceiling_and_the_cap() -> None:
    rng = random.Random(7)
    for attempt in range(80):
        d = backoff(attempt, 0.5, 30.0, rng)
        assert 0.0 <= d <= min(30.0, 0.5 * 2**attempt)


def test_seeded_schedule_is_reproducible() -> None:
    a = [backoff(i, 1.0, 60.0, random.Random(3)) for i in range(10)]
    b = [backoff(i, 1.0, 60.0, random.Random(3)) for i in range(10)]
    assert a == b


class Max:
    def uniform(self, a: float, b: float) -> float:
        return b


def test_ceiling_doubles_then_caps() -> None:
    assert [backoff(i, 1.0, 10.0, Max()) for i in range(6)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_auth_failures_use_the_long_cap() -> None:
    policy = RetryPolicy(base=1.0, cap=10.0, auth_cap=300.0)
    assert next_delay(20, policy, Max()) == 10.0
    assert next_delay(20, policy, Max(), auth=True) == 300.0


def test_retry_after_is_honoured_and_capped() -> None:
    policy = RetryPolicy(base=1.0, cap=10.0)
    assert next_delay(0, policy, Max(), retry_after=4.0) == 4.0
    assert next_delay(0, policy, Max(), retry_after=3600.0) == 10.0
    assert next_delay(0, policy, Max(), retry_after=-5.0) == 0.0


def test_bad_policy_and_attempt_are_refused() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(base=0)
    with pytest.raises(ValueError):
        backoff(-1, 1.0, 2.0, Max())
