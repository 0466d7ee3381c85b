"""The loop with a fake collector behind MockTransport and a fake clock."""

from __future__ import annotations

import pytest
from fwd_helpers import Rig, sidecars, write_spool
from structlog.testing import capture_logs

from alertwire.spool import SpoolReader


def events(logs: list[dict[str, object]], name: str) -> list[dict[str, object]]:
    return [e for e in logs if e["event"] == name]


def test_drain_ships_everything_once_in_order_and_empties_the_spool(rig: Rig) -> None:
    seqs = write_spool(rig.spool, 23)
    fwd = rig.forwarder()
    with capture_logs() as logs:
        assert fwd.drain(max_wait=600) is True
    assert rig.collector.seqs == seqs
    assert [h.batch_seq for h in rig.collector.headers] == list(range(1, 7))  # 4 per batch across segments
    assert [h.count for h in rig.collector.headers] == [4, 4, 4, 4, 4, 3]
    assert rig.collector.chain_breaks == []
    assert fwd.counters["forwarder_alerts_shipped_total"] == 23
    assert fwd.counters["forwarder_batches_shipped_total"] == 6
    assert fwd.reader.pending() == 0 and fwd.reader.acked_seq() == seqs[-1]
    assert list((rig.spool / "forwarder" / "outbox").iterdir()) == []
    assert len(events(logs, "batch_shipped")) == 6 and events(logs, "drain_finished")
    assert events(logs, "stats")[-1]["forwarder_batches_shipped_total"] == 6


def test_503_then_200_ships_everything_once(rig: Rig) -> None:
    seqs = write_spool(rig.spool, 6)
    rig.collector.answer(503, {"error": "overloaded"})
    rig.collector.answer(503, None, {"retry-after": "2"})
    fwd = rig.forwarder()
    with capture_logs() as logs:
        assert fwd.drain(max_wait=600) is True
    assert rig.collector.seqs == seqs
    assert fwd.counters["forwarder_batches_retried_total"] == 2
    assert fwd.counters["forwarder_batches_shipped_total"] == 2
    retries = events(logs, "batch_retry_scheduled")
    assert [r["reason"] for r in retries] == ["overloaded", "http_503"]
    assert retries[1]["delay_s"] == 2.0  # Retry-After honoured
    assert 2.0 in rig.clock.slept


def test_transport_errors_retry_with_jitter_until_delivered(rig: Rig) -> None:
    seqs = write_spool(rig.spool, 3)
    import httpx

    calls = {"n": 0}
    real = rig.collector.handler

    def flaky(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] <= 3:
            raise httpx.ConnectError("connection refused")
        return real(request)

    rig.collector.handler = flaky  # type: ignore[method-assign]
    fwd = rig.forwarder()
    assert fwd.drain(max_wait=600) is True
    assert rig.collector.seqs == seqs
    assert fwd.counters["forwarder_batches_retried_total"] == 3
    assert all(0 <= s <= 8.0 for s in rig.clock.slept)


def test_400_quarantines_the_batch_with_the_reason_and_moves_on(rig: Rig) -> None:
    seqs = write_spool(rig.spool, 8)
    rig.collector.answer(400, {"error": "malformed_batch"})
    fwd = rig.forwarder()
    with capture_logs() as logs:
        assert fwd.drain(max_wait=600) is True
    assert rig.collector.seqs == seqs[4:]  # the first batch was rejected, the second stored
    assert [h.batch_seq for h in rig.collector.headers] == [2]  # the chain advanced past the rejected one
    assert rig.collector.chain_breaks == [2]  # the collector sees the hole and reports it
    (side,) = sidecars(rig.spool)
    assert side["reason"] == "malformed_batch" and side["status"] == 400
    assert (side["first_seq"], side["last_seq"], side["count"], side["batch_seq"]) == (seqs[0], seqs[3], 4, 1)
    frames = list((rig.spool / "forwarder" / "quarantine").glob("*.frame"))
    assert len(frames) == 1
    assert fwd.counters["forwarder_batches_rejected_total"] == 1
    assert fwd.reader.pending() == 0
    (rejected,) = events(logs, "batch_rejected")
    assert rejected["reason"] == "malformed_batch" and rejected["log_level"] == "error"


def test_409_replayed_counts_as_delivered(rig: Rig) -> None:
    seqs = write_spool(rig.spool, 4)
    rig.collector.answer(409, {"error": "replayed_batch"})
    fwd = rig.forwarder()
    assert fwd.drain(max_wait=600) is True
    assert fwd.counters["forwarder_batches_shipped_total"] == 1
    assert fwd.counters["forwarder_batches_rejected_total"] == 0
    assert fwd.reader.acked_seq() == seqs[-1] and sidecars(rig.spool) == []


def test_409_conflict_is_rejected(rig: Rig) -> None:
    write_spool(rig.spool, 4)
    rig.collector.answer(409, {"error": "batch_conflict"})
    fwd = rig.forwarder()
    assert fwd.drain(max_wait=600) is True
    assert [s["reason"] for s in sidecars(rig.spool)] == ["batch_conflict"]


