"""Full-jitter backoff (step 9 of 10): how long to wait before the next attempt.

Pure: delay = uniform(0, min(cap, base * 2**attempt)) from an injected random source, so a
seeded Random gives a reproducible schedule (AWS "full jitter"; the engine owns backoff, not
the shipper). A collector's Retry-After is honoured, capped by the same cap. There is no
give-up: a batch is retried until it is delivered or rejected, because the spool is the
buffer and a long collector outage must not lose data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Protocol


class RandomSource(Protocol):
    def uniform(self, a: float, b: float) -> float: ...


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base: float = field(default=0.5, metadata={"doc": "seconds; the first retry waits up to this"})
    cap: float = field(default=30.0, metadata={"doc": "seconds; no retry waits longer (transport errors, 5xx)"})
    auth_cap: float = field(
        default=300.0, metadata={"doc": "seconds; cap while the collector does not know our key (403 unknown_key)"}
    )

    def __post_init__(self) -> None:
        if self.base <= 0 or self.cap < self.base or self.auth_cap < self.base:
            raise ValueError("retry policy needs 0 < base <= cap and base <= auth_cap")


def backoff(attempt: int, base: float, cap: float, rng: RandomSource) -> float:
    """Full-jitter delay before retry number `attempt` (0 for the first retry)."""
    if attempt < 0:
        raise ValueError("attempt must be >= 0")
    ceiling = cap if attempt >= 64 else min(cap, base * (2.0 ** attempt))
    return rng.uniform(0.0, ceiling)


def next_delay(
    attempt: int, policy: RetryPolicy, rng: RandomSource, *, auth: bool = False, retry_after: float | None = None
) -> float:
    """The delay for this retry: Retry-After when the collector sent one (capped), else full jitter."""
    cap = policy.auth_cap if auth else policy.cap
    if retry_after is not None:
        return min(max(retry_after, 0.0), cap)
    return backoff(attempt, policy.base, cap, rng)


def seeded(seed: int | None = None) -> random.Random:
    """A random source for the schedule; tests pass a seed."""
    return random.Random(seed)
