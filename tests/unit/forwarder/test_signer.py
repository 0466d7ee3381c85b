from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fwd_helpers import alert, write_key

from alertwire import decode_body, decode_payload, decompress, encode_alert, key_id, parse_frame
from alertwire.spool import SpoolRecord
from forwarder.batcher import Batcher
from forwarder.clock import FakeClock
from forwarder.errors import SigningKeyError
from forwarder.signer import ChainPosition, Signer, load_signing_key


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_refuses_keys_others_can_read(tmp_path: Path, key: Ed25519PrivateKey, mode: int) -> None:
    path = write_key(tmp_path / "private.key", key, mode)
    with pytest.raises(SigningKeyError, match="chmod 600"):
        load_signing_key(path)


def test_loads_a_0600_key(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    loaded = load_signing_key(write_key(tmp_path / "private.key", key))
    assert Signer(loaded, 0, 1).key_id == key_id(key.public_key())


def test_missing_key_is_a_signing_key_error(tmp_path: Path) -> None:
    with pytest.raises(SigningKeyError):
        load_signing_key(tmp_path / "absent.key")


@pytest.mark.parametrize("compression", [0, 1, 2])
def test_frame_carries_the_header_and_verifies(key: Ed25519PrivateKey, compression: int) -> None:
    b = Batcher(FakeClock())
    for seq in (3, 4, 9):
        b.add(SpoolRecord(seq, encode_alert(alert(seq)), "rules-7", b"\xaa" * 32))
    batch = b.flush()
    assert batch is not None
    frame = Signer(key, compression, 1).sign(batch, ChainPosition("s1", 42, 5, b"\x11" * 32), 1234)
    parsed = parse_frame(frame)
    parsed.verify(key.public_key())
    header, body = decode_payload(parsed.payload)
    assert (header.sensor_id, header.epoch, header.batch_seq, header.prev_hash) == ("s1", 42, 5, b"\x11" * 32)
    assert (header.first_seq, header.last_seq, header.count) == (3, 9, 3)
    assert (header.ruleset_version, header.ruleset_hash) == ("rules-7", b"\xaa" * 32)
    assert (header.compression, header.clock, header.created_s) == (compression, 1, 1234)
    entries = decode_body(decompress(body, compression), header)
    assert entries == [(s, alert(s)) for s in (3, 4, 9)]
