"""Wire schema 1, byte for byte: encoding gives the golden bytes, decoding gives the values back,
and docs/wire-protocol.md shows the same bytes."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import alertwire as aw
from alertwire.codec import BatchHeader

HERE = Path(__file__).parent
VECTORS = tomllib.loads((HERE / "vectors.toml").read_text())
DOC = HERE.parents[2] / "docs" / "wire-protocol.md"

ALERT_IPV4 = aw.Alert(
    ts_us=1_700_000_000_123_456, gid=1, sid=9000001, rev=2, proto=6, src_ip=bytes([192, 0, 2, 10]),
    src_port=49152, dest_ip=bytes([198, 51, 100, 7]), dest_port=80, flow_id=1234567890123,
    direction=aw.Direction.TO_SERVER,
)
ALERT_IPV6 = aw.Alert(
    ts_us=1_700_000_000_200_000, gid=1, sid=2100498, rev=7, proto=17,
    src_ip=bytes.fromhex("20010db8000000000000000000000001"), src_port=53,
    dest_ip=bytes.fromhex("20010db8000000000000000000000002"), dest_port=40000,
    direction=aw.Direction.TO_CLIENT, blocked=True, app_proto="dns",
)


def _key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(VECTORS["private_key_seed"]))


def _header() -> BatchHeader:
    b = VECTORS["batch"]
    return BatchHeader(
        sensor_id=b["sensor_id"], epoch=b["epoch"], batch_seq=b["batch_seq"], prev_hash=bytes(32),
        first_seq=b["first_seq"], last_seq=b["last_seq"], count=b["count"], clock=b["clock"],
        ruleset_version=b["ruleset_version"], ruleset_hash=bytes.fromhex(b["ruleset_hash"]),
        compression=b["compression"], created_s=b["created_s"],
    )


def test_key_id() -> None:
    pub = _key().public_key()
    assert pub.public_bytes_raw().hex() == VECTORS["public_key"]
    assert aw.key_id(pub) == VECTORS["key_id"]


@pytest.mark.parametrize(("name", "alert"), [("alert_ipv4", ALERT_IPV4), ("alert_ipv6", ALERT_IPV6)])
def test_alert_vectors(name: str, alert: aw.Alert) -> None:
    golden = bytes.fromhex(VECTORS[name]["hex"])
    assert aw.encode_alert(alert) == golden
    assert aw.decode_alert(golden) == alert


def test_batch_body_vector() -> None:
    body = aw.build_body([(1, aw.encode_alert(ALERT_IPV4)), (3, aw.encode_alert(ALERT_IPV6))])
    assert body.hex() == VECTORS["batch"]["body"]
    assert aw.decode_body(body, _header()) == [(1, ALERT_IPV4), (3, ALERT_IPV6)]


def test_frame_vector() -> None:
    body = bytes.fromhex(VECTORS["batch"]["body"])
    frame = aw.seal(_header(), body, VECTORS["key_id"], _key())
    assert frame.hex() == VECTORS["batch"]["frame"]
    parsed = aw.parse_frame(frame)
    parsed.verify(_key().public_key())
    assert parsed.key_id == VECTORS["key_id"]
    assert parsed.batch_hash.hex() == VECTORS["batch"]["batch_hash"]
    header, sent_body = aw.decode_payload(parsed.payload)
    assert header == _header()
    assert sent_body == body


def test_docs_show_the_golden_bytes() -> None:
    text = "".join(DOC.read_text().split())
    for hexstr in (VECTORS["alert_ipv4"]["hex"], VECTORS["batch"]["frame"], VECTORS["batch"]["batch_hash"]):
        assert hexstr in text, "docs/wire-protocol.md no longer shows a golden vector"
