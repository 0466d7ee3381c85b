"""PPP (link type 9 and inside GRE) and PPPoE discovery/session: frames and events as Suricata 8."""

from __future__ import annotations

import struct

import pytest

from sensor.capture import linktypes
from sensor.decode.dispatch import decode_frame
from sensor.decode.events import event_name
from sensor.decode.packet import Packet

SRC4 = bytes([10, 9, 9, 1])
DST4 = bytes([10, 9, 9, 2])
SRC6 = bytes.fromhex("20010db8000000000000000000000001")
DST6 = bytes.fromhex("20010db8000000000000000000000002")
MACS = bytes.fromhex("020000000001020000000002")


def ip4(proto: int, payload: bytes, src: bytes = SRC4, dst: bytes = DST4) -> bytes:
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0, src, dst) + payload


UDP4 = ip4(17, struct.pack("!HHHH", 1111, 2222, 11, 0) + b"abc")
UDP6 = (
    struct.pack("!IHBB", 6 << 28, 10, 17, 64) + SRC6 + DST6 + struct.pack("!HHHH", 3333, 4444, 10, 0) + b"zz"
)


def decode(frame: bytes, linktype: int = linktypes.ETHERNET) -> Packet:
    pkt = Packet(5, 3, linktype, frame)
    decode_frame(pkt)
    return pkt


def names(pkt: Packet | None) -> list[str]:
    assert pkt is not None
    return [event_name(e) for e in pkt.events or []]


@pytest.mark.parametrize(
    "header", [b"\xff\x03\x00\x21", b"\x00\x21", b"\x21", b"\xff\x03\x21", b"\xff\x05\x00\x21"]
)
def test_ppp_link_ipv4_header_forms(header: bytes) -> None:
    pkt = decode(header + UDP4, linktypes.PPP)
    assert pkt.events is None
    assert (pkt.ip_version, pkt.src, pkt.dp, pkt.payload, pkt.l3_off) == (4, SRC4, 2222, b"abc", len(header))


@pytest.mark.parametrize("header", [b"\xff\x03\x00\x57", b"\x57"])
def test_ppp_link_ipv6(header: bytes) -> None:
    pkt = decode(header + UDP6, linktypes.PPP)
    assert pkt.events is None and (pkt.ip_version, pkt.sp) == (6, 3333)


def test_ppp_vj_uncompressed_decodes_only_ipv4() -> None:
    assert decode(b"\xff\x03\x00\x2f" + UDP4, linktypes.PPP).ip_version == 4
    pkt = decode(b"\xff\x03\x00\x2f" + UDP6, linktypes.PPP)
    assert pkt.events is None and pkt.ip_version == 0


