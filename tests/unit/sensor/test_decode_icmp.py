"""ICMPv4 and ICMPv6 decoders: type/code, id/seq, quoted headers, their events."""

from __future__ import annotations

import struct

import pytest

from sensor.capture import linktypes
from sensor.decode.dispatch import decode_frame
from sensor.decode.events import event_name
from sensor.decode.packet import Packet

SRC4 = bytes([10, 0, 0, 1])
DST4 = bytes([10, 0, 0, 2])
SRC6 = bytes.fromhex("fe800000000000000000000000000001")
DST6 = bytes.fromhex("ff020000000000000000000000000016")
QUOTED4 = (
    struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, 1, 0, 1, 17, 0, DST4, SRC4)
    + b"\x00\x35\x00\x35\x00\x08\x00\x00"
)
QUOTED6 = struct.pack("!IHBB", 6 << 28, 8, 17, 1) + DST6 + SRC6 + b"\x00\x35\x00\x35\x00\x08\x00\x00"


def ip4(payload: bytes) -> bytes:
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, 1, 0, SRC4, DST4) + payload


def ip6(payload: bytes, hlim: int = 64) -> bytes:
    return struct.pack("!IHBB", 6 << 28, len(payload), 58, hlim) + SRC6 + DST6 + payload


def icmp(itype: int, code: int, rest: bytes = b"\x00" * 4, data: bytes = b"") -> bytes:
    return struct.pack("!BBH", itype, code, 0) + rest + data


def decode(frame: bytes, linktype: int) -> Packet:
    pkt = Packet(0, 1, linktype, frame)
    decode_frame(pkt)
    return pkt


def names(pkt: Packet) -> list[str]:
    return [event_name(e) for e in pkt.events or []]


# -- ICMPv4 ------------------------------------------------------------------


def test_icmpv4_echo() -> None:
    pkt = decode(ip4(icmp(8, 0, struct.pack("!HH", 0x1234, 7), b"ping")), linktypes.IPV4)
    assert pkt.events is None
    assert (pkt.proto, pkt.icmp_type, pkt.icmp_code, pkt.icmp_id, pkt.icmp_seq) == (1, 8, 0, 0x1234, 7)
    assert (pkt.payload, pkt.l4_off, pkt.sp, pkt.dp) == (b"ping", 20, 0, 0)


def test_icmpv4_error_has_no_id_and_checks_quoted_header() -> None:
    pkt = decode(ip4(icmp(3, 3, data=QUOTED4)), linktypes.IPV4)
    assert pkt.events is None
    assert (pkt.icmp_type, pkt.icmp_code, pkt.icmp_id, pkt.icmp_seq) == (3, 3, -1, -1)
    assert pkt.payload == QUOTED4


@pytest.mark.parametrize(
    ("message", "event"),
    [
        (icmp(8, 0)[:7], "decoder.icmpv4.pkt_too_small"),
        (icmp(42, 0), "decoder.icmpv4.unknown_type"),
        (icmp(0, 1), "decoder.icmpv4.unknown_code"),
        (icmp(3, 16, data=QUOTED4), "decoder.icmpv4.unknown_code"),
        (icmp(11, 0, data=QUOTED4[:19]), "decoder.icmpv4.ipv4_trunc_pkt"),
        (icmp(3, 1, data=b"\x65" + QUOTED4[1:]), "decoder.icmpv4.ipv4_unknown_ver"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_icmpv4_events(message: bytes, event: str) -> None:
    assert names(decode(ip4(message), linktypes.IPV4)) == [event]


# -- ICMPv6 ------------------------------------------------------------------


def test_icmpv6_echo() -> None:
    pkt = decode(ip6(icmp(128, 0, struct.pack("!HH", 99, 3), b"ping6")), linktypes.IPV6)
    assert pkt.events is None
    assert (pkt.proto, pkt.icmp_type, pkt.icmp_code, pkt.icmp_id, pkt.icmp_seq) == (58, 128, 0, 99, 3)
    assert pkt.payload == b"ping6"


def test_icmpv6_error_and_nd() -> None:
    pkt = decode(ip6(icmp(1, 4, data=QUOTED6)), linktypes.IPV6)
    assert pkt.events is None and pkt.icmp_id == -1
    pkt = decode(ip6(icmp(135, 0, data=DST6), hlim=255), linktypes.IPV6)
    assert pkt.events is None and pkt.icmp_type == 135


@pytest.mark.parametrize(
    ("message", "hlim", "event"),
    [
        (icmp(128, 0)[:7], 64, "decoder.icmpv6.pkt_too_small"),
        (icmp(127, 0), 64, "decoder.icmpv6.unknown_type"),
        (icmp(50, 0), 64, "decoder.icmpv6.unassigned_type"),
        (icmp(160, 0), 64, "decoder.icmpv6.unassigned_type"),
        (icmp(255, 0), 64, "decoder.icmpv6.unassigned_type"),
        (icmp(138, 3), 64, "decoder.icmpv6.unknown_code"),
        (icmp(129, 1), 64, "decoder.icmpv6.unknown_code"),
        (icmp(200, 0), 64, "decoder.icmpv6.experimentation_type"),
        (icmp(2, 1, data=QUOTED6), 64, "decoder.icmpv6.unknown_code"),
        (icmp(3, 0, data=QUOTED6[:39]), 64, "decoder.icmpv6.ipv6_trunc_pkt"),
        (icmp(1, 0), 64, "decoder.icmpv6.ipv6_trunc_pkt"),
        (icmp(4, 0, data=b"\x45" + QUOTED6[1:]), 64, "decoder.icmpv6.ipv6_unknown_version"),
        (icmp(131, 0, data=DST6), 64, "decoder.icmpv6.mld_message_with_invalid_hl"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_icmpv6_events(message: bytes, hlim: int, event: str) -> None:
    assert names(decode(ip6(message, hlim), linktypes.IPV6)) == [event]


def test_mld_with_hop_limit_one_is_fine() -> None:
    assert decode(ip6(icmp(131, 0, data=DST6), hlim=1), linktypes.IPV6).events is None
    assert decode(ip6(icmp(143, 0, data=DST6), hlim=64), linktypes.IPV6).events is None  # MLDv2: not checked


@pytest.mark.parametrize(("itype", "code"), [(150, 3), (151, 7), (155, 1), (154, 0), (138, 255)])
def test_icmpv6_known_types_and_codes(itype: int, code: int) -> None:
    assert decode(ip6(icmp(itype, code)), linktypes.IPV6).events is None


def test_icmpv4_router_advertisement_any_code_and_empty_quote() -> None:
    assert decode(ip4(icmp(9, 16)), linktypes.IPV4).events is None
    assert decode(ip4(icmp(3, 1)), linktypes.IPV4).events is None  # nothing quoted: no event
    assert names(decode(ip4(icmp(12, 2, data=QUOTED4)), linktypes.IPV4)) == ["decoder.icmpv4.unknown_code"]
