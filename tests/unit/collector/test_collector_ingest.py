"""The sans-IO pipeline: every refusal code, nothing stored on refusal, idempotence, events."""

from __future__ import annotations

from pathlib import Path

import msgpack
import pytest
from collector_helpers import Identity, make_alert, new_identity
from structlog.testing import capture_logs

import alertwire
from alertwire.envelope import MAGIC
from collector.ingest import Accepted, Ingest
from collector.keys import enroll, revoke
from collector.refusals import REFUSALS, Refusal
from collector.store import AlertQuery, SqliteStore


def counts(store: SqliteStore) -> tuple[int, int]:
    conn = store._conn()
    return conn.execute("SELECT COUNT(*) FROM batches").fetchone()[0], conn.execute(
        "SELECT COUNT(*) FROM alerts"
    ).fetchone()[0]


def refused(outcome: object, code: str) -> Refusal:
    assert isinstance(outcome, Refusal), outcome
    assert outcome.code == code, outcome
    assert outcome.status == REFUSALS[code].status
    assert outcome.reason
    return outcome


def test_stores_a_batch(ingest: Ingest, sensor: Identity, store: SqliteStore) -> None:
    with capture_logs() as logs:
        out = ingest.ingest(sensor.batch(1, [1, 2, 3]))
    assert out == Accepted(batch_seq=1, stored=3, duplicates=0)
    assert out.as_json() == {"status": "stored", "batch_seq": 1, "stored": 3, "duplicates": 0}
    assert counts(store) == (1, 3)
    assert [e["event"] for e in logs] == ["batch_stored"]
    rows = store.alerts(AlertQuery())
    assert [r["seq"] for r in rows] == [1, 2, 3]
    assert rows[0]["flow_id"] == (1 << 63) + 1  # unsigned 64-bit survives the signed column
    assert rows[0]["sector"] == "telecom"


@pytest.mark.parametrize("compression", [alertwire.COMPRESSION_NONE, alertwire.COMPRESSION_ZLIB])
def test_every_compression(ingest: Ingest, sensor: Identity, compression: int) -> None:
    assert isinstance(ingest.ingest(sensor.batch(1, [1, 2], compression=compression)), Accepted)


def test_too_large(store: SqliteStore, sensor: Identity) -> None:
    small = Ingest(store, max_batch_bytes=200)
    frame = sensor.batch(1, list(range(1, 20)))
    assert len(frame) > 200
    refused(small.ingest(frame), "too_large")
    assert counts(store) == (0, 0)


@pytest.mark.parametrize(
    "frame",
    [b"", b"PHB1", b"XXXX" + bytes(200), MAGIC + b"\x02" + bytes(200), MAGIC + b"\x01\x00" + bytes(200)],
    ids=["empty", "short", "magic", "version", "keylen"],
)
def test_malformed_envelope(ingest: Ingest, sensor: Identity, store: SqliteStore, frame: bytes) -> None:
    refused(ingest.ingest(frame), "malformed_envelope")
    assert counts(store) == (0, 0)


def test_truncated_frame(ingest: Ingest, sensor: Identity) -> None:
    refused(ingest.ingest(sensor.batch(1, [1])[:-1]), "malformed_envelope")


def test_unknown_key(ingest: Ingest, tmp_path: Path, store: SqliteStore) -> None:
    stranger = new_identity(tmp_path / "stranger", "s9")
    r = refused(ingest.ingest(stranger.batch(1, [1])), "unknown_key")
    assert stranger.key_id in r.reason
    assert counts(store) == (0, 0)


def test_revoked_key(ingest: Ingest, sensor: Identity, store: SqliteStore) -> None:
    revoke(store, key_id=sensor.key_id)
    refused(ingest.ingest(sensor.batch(1, [1])), "revoked_key")
    assert counts(store) == (0, 0)


def test_bad_signature(ingest: Ingest, sensor: Identity, store: SqliteStore) -> None:
    frame = bytearray(sensor.batch(1, [1, 2]))
    frame[-70] ^= 0x01  # a payload byte: the signature no longer covers these bytes
    refused(ingest.ingest(bytes(frame)), "bad_signature")
    other = alertwire.generate_identity(sensor.public_key_file.parent.parent / "other")
    forged = sensor.batch(2, [3], signer=alertwire.load_private_key(other[0]))  # right key id, wrong private key
    refused(ingest.ingest(forged), "bad_signature")
    assert counts(store) == (0, 0)


def _signed_payload(sensor: Identity, payload: bytes) -> bytes:
    kid = sensor.key_id.encode()
    signed = MAGIC + bytes((1, len(kid))) + kid + len(payload).to_bytes(4, "big") + payload
    return signed + sensor.private_key.sign(signed)


def _header_map(**over: object) -> dict[int, object]:
    h: dict[int, object] = {0: 1, 1: "s1", 2: 1, 3: 1, 4: bytes(32), 5: 1, 6: 1, 7: 1, 8: 1, 9: "", 10: b"",
                            11: 0, 12: 0}  # fmt: skip
    h.update({int(k[1:]): v for k, v in over.items()})
    return h


