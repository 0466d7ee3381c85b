"""IPv6 decoder: fixed header, extension-header chain, fragments, its events."""

from __future__ import annotations

import struct

import pytest

from sensor.capture import linktypes
from sensor.decode.dispatch import decode_frame
from sensor.decode.events import event_name
from sensor.decode.ipv6 import find_fragment_header
from sensor.decode.packet import Packet

SRC = bytes.fromhex("20010db8000000000000000000000001")
DST = bytes.fromhex("20010db8000000000000000000000002")
UDP = bytes.fromhex("30390035000c0000") + b"data"  # 12345 -> 53, length 12


def ip6(nh: int, payload: bytes, *, plen: int | None = None, version: int = 6) -> bytes:
    length = len(payload) if plen is None else plen
    return struct.pack("!IHBB", (version << 28) | (0x2E << 20) | 0xBEEF, length, nh, 33) + SRC + DST + payload


def opts_header(nh: int, options: bytes) -> bytes:
    """Hop-by-hop / destination options header, filled to a multiple of 8 with Pad1 options."""
    options += b"\x00" * (-(2 + len(options)) % 8)
    return bytes([nh, (2 + len(options)) // 8 - 1]) + options


def frag_header(nh: int, offset: int, more: bool, ident: int, reserved: int = 0) -> bytes:
    return struct.pack("!BBHI", nh, reserved, (offset << 3) | int(more), ident)


def routing_header(nh: int, rtype: int) -> bytes:
    return bytes([nh, 2, rtype, 0, 0, 0, 0, 0]) + DST  # 24 bytes, one address


def ah_header(nh: int, reserved: int = 0) -> bytes:
    return struct.pack("!BBHII", nh, 4, reserved, 0x100, 1) + b"\x00" * 12  # 24 bytes


PADN4 = bytes([1, 2, 0, 0])
RTRALERT = bytes([5, 2, 0, 0])


def decode(frame: bytes) -> Packet:
    pkt = Packet(0, 1, linktypes.IPV6, frame)
    decode_frame(pkt)
    return pkt


def names(pkt: Packet) -> list[str]:
    return [event_name(e) for e in pkt.events or []]


def test_valid_header_fields() -> None:
    pkt = decode(ip6(17, UDP))
    assert pkt.events is None
    assert (pkt.ip_version, pkt.src, pkt.dst, pkt.proto, pkt.ttl, pkt.tos) == (6, SRC, DST, 17, 33, 0x2E)
    assert (pkt.ip_len, pkt.sp, pkt.dp, pkt.payload, pkt.l4_off) == (52, 12345, 53, b"data", 40)


@pytest.mark.parametrize(
    ("frame", "event"),
    [
        (ip6(17, UDP, version=4), "decoder.ipv6.wrong_ip_version"),
        (ip6(17, UDP, plen=100), "decoder.ipv6.trunc_pkt"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_header_errors(frame: bytes, event: str) -> None:
    pkt = decode(frame)
    assert names(pkt) == [event] and pkt.ip_version == 0


def test_short_header_is_not_decoded_and_not_an_event() -> None:
    pkt = decode(ip6(17, UDP)[:39])  # Suricata 8 raises nothing here
    assert pkt.ip_version == 0 and pkt.events is None


def test_payload_length_bounds_the_payload() -> None:
    assert decode(ip6(17, UDP) + b"pad").payload == b"data"


def test_extension_chain_to_transport() -> None:
    chain = opts_header(60, RTRALERT) + opts_header(43, bytes([0xC9, 16]) + SRC) + routing_header(17, 2)
    pkt = decode(ip6(0, chain + UDP))
    assert pkt.events is None
    assert (pkt.proto, pkt.dp, pkt.payload, pkt.l4_off) == (17, 53, b"data", 40 + len(chain))


def test_two_destination_options_headers_are_allowed() -> None:
    chain = opts_header(43, RTRALERT) + routing_header(60, 2) + opts_header(17, RTRALERT)
    assert decode(ip6(60, chain + UDP)).events is None
    assert decode(ip6(60, opts_header(60, RTRALERT) + opts_header(17, RTRALERT) + UDP)).events is None


@pytest.mark.parametrize(
    ("nh", "chain", "event"),
    [
        (0, opts_header(0, RTRALERT) + opts_header(17, RTRALERT), "decoder.ipv6.exthdr_dupl_hh"),
        (60, opts_header(60, RTRALERT) * 2 + opts_header(17, RTRALERT), "decoder.ipv6.exthdr_dupl_dh"),
        (43, routing_header(43, 2) + routing_header(17, 2), "decoder.ipv6.exthdr_dupl_rh"),
        (51, ah_header(51) + ah_header(17), "decoder.ipv6.exthdr_dupl_ah"),
        (51, ah_header(17, reserved=1), "decoder.ipv6.exthdr_ah_res_not_null"),
        (43, routing_header(17, 0), "decoder.ipv6.rh_type_0"),
        (0, opts_header(17, bytes([0x3E, 2, 0, 0])), "decoder.ipv6.hopopts_unknown_opt"),
        (0, opts_header(17, PADN4), "decoder.ipv6.hopopts_only_padding"),
        (60, opts_header(17, bytes([0x3E, 2, 0, 0])), "decoder.ipv6.dstopts_unknown_opt"),
        (60, opts_header(17, PADN4), "decoder.ipv6.dstopts_only_padding"),
        (0, opts_header(17, bytes([5, 9, 0, 0])), "decoder.ipv6.exthdr_invalid_optlen"),
        (44, frag_header(17, 0, False, 7), "decoder.ipv6.exthdr_useless_fh"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_extension_header_events_keep_decoding(nh: int, chain: bytes, event: str) -> None:
    pkt = decode(ip6(nh, chain + UDP))
    assert names(pkt) == [event]
    assert pkt.proto == 17 and pkt.dp == 53


def test_zero_length_padn() -> None:
    pkt = decode(ip6(0, opts_header(17, bytes([1, 0]) + RTRALERT) + UDP))
    assert names(pkt) == ["decoder.ipv6.zero_len_padn"]


def test_truncated_extension_header() -> None:
    pkt = decode(ip6(0, opts_header(17, RTRALERT)[:6]))
    assert names(pkt) == ["decoder.ipv6.trunc_exthdr"]
    pkt = decode(ip6(43, routing_header(17, 2)[:16]))
    assert names(pkt) == ["decoder.ipv6.trunc_exthdr"]
    assert pkt.sp == 0


def test_nothing_after_extension_headers_is_truncated() -> None:
    pkt = decode(ip6(44, frag_header(58, 0, False, 1)))
    assert names(pkt) == ["decoder.ipv6.exthdr_useless_fh", "decoder.ipv6.trunc_exthdr"]
    assert pkt.proto == 58 and pkt.icmp_type == -1


def test_no_next_header() -> None:
    pkt = decode(ip6(59, b""))
    assert pkt.proto == 59 and pkt.events is None
    assert names(decode(ip6(59, b"junk"))) == ["decoder.ipv6.data_after_none_header"]


def test_esp_ends_the_chain() -> None:
    pkt = decode(ip6(50, b"\x00\x00\x01\x00\x00\x00\x00\x01encrypted"))
    assert pkt.proto == 50 and pkt.events is None and pkt.payload.endswith(b"encrypted")
    assert names(decode(ip6(50, b"\x00\x00\x01"))) == ["decoder.esp.pkt_too_small"]


def test_unknown_next_header() -> None:
    pkt = decode(ip6(253, b"experiment"))
    assert names(pkt) == ["decoder.ipv6.unknown_next_header"]
    assert pkt.proto == 253 and pkt.payload == b"experiment"


def test_icmpv4_in_ipv6_is_an_event() -> None:
    assert names(decode(ip6(1, bytes.fromhex("0800f7ff00010001")))) == ["decoder.ipv6.icmpv4"]


# -- fragments ---------------------------------------------------------------


def test_fragment_fields() -> None:
    pkt = decode(ip6(44, frag_header(17, 0, True, 0xCAFEBABE) + UDP[:8] + b"01234567"))
    assert pkt.is_fragment and pkt.frag_mf and pkt.frag_off == 0
    assert (pkt.ip_id, pkt.proto, pkt.sp, pkt.l4_off) == (0xCAFEBABE, 44, 0, -1)  # proto: the fragment header, as Suricata reports it
    assert pkt.payload == UDP[:8] + b"01234567"
    pkt = decode(ip6(44, frag_header(17, 2, False, 9) + b"last"))
    assert pkt.is_fragment and not pkt.frag_mf and pkt.frag_off == 16 and pkt.payload == b"last"


def test_fragment_events() -> None:
    pkt = decode(ip6(44, frag_header(17, 0, True, 1, reserved=5) + b"x" * 16))
    assert names(pkt) == ["decoder.ipv6.fh_non_zero_reserved_field"]
    pkt = decode(ip6(44, frag_header(17, 0, True, 1) + b"x" * 13))
    assert names(pkt) == ["decoder.ipv6.frag_invalid_length"]
    # a second fragment header is skipped: here the bytes after it are read as UDP
    pkt = decode(ip6(44, frag_header(44, 0, False, 1) + frag_header(17, 1, True, 1) + b"x" * 8))
    assert names(pkt) == [
        "decoder.ipv6.exthdr_useless_fh",
        "decoder.ipv6.exthdr_dupl_fh",
        "decoder.udp.pkt_too_small",
    ]
    assert not pkt.is_fragment


def test_find_fragment_header() -> None:
    hbh = opts_header(44, RTRALERT)
    frame = ip6(0, hbh + frag_header(17, 0, True, 1) + b"x" * 8)
    assert find_fragment_header(frame, 0, len(frame)) == (40, 48)
    frame = ip6(44, frag_header(17, 0, True, 1) + b"x" * 8)
    assert find_fragment_header(frame, 0, len(frame)) == (6, 40)
    frame = ip6(17, UDP)
    assert find_fragment_header(frame, 0, len(frame)) == (-1, -1)
