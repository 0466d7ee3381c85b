"""The signed frame: parse, verify, refuse."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

import alertwire as aw
from alertwire.codec import BatchHeader

KEY = Ed25519PrivateKey.generate()
KID = aw.key_id(KEY.public_key())


def _frame(compression: int = aw.COMPRESSION_ZSTD) -> bytes:
    alert = aw.Alert(ts_us=1, gid=1, sid=1, rev=1, proto=6, src_ip=bytes(4), src_port=1, dest_ip=bytes(4), dest_port=2)
    body = aw.build_body([(i, aw.encode_alert(alert)) for i in range(1, 51)])
    header = BatchHeader(
        sensor_id="s1", epoch=7, batch_seq=1, prev_hash=bytes(32), first_seq=1, last_seq=50, count=50,
        clock=aw.CLOCK_UNKNOWN, ruleset_version="", ruleset_hash=b"", compression=compression, created_s=0,
    )
    return aw.seal(header, body, KID, KEY)


@pytest.mark.parametrize("compression", [aw.COMPRESSION_NONE, aw.COMPRESSION_ZLIB, aw.COMPRESSION_ZSTD])
def test_seal_parse_verify_decode(compression: int) -> None:
    frame = aw.parse_frame(_frame(compression))
    frame.verify(KEY.public_key())
    header, body = aw.decode_payload(frame.payload)
    entries = aw.decode_body(aw.decompress(body, header.compression), header)
    assert [seq for seq, _ in entries] == list(range(1, 51))


def test_every_single_bit_flip_is_refused() -> None:
    frame = _frame()
    for i in range(len(frame) * 8):
        flipped = bytearray(frame)
        flipped[i // 8] ^= 1 << (i % 8)
        with pytest.raises(aw.EnvelopeError):
            aw.parse_frame(bytes(flipped)).verify(KEY.public_key())


def test_other_key_is_refused() -> None:
    with pytest.raises(aw.BadSignature):
        aw.parse_frame(_frame()).verify(Ed25519PrivateKey.generate().public_key())


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda f: f[:40], "shorter"),
        (lambda f: b"XXXX" + f[4:], "magic"),
        (lambda f: f[:4] + b"\x02" + f[5:], "frame version"),
        (lambda f: f[:5] + b"\x00" + f[6:], "key id length"),
        (lambda f: f + b"\x00", "does not fit"),
    ],
)
def test_malformed_frames(mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(aw.MalformedEnvelope, match=message):
        aw.parse_frame(mutate(_frame()))


@settings(max_examples=300)
@given(st.binary(max_size=300))
def test_parse_frame_only_raises_envelope_errors(data: bytes) -> None:
    try:
        aw.parse_frame(data).verify(KEY.public_key())
    except aw.EnvelopeError:
        pass
