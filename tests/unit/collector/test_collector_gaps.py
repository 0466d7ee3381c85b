"""Gaps per (sensor, epoch): missing batches, missing alert seqs, chain breaks; closing."""

from __future__ import annotations

from collector_helpers import Identity
from structlog.testing import capture_logs

from collector.ingest import Accepted, Ingest
from collector.store import SqliteStore


def kinds(store: SqliteStore) -> list[tuple]:
    out = []
    for g in store.gaps():
        if g["kind"] == "chain_break":
            out.append((g["sensor_id"], g["epoch"], "chain_break", g["batch_seq"]))
        else:
            out.append((g["sensor_id"], g["epoch"], g["kind"], g["first"], g["last"]))
    return out


def test_no_gaps_in_a_clean_chain(ingest: Ingest, sensor: Identity, store: SqliteStore) -> None:
    for b in range(1, 4):
        assert isinstance(ingest.ingest(sensor.batch(b, [2 * b - 1, 2 * b])), Accepted)
    assert store.gaps() == []


def test_missing_batch_is_a_gap_until_it_arrives(ingest: Ingest, sensor: Identity, store: SqliteStore) -> None:
    b1 = sensor.batch(1, [1, 2])
    b2 = sensor.batch(2, [3, 4])
    b3 = sensor.batch(3, [5, 6])
    ingest.ingest(b1)
    with capture_logs() as logs:
        ingest.ingest(b3)
    gap_events = [e for e in logs if e["event"] == "gap_detected"]
    assert {(e["kind"], e["first"], e["last"]) for e in gap_events} == {("batch_seq", 2, 2), ("alert_seq", 3, 4)}
    assert kinds(store) == [("s1", 1, "batch_seq", 2, 2), ("s1", 1, "alert_seq", 3, 4)]
    with capture_logs() as logs:
        assert isinstance(ingest.ingest(b2), Accepted)
    assert not [e for e in logs if e["event"] == "gap_detected"]
    assert store.gaps() == []


def test_skipped_alert_seqs_inside_a_batch(ingest: Ingest, sensor: Identity, store: SqliteStore) -> None:
    with capture_logs() as logs:
        ingest.ingest(sensor.batch(1, [1, 2, 5, 6, 9]))
    assert [(e["first"], e["last"]) for e in logs if e["event"] == "gap_detected"] == [(3, 4), (7, 8)]
    assert kinds(store) == [("s1", 1, "alert_seq", 3, 4), ("s1", 1, "alert_seq", 7, 8)]


def test_first_batch_missing(ingest: Ingest, sensor: Identity, store: SqliteStore) -> None:
    sensor.batch(1, [1, 2])  # built, never delivered
    ingest.ingest(sensor.batch(2, [3]))
    assert kinds(store) == [("s1", 1, "batch_seq", 1, 1), ("s1", 1, "alert_seq", 1, 2)]


def test_epochs_are_separate_chains(ingest: Ingest, sensor: Identity, store: SqliteStore) -> None:
    ingest.ingest(sensor.batch(1, [1, 2]))
    ingest.ingest(sensor.batch(1, [1], epoch=2))
    ingest.ingest(sensor.batch(3, [7], epoch=2, prev_hash=bytes(32)))
    assert ("s1", 1) not in {(g["sensor_id"], g["epoch"]) for g in store.gaps()}
    assert ("s1", 2, "batch_seq", 2, 2) in kinds(store)


def test_chain_break_forward_and_backward(ingest: Ingest, sensor: Identity, store: SqliteStore) -> None:
    ingest.ingest(sensor.batch(1, [1]))
    with capture_logs() as logs:
        ingest.ingest(sensor.batch(2, [2], prev_hash=b"\x07" * 32))
    assert [e["kind"] for e in logs if e["event"] == "gap_detected"] == ["chain_break"]
    assert kinds(store) == [("s1", 1, "chain_break", 2)]
    # batch 4 arrives before 3; 3 then names a wrong predecessor... and 4 does not name 3
    b4_prev = b"\x09" * 32
    ingest.ingest(sensor.batch(4, [4], prev_hash=b4_prev))
    ingest.ingest(sensor.batch(3, [3], prev_hash=b"\x08" * 32))
    assert [k for k in kinds(store) if k[2] == "chain_break"] == [
        ("s1", 1, "chain_break", 2), ("s1", 1, "chain_break", 3), ("s1", 1, "chain_break", 4),
    ]  # fmt: skip
    break4 = next(g for g in store.gaps() if g.get("batch_seq") == 4)
    assert break4["prev_hash"] == b4_prev.hex()


def test_first_batch_must_start_from_zero_hash(ingest: Ingest, sensor: Identity, store: SqliteStore) -> None:
    ingest.ingest(sensor.batch(1, [1], prev_hash=b"\x01" * 32))
    assert kinds(store) == [("s1", 1, "chain_break", 1)]
