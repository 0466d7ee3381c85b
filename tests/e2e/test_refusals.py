"""The collector process refuses what it cannot trust, each with its own reason, and stores none of it;
a batch that leaves a hole in the chain is stored and the hole is reported."""

from __future__ import annotations

from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from processes import Collector, Sensor, make_sensor, run

import alertwire as aw
from alertwire import Alert, BatchHeader, Direction, encode_alert


def _frame(sensor_id: str, key: Ed25519PrivateKey, batch_seq: int, first: int, last: int,
           prev_hash: bytes = bytes(32)) -> bytes:
    records = [
        (seq, encode_alert(Alert(ts_us=1_700_000_000_000_000 + seq, gid=1, sid=9000001, rev=1, proto=6,
                                 src_ip=bytes([10, 0, 0, 1]), src_port=40000 + seq, dest_ip=bytes([10, 0, 0, 2]),
                                 dest_port=80, flow_id=seq, direction=Direction.TO_SERVER)))
        for seq in range(first, last + 1)
    ]
    header = BatchHeader(
        sensor_id=sensor_id, epoch=77, batch_seq=batch_seq, prev_hash=prev_hash, first_seq=first, last_seq=last,
        count=len(records), clock=aw.CLOCK_SYNCHRONISED, ruleset_version="test", ruleset_hash=bytes(32),
        compression=aw.COMPRESSION_ZSTD, created_s=1_700_000_100,
    )
    return aw.seal(header, aw.build_body(records), aw.key_id(key.public_key()), key)


def _post(collector: Collector, frame: bytes) -> httpx.Response:
    return httpx.post(f"{collector.url}/v1/batches", content=frame,
                      headers={"content-type": "application/octet-stream"}, timeout=30)


def test_forged_replayed_unknown_and_revoked_are_refused(tmp_path: Path, collector: Collector,
                                                         sensor: Sensor) -> None:
    key = aw.load_private_key(sensor.private_key)
    collector.enroll(sensor.sensor_id, sensor.public_key)
    first = _frame(sensor.sensor_id, key, 1, 1, 10)
    assert _post(collector, first).status_code == 200
    batch1_hash = aw.parse_frame(first).batch_hash

    answers = {}
    second = _frame(sensor.sensor_id, key, 2, 11, 20, batch1_hash)
    flipped = bytearray(second)
    flipped[len(second) - 100] ^= 0x01  # a bit inside the payload
    answers["bit flip"] = _post(collector, bytes(flipped))
    answers["replay"] = _post(collector, first)
    stranger = Ed25519PrivateKey.generate()
    answers["unknown key"] = _post(collector, _frame(sensor.sensor_id, stranger, 2, 11, 20, batch1_hash))
    run_revoke = make_sensor(tmp_path, "pk-punjab-02")
    revoked_key = aw.load_private_key(run_revoke.private_key)
    collector.enroll(run_revoke.sensor_id, run_revoke.public_key, sector="punjab")
    run("collector", "revoke", "--data", str(collector.data), "--sensor-id", run_revoke.sensor_id)
    answers["revoked key"] = _post(collector, _frame(run_revoke.sensor_id, revoked_key, 1, 1, 5))

    codes = {name: (r.status_code, r.json()["error"]) for name, r in answers.items()}
    assert codes == {
        "bit flip": (401, "bad_signature"),
        "replay": (409, "replayed_batch"),
        "unknown key": (403, "unknown_key"),
        "revoked key": (410, "revoked_key"),
    }
    assert all(r.json()["reason"] for r in answers.values())
    stored = collector.alerts()
    assert sorted(a["seq"] for a in stored) == list(range(1, 11))
    assert {a["sensor_id"] for a in stored} == {sensor.sensor_id}


def test_gap_in_the_chain_is_stored_and_reported(collector: Collector, sensor: Sensor) -> None:
    key = aw.load_private_key(sensor.private_key)
    collector.enroll(sensor.sensor_id, sensor.public_key)
    first = _frame(sensor.sensor_id, key, 1, 1, 10)
    assert _post(collector, first).status_code == 200
    third = _frame(sensor.sensor_id, key, 3, 21, 30, prev_hash=bytes(range(32)))  # batch 2 never arrives
    assert _post(collector, third).status_code == 200
    assert sorted(a["seq"] for a in collector.alerts()) == list(range(1, 11)) + list(range(21, 31))
    gaps = collector.gaps()
    text = str(gaps)
    assert gaps, "the missing batch is not reported"
    assert sensor.sensor_id in text
    assert "11" in text and "20" in text  # the alert seq range 11-20 that never arrived
