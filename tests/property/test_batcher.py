"""Batcher properties (STYLE.md section 6.2): across any interleaving of adds, clock jumps, due
checks and flushes, no record is lost or duplicated, order is preserved, the count and byte
limits hold (a lone oversized record excepted), and a batch never mixes rule sets."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from alertwire import build_body
from forwarder.batcher import Batch, Batcher
from forwarder.clock import FakeClock


@dataclass(frozen=True)
class Rec:
    seq: int
    body: bytes
    ruleset_version: str
    ruleset_hash: bytes


RULESETS = [("r1", b"\x01"), ("r1", b"\x02"), ("r2", b"\x02")]

ops = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(1, 5), st.integers(0, 300), st.integers(0, len(RULESETS) - 1)),
        st.tuples(st.just("tick"), st.floats(0, 3, allow_nan=False)),
        st.tuples(st.just("due")),
        st.tuples(st.just("flush")),
    ),
    max_size=120,
)


@settings(max_examples=300, deadline=None)
@given(
    ops=ops,
    max_count=st.integers(1, 12),
    max_bytes=st.integers(1, 2000),
    max_age=st.floats(0, 2, allow_nan=False),
)
def test_no_loss_no_duplicate_order_limits_one_ruleset(
    ops: list[tuple], max_count: int, max_bytes: int, max_age: float
) -> None:
    clock = FakeClock()
    b = Batcher(clock, max_count=max_count, max_bytes=max_bytes, max_age=max_age)
    added: list[Rec] = []
    out: list[Batch] = []
    seq = 0
    for op in ops:
        if op[0] == "add":
            seq += op[1]  # seqs skip: the sensor may have dropped some
            version, rhash = RULESETS[op[3]]
            rec = Rec(seq, bytes(op[2]), version, rhash)
            added.append(rec)
            out.extend(b.add(rec))
            assert len(b) <= max_count
        elif op[0] == "tick":
            clock.advance(op[1])
        elif op[0] == "due":
            batch = b.due()
            if batch is not None:
                out.append(batch)
            else:
                assert not len(b) or b.time_to_due() > 0  # type: ignore[operator]
        else:
            batch = b.flush()
            if batch is not None:
                out.append(batch)
    final = b.flush()
    if final is not None:
        out.append(final)

    shipped = [r for batch in out for r in batch.records]
    assert shipped == added  # nothing lost, nothing repeated, same order
    for batch in out:
        assert 1 <= batch.count <= max_count
        body = build_body([(r.seq, r.body) for r in batch.records])
        assert len(body) <= batch.size
        if batch.count > 1:
            assert batch.size <= max_bytes
        assert {(r.ruleset_version, r.ruleset_hash) for r in batch.records} == {
            (batch.ruleset_version, batch.ruleset_hash)
        }
        assert [r.seq for r in batch.records] == sorted({r.seq for r in batch.records})
