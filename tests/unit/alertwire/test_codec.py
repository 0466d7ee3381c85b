"""Alert and batch encoding: round trips, strictness, limits."""

from __future__ import annotations

import msgpack
import pytest
from hypothesis import given
from hypothesis import strategies as st

import alertwire as aw
from alertwire.codec import BatchHeader, compress, decompress, encode_payload

V4_A, V4_B = bytes([192, 0, 2, 10]), bytes([198, 51, 100, 7])


def make_alert(**over: object) -> aw.Alert:
    fields: dict[str, object] = {
        "ts_us": 1_700_000_000_123_456, "gid": 1, "sid": 9000001, "rev": 2, "proto": 6, "src_ip": V4_A, "src_port": 49152,
        "dest_ip": V4_B, "dest_port": 80, "flow_id": 1234567890123, "direction": aw.Direction.TO_SERVER,
    }
    fields.update(over)
    return aw.Alert(**fields)  # type: ignore[arg-type]


def make_header(**over: object) -> BatchHeader:
    fields: dict[str, object] = {
        "sensor_id": "pk-telecom-01", "epoch": 42, "batch_seq": 1, "prev_hash": bytes(32), "first_seq": 1, "last_seq": 2,
        "count": 2, "clock": aw.CLOCK_SYNCHRONISED, "ruleset_version": "2026.11.28", "ruleset_hash": bytes(32),
        "compression": aw.COMPRESSION_NONE, "created_s": 1_700_000_100,
    }
    fields.update(over)
    return BatchHeader(**fields)  # type: ignore[arg-type]


alerts = st.builds(
    aw.Alert,
    ts_us=st.integers(0, (1 << 63) - 1),
    gid=st.integers(0, (1 << 32) - 1),
    sid=st.integers(0, (1 << 32) - 1),
    rev=st.integers(0, (1 << 32) - 1),
    proto=st.integers(0, 255),
    src_ip=st.just(V4_A) | st.just(b""),
    src_port=st.integers(0, 65535),
    dest_ip=st.just(V4_B) | st.just(b""),
    dest_port=st.integers(0, 65535),
    flow_id=st.integers(0, (1 << 64) - 1),
    direction=st.sampled_from(list(aw.Direction)),
    blocked=st.booleans(),
    app_proto=st.text(max_size=32),
    payload=st.binary(max_size=64),
).filter(lambda a: len(a.src_ip) == len(a.dest_ip))


@given(alerts)
def test_alert_round_trip(alert: aw.Alert) -> None:
    assert aw.decode_alert(aw.encode_alert(alert)) == alert


def test_ipv6_alert_round_trip() -> None:
    a = make_alert(src_ip=bytes(range(16)), dest_ip=bytes(range(16, 32)), proto=17, direction=aw.Direction.TO_CLIENT)
    assert aw.decode_alert(aw.encode_alert(a)) == a


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ([1, 2, 3], "12 or 13 fields"),
        ([-1, 1, 1, 1, 0, 6, V4_A, 1, V4_B, 2, 0, ""], "ts_us"),
        ([1, 1, 1, 1, 0, 6, b"\x01\x02\x03", 1, V4_B, 2, 0, ""], "src_ip"),
        ([1, 1, 1, 1, 0, 6, V4_A, 70000, V4_B, 2, 0, ""], "src_port"),
        ([1, 1, 1, 1, 6, 6, V4_A, 1, V4_B, 2, 0, ""], "direction"),
        ([1, 1, 1, 1, 0, 6, V4_A, 1, bytes(16), 2, 0, ""], "one IP version"),
        ([1, 1, 1, 1, 0, 6, V4_A, 1, V4_B, 2, 0, "", b""], "payload"),
        ([True, 1, 1, 1, 0, 6, V4_A, 1, V4_B, 2, 0, ""], "ts_us"),
    ],
)
def test_alert_decode_is_strict(fields: list[object], message: str) -> None:
    with pytest.raises(aw.CodecError, match=message):
        aw.decode_alert(msgpack.packb(fields, use_bin_type=True))


def test_alert_decode_refuses_garbage() -> None:
    with pytest.raises(aw.CodecError):
        aw.decode_alert(b"\xc1")


@given(st.lists(st.integers(1, 5), min_size=1, max_size=40))
def test_body_round_trip_with_seq_gaps(steps: list[int]) -> None:
    seqs, seq = [], 0
    for step in steps:
        seq += step
        seqs.append(seq)
    records = [(s, aw.encode_alert(make_alert(sid=s))) for s in seqs]
    header = make_header(first_seq=seqs[0], last_seq=seqs[-1], count=len(seqs))
    decoded = aw.decode_body(aw.build_body(records), header)
    assert [s for s, _ in decoded] == seqs
    assert [a.sid for _, a in decoded] == seqs


def test_body_refuses_wrong_count_and_end() -> None:
    body = aw.build_body([(1, aw.encode_alert(make_alert())), (2, aw.encode_alert(make_alert()))])
    with pytest.raises(aw.CodecError, match="3 entries"):
        aw.decode_body(body, make_header(last_seq=3, count=3))
    with pytest.raises(aw.CodecError, match="header says 5"):
        aw.decode_body(body, make_header(last_seq=5))


def test_body_refuses_repeated_seq() -> None:
    enc = aw.encode_alert(make_alert())
    body = msgpack.packb([[0, msgpack.unpackb(enc)], [0, msgpack.unpackb(enc)]], use_bin_type=True)
    with pytest.raises(aw.CodecError, match="repeated"):
        aw.decode_body(body, make_header(last_seq=1, count=2))


@pytest.mark.parametrize("compression", [aw.COMPRESSION_NONE, aw.COMPRESSION_ZLIB, aw.COMPRESSION_ZSTD])
def test_compression_round_trip(compression: int) -> None:
    data = b"alert " * 5000
    assert decompress(compress(data, compression), compression) == data


@pytest.mark.parametrize("compression", [aw.COMPRESSION_ZLIB, aw.COMPRESSION_ZSTD])
def test_decompression_bomb_refused(compression: int) -> None:
    bomb = compress(bytes(10_000_000), compression)
    with pytest.raises(aw.CodecError, match="exceeds"):
        decompress(bomb, compression, limit=1_000_000)


def test_truncated_compressed_body_refused() -> None:
    with pytest.raises(aw.CodecError):
        decompress(compress(b"x" * 1000, aw.COMPRESSION_ZLIB)[:-4], aw.COMPRESSION_ZLIB)


def test_payload_round_trip() -> None:
    header = make_header()
    assert aw.decode_payload(encode_payload(header, b"body")) == (header, b"body")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({0: 2}, "unsupported schema version"),
        ({1: ""}, "sensor_id"),
        ({3: 0}, "batch_seq starts at 1"),
        ({4: b"short"}, "prev_hash"),
        ({5: 5, 6: 4}, "disagree"),
        ({7: 0}, "disagree"),
        ({8: 3}, "clock"),
        ({11: 9}, "compression"),
    ],
)
def test_payload_header_is_strict(change: dict[int, object], message: str) -> None:
    hmap, body = msgpack.unpackb(encode_payload(make_header(), b""), strict_map_key=False)
    hmap.update(change)
    with pytest.raises(aw.CodecError, match=message):
        aw.decode_payload(msgpack.packb([hmap, body], use_bin_type=True))


def test_payload_refuses_extra_keys() -> None:
    hmap, body = msgpack.unpackb(encode_payload(make_header(), b""), strict_map_key=False)
    hmap[13] = 1
    with pytest.raises(aw.CodecError, match="keys"):
        aw.decode_payload(msgpack.packb([hmap, body], use_bin_type=True))
