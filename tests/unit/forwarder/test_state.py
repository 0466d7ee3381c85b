"""Durable state and outbox: a SIGKILL at any step loses and duplicates nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fwd_helpers import Rig, write_spool

from forwarder.errors import SpoolLocked, StateError
from forwarder.state import ZERO_HASH, ChainState, StateStore


class Crash(BaseException):
    """Stands for SIGKILL: nothing after it runs, no cleanup code sees it."""


def test_state_round_trips_and_is_written_atomically(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    assert store.load() is None
    state = ChainState(epoch=9, batch_seq=3, batch_hash=b"\x07" * 32, acked_seq=40)
    store.save(state)
    assert store.load() == state
    assert sorted(p.name for p in (tmp_path / "forwarder").iterdir()) == ["lock", "outbox", "quarantine", "state.json"]
    assert ChainState.start(5, 0) == ChainState(5, 0, ZERO_HASH, 0)


@pytest.mark.parametrize("content", [b"{", b'{"format": 2}', b'{"format": 1, "epoch": -1}', b"\xff"])
def test_unreadable_state_is_an_error_not_a_restart_from_zero(tmp_path: Path, content: bytes) -> None:
    store = StateStore(tmp_path)
    (tmp_path / "forwarder" / "state.json").write_bytes(content)
    with pytest.raises(StateError):
        store.load()


def test_second_forwarder_on_one_spool_is_refused(tmp_path: Path) -> None:
    first = StateStore(tmp_path)
    with pytest.raises(SpoolLocked):
        StateStore(tmp_path)
    first.close()
    StateStore(tmp_path).close()


def test_quarantine_keeps_frame_and_reason(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    path = store.quarantine(b"frame", 3, 7, {"reason": "too_large", "status": 413})
    assert path.read_bytes() == b"frame"
    assert json.loads(path.with_suffix(".json").read_text())["reason"] == "too_large"
    assert store.quarantined() == [(path, {"reason": "too_large", "status": 413})]


def _crash_at(rig: Rig, monkeypatch: pytest.MonkeyPatch, target: object, name: str, after: bool) -> None:
    """Make target.name kill the process the first time: before it runs, or right after it ran."""
    original = getattr(target, name)
    state = {"done": False}

    def wrapper(*args: object, **kwargs: object) -> object:
        if state["done"]:
            return original(*args, **kwargs)
        state["done"] = True
        if not after:
            raise Crash
        original(*args, **kwargs)
        raise Crash

    monkeypatch.setattr(target, name, wrapper)


CRASH_POINTS = [
    # (object attribute on the forwarder, method, crash after it ran?)
    ("shipper", "ship", False),     # outbox written, nothing POSTed
    ("shipper", "ship", True),      # collector stored it, the OK never processed
    ("store", "save", False),       # OK received, state not advanced
    ("store", "save", True),        # state advanced, spool not acked
    ("reader", "ack", True),        # spool acked, outbox not deleted
    ("store", "delete", True),      # everything done (outbox deleted) but the loop never went on
]


@pytest.mark.parametrize(("part", "method", "after"), CRASH_POINTS)
@pytest.mark.parametrize("crash_on_batch", [1, 2])
def test_crash_at_every_step_loses_and_duplicates_nothing(
    rig: Rig, monkeypatch: pytest.MonkeyPatch, part: str, method: str, after: bool, crash_on_batch: int
) -> None:
    seqs = write_spool(rig.spool, 10)
    fwd = rig.forwarder()
    if crash_on_batch == 2:
        fwd.start()
        fwd._pump(final=False)  # ships batches 1 and 2 (max_count 4); nothing crashes yet
        fwd._settle_inflight()  # batch 2 may still be on the shipping thread
        first = len(rig.collector.stored)
        assert first == 2
    target = getattr(fwd, part)
    with monkeypatch.context() as m:
        _crash_at(rig, m, target, method, after)
        with pytest.raises(Crash):
            fwd.drain(max_wait=600)
    fwd = rig.forwarder()  # restart: fresh reader, store, batcher on the same directories
    assert fwd.drain(max_wait=600) is True
    assert rig.collector.seqs == seqs  # each record stored exactly once, in order
    assert rig.collector.chain_breaks == []
    assert fwd.reader.pending() == 0 and fwd.reader.acked_seq() == seqs[-1]
    assert list((rig.spool / "forwarder" / "outbox").iterdir()) == []
    assert fwd.counters["forwarder_batches_rejected_total"] == 0


def test_resent_outbox_frame_is_byte_identical(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    write_spool(rig.spool, 4)
    fwd = rig.forwarder()
    sent: list[bytes] = []
    original = fwd.shipper.ship

    def record_then_crash(frame: bytes) -> object:
        sent.append(frame)
        original(frame)
        raise Crash

    monkeypatch.setattr(fwd.shipper, "ship", record_then_crash)
    with pytest.raises(Crash):
        fwd.drain(max_wait=600)
    rig.clock.advance(100)  # a different created_s if it were re-sealed
    fwd = rig.forwarder()
    again: list[bytes] = []
    original2 = fwd.shipper.ship

    def record(frame: bytes) -> object:
        again.append(frame)
        return original2(frame)

    monkeypatch.setattr(fwd.shipper, "ship", record)
    assert fwd.drain(max_wait=600) is True
    assert again == sent  # the same bytes; the collector answered 409 replayed_batch
    assert fwd.counters["forwarder_batches_shipped_total"] == 1


def test_stale_outbox_is_deleted_without_resending(rig: Rig) -> None:
    write_spool(rig.spool, 4)
    fwd = rig.forwarder()
    assert fwd.drain(max_wait=600) is True
    frame = next(iter(rig.collector.stored.values()))
    store: StateStore = fwd.store
    store.put_outbox(frame, fwd.state.epoch, 1)  # as if the crash hit before the outbox delete
    requests = rig.collector.requests
    fwd = rig.forwarder()
    assert fwd.drain(max_wait=600) is True
    assert rig.collector.requests == requests
    assert list(store.outbox_dir.iterdir()) == []


def test_outbox_that_does_not_follow_the_state_is_refused(rig: Rig) -> None:
    write_spool(rig.spool, 8)
    fwd = rig.forwarder()
    assert fwd.drain(max_wait=600) is True
    frames = list(rig.collector.stored.values())
    rig.close()
    store = StateStore(rig.spool)
    state = store.load()
    assert state is not None
    store.save(ChainState(state.epoch, 0, ZERO_HASH, 0))
    store.put_outbox(frames[1], state.epoch, 2)  # batch 2 while the state says 0
    store.close()
    with pytest.raises(StateError, match="does not follow"):
        rig.forwarder().drain(max_wait=600)
