"""The collector's ingest is total over hostile input: any bytes, and any mutation of a valid signed
frame, end in a stored batch or a Refusal with a known code; nothing raises, and a refused body
stores nothing. Mutations the signature covers can only ever be refused."""

from __future__ import annotations

import tempfile
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import alertwire as aw
from collector.ingest import Accepted, Ingest
from collector.refusals import Refusal
from collector.store import AlertQuery, SqliteStore

KEY = Ed25519PrivateKey.generate()
KID = aw.key_id(KEY.public_key())
CODES = {"too_large", "malformed_envelope", "unknown_key", "revoked_key", "bad_signature", "unsupported_schema",
         "malformed_batch", "wrong_sensor", "replayed_batch", "batch_conflict"}


def _valid_frame() -> bytes:
    alert = aw.Alert(1_700_000_000_000_000, 1, 9000001, 1, 6, bytes([10, 0, 0, 1]), 4000, bytes([10, 0, 0, 2]), 80)
    body = aw.build_body([(1, aw.encode_alert(alert)), (2, aw.encode_alert(alert))])
    header = aw.BatchHeader(
        sensor_id="s1", epoch=5, batch_seq=1, prev_hash=bytes(32), first_seq=1, last_seq=2, count=2,
        clock=aw.CLOCK_UNKNOWN, ruleset_version="", ruleset_hash=b"", compression=aw.COMPRESSION_ZLIB, created_s=0,
    )
    return aw.seal(header, body, KID, KEY)


VALID = _valid_frame()
_DIR = tempfile.mkdtemp(prefix="pehredar-ingest-prop-")
STORE = SqliteStore(Path(_DIR))
STORE.enroll("s1", "telecom", KID, aw.identity.public_key_pem(KEY.public_key()), 0)
INGEST = Ingest(STORE, max_batch_bytes=4096)


def _stored() -> int:
    return len(STORE.alerts(AlertQuery(limit=1000)))


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_arbitrary_bytes_are_refused_with_a_reason(data: bytes) -> None:
    before = _stored()
    outcome = INGEST.ingest(data)
    assert isinstance(outcome, Refusal) and outcome.code in CODES and outcome.reason
    assert _stored() == before


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_valid_frames_are_refused(data: st.DataObject) -> None:
    frame = bytearray(VALID)
    kind = data.draw(st.sampled_from(["flip", "truncate", "append", "splice"]))
    if kind == "flip":
        for _ in range(data.draw(st.integers(1, 4))):
            i = data.draw(st.integers(0, len(frame) - 1))
            frame[i] ^= 1 << data.draw(st.integers(0, 7))
    elif kind == "truncate":
        del frame[data.draw(st.integers(0, len(frame) - 1)):]
    elif kind == "append":
        frame += data.draw(st.binary(min_size=1, max_size=16))
    else:
        i = data.draw(st.integers(0, len(frame) - 1))
        frame[i:i] = data.draw(st.binary(min_size=1, max_size=8))
    if bytes(frame) == VALID:
        return
    before = _stored()
    outcome = INGEST.ingest(bytes(frame))
    assert isinstance(outcome, Refusal) and outcome.code in CODES, outcome
    assert _stored() == before


def test_the_valid_frame_itself_is_stored_once() -> None:
    first = INGEST.ingest(VALID)
    again = INGEST.ingest(VALID)
    assert isinstance(first, Accepted) or (isinstance(first, Refusal) and first.code == "replayed_batch")
    assert isinstance(again, Refusal) and again.code == "replayed_batch"