@pytest.mark.parametrize(
    ("frame", "event"),
    [
        (b"", "decoder.ppp.pkt_too_small"),
        (b"\xff\x03", "decoder.ppp.pkt_too_small"),
        (b"\xff\x03\x00", "decoder.ppp.pkt_too_small"),
        (b"\xff\x03\x00\x21" + UDP4[:19], "decoder.ppp.ip4_pkt_too_small"),
        (b"\x21" + UDP4[:19], "decoder.ppp.vju_pkt_too_small"),  # Suricata's event for compressed IPv4
        (b"\xff\x03\x00\x2f" + UDP4[:10], "decoder.ppp.vju_pkt_too_small"),
        (b"\xff\x03\x00\x57" + UDP6[:39], "decoder.ppp.ip6_pkt_too_small"),
        (b"\xff\x03\x00\x23" + UDP4, "decoder.ppp.unsup_proto"),  # OSI
        (b"\xff\x03\x02\x81" + UDP4, "decoder.ppp.unsup_proto"),  # MPLS
        (b"\xff\x03\x45" + UDP4, "decoder.ppp.unsup_proto"),  # unknown one-byte protocol
        (b"\xff\x03\x00\x3d" + UDP4, "decoder.ppp.wrong_type"),  # multilink
        (b"\xfe\x03\x00\x21" + UDP4, "decoder.ppp.wrong_type"),  # no address byte: protocol 0xfe03
        (b"\xff\x03\x00\x21" + UDP4[:30], "decoder.ipv4.trunc_pkt"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_ppp_link_events(frame: bytes, event: str) -> None:
    pkt = decode(frame, linktypes.PPP)
    assert names(pkt) == [event] and pkt.ip_version == 0


@pytest.mark.parametrize(
    "proto", [0xC021, 0x8021, 0x8057, 0xC223, 0x00FD]
)  # LCP, IPCP, IPv6CP, CHAP, compressed
def test_ppp_control_protocols_pass_quietly(proto: int) -> None:
    pkt = decode(b"\xff\x03" + struct.pack("!H", proto) + b"\x01\x01\x00\x04", linktypes.PPP)
    assert pkt.events is None and pkt.ip_version == 0


def pppoe_session(body: bytes, length: int | None = None) -> bytes:
    return (
        MACS
        + b"\x88\x64"
        + struct.pack("!BBHH", 0x11, 0, 0x1234, len(body) if length is None else length)
        + body
    )


@pytest.mark.parametrize("proto", [b"\x00\x21", b"\x21"])
def test_pppoe_session_ipv4(proto: bytes) -> None:
    pkt = decode(pppoe_session(proto + UDP4))
    assert pkt.events is None and (pkt.ip_version, pkt.src, pkt.payload, pkt.l3_off) == (
        4,
        SRC4,
        b"abc",
        20 + len(proto),
    )


def test_pppoe_session_ipv6_and_length_field_ignored() -> None:
    pkt = decode(pppoe_session(b"\x00\x57" + UDP6, length=3))
    assert pkt.events is None and pkt.ip_version == 6


def test_pppoe_session_length_zero_carries_nothing() -> None:
    pkt = decode(pppoe_session(b"\x00\x21" + UDP4, length=0))
    assert pkt.events is None and pkt.ip_version == 0


@pytest.mark.parametrize(
    ("frame", "event"),
    [
        (MACS + b"\x88\x64" + b"\x11\x00\x00\x01\x00\x00", "decoder.pppoe.pkt_too_small"),
        (MACS + b"\x88\x64" + b"\x11\x00\x00\x01\x00\x01\x00", "decoder.pppoe.pkt_too_small"),
        (pppoe_session(b"\x00\x21" + UDP4[:10]), "decoder.ppp.ip4_pkt_too_small"),
        (pppoe_session(b"\x21" + UDP4[:10]), "decoder.ppp.ip4_pkt_too_small"),
        (pppoe_session(b"\x00\x57" + UDP6[:20]), "decoder.ppp.ip6_pkt_too_small"),
        (pppoe_session(b"\x00\x2f" + UDP4[:10]), "decoder.ppp.vju_pkt_too_small"),
        (pppoe_session(b"\x00\x23" + UDP4), "decoder.ppp.unsup_proto"),
        (pppoe_session(b"\xff\x03\x00\x21" + UDP4), "decoder.ppp.wrong_type"),  # no address/control in PPPoE
        (pppoe_session(b"\x45" + UDP4), "decoder.ppp.wrong_type"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_pppoe_session_events(frame: bytes, event: str) -> None:
    assert names(decode(frame)) == [event]


def pppoe_discovery(code: int, tags: bytes, length: int | None = None) -> bytes:
    return (
        MACS
        + b"\x88\x63"
        + struct.pack("!BBHH", 0x11, code, 0, len(tags) if length is None else length)
        + tags
    )


@pytest.mark.parametrize("code", [0x09, 0x07, 0x19, 0x65, 0xA7])
def test_pppoe_discovery_codes(code: int) -> None:
    pkt = decode(pppoe_discovery(code, b"\x01\x01\x00\x00\x01\x02\x00\x03abc"))
    assert pkt.events is None and pkt.ip_version == 0


@pytest.mark.parametrize(
    ("frame", "event"),
    [
        (MACS + b"\x88\x63" + b"\x11\x09\x00\x00\x00", "decoder.pppoe.pkt_too_small"),
        (pppoe_discovery(0x00, b""), "decoder.pppoe.wrong_code"),
        (pppoe_discovery(0xBB, b""), "decoder.pppoe.wrong_code"),
        (pppoe_discovery(0x09, b"\x01\x01\x00\x00", length=10), "decoder.pppoe.malformed_tags"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_pppoe_discovery_events(frame: bytes, event: str) -> None:
    assert names(decode(frame)) == [event]


def gre_ip(gre: bytes) -> bytes:
    return ip4(47, gre, bytes([203, 0, 113, 1]), bytes([203, 0, 113, 2]))


@pytest.mark.parametrize("ppp", [b"\xff\x03\x00\x21", b"\x21"])
def test_gre_v0_carries_ppp(ppp: bytes) -> None:
    outer = decode(gre_ip(b"\x00\x00\x88\x0b" + ppp + UDP4), linktypes.IPV4)
    inner = outer.inner
    assert outer.events is None and inner is not None
    assert (inner.linktype, inner.tunnel_depth, inner.src, inner.payload) == (linktypes.PPP, 1, SRC4, b"abc")


def test_gre_ppp_protocol_events_stay_on_the_kept_inner_packet() -> None:
    inner = decode(gre_ip(b"\x00\x00\x88\x0b\xff\x03\x00\x23" + UDP4), linktypes.IPV4).inner
    assert inner is not None and names(inner) == ["decoder.ppp.unsup_proto"] and inner.ip_version == 0


@pytest.mark.parametrize(
    "ppp", [b"\xff\x03", b"\xff\x03\x00\x21" + UDP4[:10], b"\xff\x03\xc0\x21\x01\x01\x00\x04"]
)
def test_gre_ppp_that_does_not_decode_is_dropped(ppp: bytes) -> None:
    outer = decode(gre_ip(b"\x00\x00\x88\x0b" + ppp), linktypes.IPV4)
    assert outer.events is None and outer.inner is None


def test_pptp_payload_length_zero_is_not_decoded() -> None:
    ppp = b"\xff\x03\x00\x21" + UDP4
    outer = decode(gre_ip(struct.pack("!HHHHI", 0x3001, 0x880B, 0, 7, 1) + ppp), linktypes.IPV4)
    assert outer.events is None and outer.inner is None