def test_unknown_key_retries_loudly_with_the_long_cap_and_loses_nothing(rig: Rig) -> None:
    seqs = write_spool(rig.spool, 4)
    for _ in range(12):
        rig.collector.answer(403, {"error": "unknown_key"})
    fwd = rig.forwarder()
    with capture_logs() as logs:
        assert fwd.drain(max_wait=600) is True
    assert rig.collector.seqs == seqs
    failed = events(logs, "forwarder_auth_failed")
    assert len(failed) == 12 and failed[0]["log_level"] == "error"
    assert max(rig.clock.slept) > 8.0  # beyond the ordinary cap, within the auth cap
    assert max(rig.clock.slept) <= 60.0
    assert fwd.counters["forwarder_auth_failures_total"] == 12


def test_max_wait_gives_up_and_loses_nothing(rig: Rig) -> None:
    seqs = write_spool(rig.spool, 4)
    for _ in range(1000):
        rig.collector.answer(503)
    fwd = rig.forwarder()
    with capture_logs() as logs:
        assert fwd.drain(max_wait=30.0) is False
    assert events(logs, "drain_abandoned")
    assert fwd.reader.pending() == 4
    assert len(list((rig.spool / "forwarder" / "outbox").glob("*.frame"))) == 1
    rig.collector.script.clear()
    fwd = rig.forwarder()
    assert fwd.drain(max_wait=600) is True
    assert rig.collector.seqs == seqs


def test_seq_gaps_are_shipped_as_gaps_not_filled(rig: Rig) -> None:
    from fwd_helpers import SENSOR_ID, alert

    from alertwire import encode_alert
    from alertwire.spool import SpoolWriter

    body = encode_alert(alert(0))
    with SpoolWriter(rig.spool, sensor_id=SENSOR_ID, fsync=False, max_bytes=600) as w:
        first = [w.append(body) for _ in range(2)]
        w.seal()
        second = [w.append(body) for _ in range(2)]
        w.seal()
        dropped = [w.append(body) for _ in range(20)]
        assert first == [1, 2] and second == [3, 4] and None in dropped  # full: seqs consumed, alerts dropped
        with SpoolReader(rig.spool) as r:
            r.ack(2)  # frees the first segment
        later = w.append(body)
        w.seal()
    assert later is not None and later > 5
    rig.max_count = 100
    fwd = rig.forwarder()
    assert fwd.drain(max_wait=600) is True
    kept = [s for s in second + dropped + [later] if s is not None]
    assert rig.collector.seqs == kept
    (header,) = rig.collector.headers
    assert header.count == len(kept) < header.last_seq - header.first_seq + 1  # one batch across the gap


def test_run_waits_max_age_for_a_partial_batch_then_stops(rig: Rig) -> None:
    write_spool(rig.spool, 2)  # fewer than max_count: only age closes it
    fwd = rig.forwarder()
    ticks = {"n": 0}

    def stop() -> bool:
        ticks["n"] += 1
        return rig.collector.seqs != [] or ticks["n"] > 100

    start = rig.clock.now
    with capture_logs() as logs:
        fwd.run(stop)
    assert rig.collector.seqs == [1, 2]
    assert rig.clock.now - start >= 1.0  # it waited max_age (fake time)
    assert events(logs, "forwarder_stopped")


def test_ruleset_change_splits_batches(rig: Rig) -> None:
    write_spool(rig.spool, 3, ruleset=("r1", b"\x01"), per_segment=3)
    write_spool(rig.spool, 3, start=3, ruleset=("r2", b"\x02"), per_segment=3)
    fwd = rig.forwarder(read_limit=100)
    assert fwd.drain(max_wait=600) is True
    assert [(h.ruleset_version, h.count) for h in rig.collector.headers] == [("r1", 3), ("r2", 3)]


def test_corrupt_segment_is_quarantined_counted_and_the_rest_shipped(rig: Rig) -> None:
    write_spool(rig.spool, 30)  # three segments of 10
    segments = sorted(rig.spool.glob("*.seg"))
    data = bytearray(segments[1].read_bytes())
    data[-3] ^= 0xFF  # damage the last record of the middle segment
    segments[1].write_bytes(bytes(data))
    fwd = rig.forwarder()
    with capture_logs() as logs:
        assert fwd.drain(max_wait=600) is True
    assert rig.collector.seqs == list(range(1, 20)) + list(range(21, 31))
    assert fwd.counters["forwarder_spool_corruptions_total"] == 1
    assert events(logs, "spool_corruption_found")
    assert len(list((rig.spool / "corrupt").iterdir())) == 1


@pytest.mark.parametrize("second_epoch_records", [3])
def test_new_spool_epoch_starts_a_new_chain(rig: Rig, second_epoch_records: int) -> None:
    write_spool(rig.spool, 4)
    assert rig.forwarder().drain(max_wait=600) is True
    rig.close()
    reader = SpoolReader(rig.spool)
    old_epoch = reader.epoch
    reader.close()
    # the operator recreates the spool (new epoch); the forwarder's state dir stays
    for p in rig.spool.iterdir():
        if p.is_file():
            p.unlink()
    write_spool(rig.spool, second_epoch_records)
    fwd = rig.forwarder()
    with capture_logs() as logs:
        assert fwd.drain(max_wait=600) is True
    assert events(logs, "spool_epoch_changed")
    new = rig.collector.headers[-1]
    assert new.epoch != old_epoch and new.batch_seq == 1 and new.prev_hash == bytes(32)
