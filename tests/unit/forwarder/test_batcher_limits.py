from __future__ import annotations

from dataclasses import dataclass

import pytest

from alertwire import build_body
from forwarder.batcher import Batcher
from forwarder.clock import FakeClock


@dataclass(frozen=True)
class Rec:
    seq: int
    body: bytes = b"x" * 20
    ruleset_version: str = "r1"
    ruleset_hash: bytes = b"h1"


def test_closes_at_max_count() -> None:
    b = Batcher(FakeClock(), max_count=3)
    assert b.add(Rec(1)) == [] and b.add(Rec(2)) == []
    (batch,) = b.add(Rec(3))
    assert [r.seq for r in batch.records] == [1, 2, 3]
    assert (batch.first_seq, batch.last_seq, batch.count) == (1, 3, 3)
    assert len(b) == 0


def test_closes_before_a_record_would_exceed_max_bytes() -> None:
    b = Batcher(FakeClock(), max_count=100, max_bytes=100)
    assert b.add(Rec(1, b"a" * 40)) == []
    (batch,) = b.add(Rec(2, b"b" * 40))  # 5 + 50 + 50 > 100
    assert [r.seq for r in batch.records] == [1]
    assert batch.size >= len(build_body([(1, b"a" * 40)]))


def test_an_oversized_record_travels_alone() -> None:
    b = Batcher(FakeClock(), max_bytes=64)
    assert b.add(Rec(1, b"a" * 10)) == []
    first, alone = b.add(Rec(2, b"z" * 500))
    assert [r.seq for r in first.records] == [1] and [r.seq for r in alone.records] == [2]


def test_never_mixes_rulesets() -> None:
    b = Batcher(FakeClock())
    b.add(Rec(1))
    (batch,) = b.add(Rec(2, ruleset_hash=b"h2"))
    assert batch.ruleset_hash == b"h1" and [r.seq for r in batch.records] == [1]
    last = b.flush()
    assert last is not None and last.ruleset_hash == b"h2"


def test_due_by_age_on_the_injected_clock() -> None:
    clock = FakeClock()
    b = Batcher(clock, max_age=1.0)
    assert b.due() is None and b.time_to_due() is None
    b.add(Rec(1))
    clock.advance(0.4)
    assert b.due() is None and b.time_to_due() == pytest.approx(0.6)
    clock.advance(0.6)
    batch = b.due()
    assert batch is not None and batch.count == 1 and b.due() is None


def test_refuses_seqs_that_do_not_ascend() -> None:
    b = Batcher(FakeClock())
    b.add(Rec(5))
    with pytest.raises(ValueError):
        b.add(Rec(5))


def test_gaps_in_seq_are_kept_not_filled() -> None:
    b = Batcher(FakeClock())
    for s in (1, 2, 7):
        b.add(Rec(s))
    batch = b.flush()
    assert batch is not None and (batch.first_seq, batch.last_seq, batch.count) == (1, 7, 3)