def test_malformed_batch_is_refused_after_the_signature(ingest: Ingest, sensor: Identity, store: SqliteStore) -> None:
    body = alertwire.build_body([(1, alertwire.encode_alert(make_alert(1)))])
    cases = [
        b"\xc1",  # not msgpack
        msgpack.packb([_header_map(), body]),  # valid: sanity below
        msgpack.packb([_header_map(h7=2), body]),  # count disagrees with body
        msgpack.packb([_header_map(h11=1), body]),  # says zlib, is not
        msgpack.packb([_header_map(), b"\x91\x92\x00\x93"]),  # truncated alert
        msgpack.packb([_header_map(h3=0), body]),  # batch_seq 0
    ]
    outcomes = [ingest.ingest(_signed_payload(sensor, p)) for p in cases]
    assert isinstance(outcomes[1], Accepted)
    for i in (0, 2, 3, 4, 5):
        refused(outcomes[i], "malformed_batch")
    assert counts(store) == (1, 1)


def test_first_entry_must_be_first_seq(ingest: Ingest, sensor: Identity, store: SqliteStore) -> None:
    body = b"\x91\x92\x05" + alertwire.encode_alert(make_alert(6))  # first delta 5: seq 6, header says 1..6
    payload = msgpack.packb([_header_map(h6=6), body])
    refused(ingest.ingest(_signed_payload(sensor, payload)), "malformed_batch")
    assert counts(store) == (0, 0)


def test_unsupported_schema(ingest: Ingest, sensor: Identity, store: SqliteStore) -> None:
    body = alertwire.build_body([(1, alertwire.encode_alert(make_alert(1)))])
    refused(ingest.ingest(_signed_payload(sensor, msgpack.packb([_header_map(h0=2), body]))), "unsupported_schema")
    h = _header_map(h0=2)
    h[13] = "a field of schema 2"
    refused(ingest.ingest(_signed_payload(sensor, msgpack.packb([h, body]))), "unsupported_schema")
    assert counts(store) == (0, 0)


def test_wrong_sensor(ingest: Ingest, sensor: Identity, store: SqliteStore) -> None:
    r = refused(ingest.ingest(sensor.batch(1, [1], sensor_id="s2")), "wrong_sensor")
    assert "s2" in r.reason and "s1" in r.reason
    assert counts(store) == (0, 0)


def test_replay_and_conflict(ingest: Ingest, sensor: Identity, store: SqliteStore) -> None:
    frame = sensor.batch(1, [1, 2])
    assert isinstance(ingest.ingest(frame), Accepted)
    with capture_logs() as logs:
        refused(ingest.ingest(frame), "replayed_batch")
    assert logs[0]["event"] == "batch_refused" and logs[0]["error"] == "replayed_batch"
    different = sensor.batch(1, [1, 2, 3], prev_hash=bytes(32))
    refused(ingest.ingest(different), "batch_conflict")
    assert counts(store) == (1, 2)


def test_overlapping_batches_store_each_alert_once(ingest: Ingest, sensor: Identity, store: SqliteStore) -> None:
    assert ingest.ingest(sensor.batch(1, [1, 2, 3])) == Accepted(1, 3, 0)
    assert ingest.ingest(sensor.batch(2, [2, 3, 4, 5])) == Accepted(2, 2, 2)
    assert counts(store) == (2, 5)


def test_refusal_events_name_the_code(ingest: Ingest, sensor: Identity) -> None:
    with capture_logs() as logs:
        ingest.ingest(b"nonsense")
    assert logs == [
        {"event": "batch_refused", "log_level": "warning", "error": "malformed_envelope", "status": 400,
         "reason": logs[0]["reason"], "bytes": 8}
    ]  # fmt: skip


def test_rotation_and_revoke_by_sensor(ingest: Ingest, sensor: Identity, store: SqliteStore, tmp_path: Path,
                                       data_dir: Path) -> None:  # fmt: skip
    second = new_identity(tmp_path / "keys-s1-b", "s1")
    enroll(store, data_dir, "s1", "telecom", second.public_key_file)
    assert isinstance(ingest.ingest(sensor.batch(1, [1])), Accepted)
    second.heads = dict(sensor.heads)
    assert isinstance(ingest.ingest(second.batch(2, [2])), Accepted)
    assert sorted(revoke(store, sensor_id="s1")) == sorted([sensor.key_id, second.key_id])
    refused(ingest.ingest(second.batch(3, [3])), "revoked_key")
    refused(ingest.ingest(sensor.batch(3, [3])), "revoked_key")


def test_locked_database_is_store_busy_and_stores_nothing(tmp_path: Path, sensor: Identity) -> None:
    import sqlite3

    from collector.store import DB_FILE

    busy_store = SqliteStore(tmp_path / "busy", busy_timeout=0.2)
    busy_store.enroll(sensor.sensor_id, "telecom", sensor.key_id, sensor.public_key_file.read_bytes(), 0)
    holder = sqlite3.connect(tmp_path / "busy" / DB_FILE, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a backup or another writer holds the write lock
    try:
        refused(Ingest(busy_store).ingest(sensor.batch(1, [1, 2])), "store_busy")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert counts(busy_store) == (0, 0)
    assert isinstance(Ingest(busy_store).ingest(sensor.batch(1, [1, 2])), Accepted)


def test_every_refusal_code_is_tested() -> None:
    source = Path(__file__).read_text(encoding="utf-8")
    for code in REFUSALS:
        assert f'"{code}"' in source.replace(f'REFUSALS["{code}"]', "")


def test_racing_copies_of_one_batch_store_once(store: SqliteStore, sensor: Identity) -> None:
    from concurrent.futures import ThreadPoolExecutor

    frame = sensor.batch(1, list(range(1, 200)))
    ingest = Ingest(store)
    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(ingest.ingest, [frame] * 12))
    assert sum(isinstance(o, Accepted) for o in outcomes) == 1
    assert sorted(o.code for o in outcomes if isinstance(o, Refusal)) == ["replayed_batch"] * 11
    assert counts(store) == (1, 199)
