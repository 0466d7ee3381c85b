"""Tunnels: GRE v0/v1 (PPTP), IP-in-IP, 6in4, IPv6-in-IPv6, IPv4-in-IPv6, nesting limit."""

from __future__ import annotations

import struct
from collections.abc import Callable

import pytest

from sensor.capture import linktypes
from sensor.decode.config import DecoderConfig
from sensor.decode.dispatch import configure_decoders, decode_frame
from sensor.decode.events import event_name
from sensor.decode.packet import Packet

OUT_SRC4 = bytes([203, 0, 113, 1])
OUT_DST4 = bytes([203, 0, 113, 2])
IN_SRC4 = bytes([10, 9, 9, 1])
IN_DST4 = bytes([10, 9, 9, 2])
SRC6 = bytes.fromhex("20010db8000000000000000000000001")
DST6 = bytes.fromhex("20010db8000000000000000000000002")


def ip4(proto: int, payload: bytes, src: bytes = OUT_SRC4, dst: bytes = OUT_DST4) -> bytes:
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0, src, dst) + payload


def ip6(nh: int, payload: bytes) -> bytes:
    return struct.pack("!IHBB", 6 << 28, len(payload), nh, 64) + SRC6 + DST6 + payload


INNER_UDP4 = ip4(17, struct.pack("!HHHH", 1111, 2222, 11, 0) + b"abc", IN_SRC4, IN_DST4)
INNER_UDP6 = ip6(17, struct.pack("!HHHH", 3333, 4444, 10, 0) + b"zz")
VLAN_ETH = bytes.fromhex("020000000001020000000002") + b"\x81\x00\x00\x2a\x08\x00"


def decode(frame: bytes, linktype: int = linktypes.ETHERNET) -> Packet:
    pkt = Packet(42, 7, linktype, frame)
    decode_frame(pkt)
    return pkt


def names(pkt: Packet) -> list[str]:
    return [event_name(e) for e in pkt.events or []]


def assert_inner_udp4(outer: Packet) -> Packet:
    inner = outer.inner
    assert inner is not None
    assert inner.is_pseudo and inner.tunnel_depth == outer.tunnel_depth + 1
    assert (inner.ts_us, inner.pcap_cnt) == (outer.ts_us, outer.pcap_cnt)
    assert (inner.src, inner.dst, inner.sp, inner.dp, inner.payload) == (IN_SRC4, IN_DST4, 1111, 2222, b"abc")
    return inner


def test_gre_v0_ipv4() -> None:
    outer = decode(VLAN_ETH + ip4(47, b"\x00\x00\x08\x00" + INNER_UDP4))
    assert outer.events is None
    assert (outer.proto, outer.payload, outer.l4_off, outer.src) == (47, b"", 18 + 20, OUT_SRC4)
    inner = assert_inner_udp4(outer)
    assert inner.vlan == () and inner.linktype == linktypes.RAW  # Suricata 8 does not copy the outer VLANs


def test_gre_v0_optional_fields_and_ipv6() -> None:
    hdr = struct.pack("!HHHHII", 0xB000, 0x86DD, 0, 0, 0xDEAD, 5)  # checksum, key and sequence
    outer = decode(ip4(47, hdr + INNER_UDP6), linktypes.IPV4)
    assert outer.inner is not None and (outer.inner.ip_version, outer.inner.dp) == (6, 4444)


def test_gre_transparent_ethernet_bridging() -> None:
    frame = bytes.fromhex("0a00000000010a00000000020800") + INNER_UDP4
    outer = decode(ip4(47, b"\x00\x00\x65\x58" + frame), linktypes.IPV4)
    inner = assert_inner_udp4(outer)
    assert inner.linktype == linktypes.ETHERNET and inner.l3_off == 14


def test_gre_routing_entries() -> None:
    sre = struct.pack("!HBB", 0x0800, 0, 4) + b"\x01\x02\x03\x04" + struct.pack("!HBB", 0, 0, 0)
    outer = decode(ip4(47, struct.pack("!HHHH", 0x4000, 0x0800, 0, 0) + sre + INNER_UDP4), linktypes.IPV4)
    assert outer.events is None
    assert_inner_udp4(outer)
    broken = struct.pack("!HBB", 0x0800, 0, 40) + b"\x01\x02"
    outer = decode(ip4(47, struct.pack("!HHHH", 0x4000, 0x0800, 0, 0) + broken), linktypes.IPV4)
    assert names(outer) == ["decoder.gre.version0_malformed_sre_hdr"]


def test_gre_unknown_protocol_is_left_alone() -> None:
    outer = decode(ip4(47, b"\x00\x00\x12\x34payload"), linktypes.IPV4)
    assert outer.inner is None and outer.events is None


@pytest.mark.parametrize(
    ("gre", "event"),
    [
        (b"\x00\x00\x08", "decoder.gre.pkt_too_small"),
        (b"\x00\x02\x08\x00", "decoder.gre.wrong_version"),
        (b"\x01\x00\x08\x00", "decoder.gre.version0_recur"),
        (b"\x00\x08\x08\x00", "decoder.gre.version0_flags"),
        (b"\x20\x00\x08\x00\x00\x00", "decoder.gre.version0_hdr_too_big"),
        (b"\x80\x01\x88\x0b" + b"\x00" * 8, "decoder.gre.version1_chksum"),
        (b"\x40\x01\x88\x0b" + b"\x00" * 8, "decoder.gre.version1_route"),
        (b"\x28\x01\x88\x0b" + b"\x00" * 8, "decoder.gre.version1_ssr"),
        (b"\x21\x01\x88\x0b" + b"\x00" * 8, "decoder.gre.version1_recur"),
        (b"\x20\x09\x88\x0b" + b"\x00" * 8, "decoder.gre.version1_flags"),
        (b"\x00\x01\x88\x0b" + b"\x00" * 8, "decoder.gre.version1_no_key"),
        (b"\x20\x01\x08\x00" + b"\x00" * 8, "decoder.gre.version1_wrong_protocol"),
        (b"\x30\x81\x88\x0b" + b"\x00" * 8, "decoder.gre.version1_hdr_too_big"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_gre_events(gre: bytes, event: str) -> None:
    outer = decode(ip4(47, gre), linktypes.IPV4)
    assert names(outer) == [event]
    assert outer.inner is None and outer.proto == 47


@pytest.mark.parametrize("address_control", [b"\xff\x03", b""])
@pytest.mark.parametrize("ppp_proto", [b"\x00\x21", b"\x21"])
def test_pptp_gre_v1_ppp_ipv4(address_control: bytes, ppp_proto: bytes) -> None:
    ppp = address_control + ppp_proto + INNER_UDP4
    gre = struct.pack("!HHHHI", 0x3001, 0x880B, len(ppp), 7, 1)  # key, sequence
    outer = decode(ip4(47, gre + ppp), linktypes.IPV4)
    assert outer.events is None
    assert_inner_udp4(outer)


def test_pptp_ack_only_has_no_inner() -> None:
    gre = struct.pack("!HHHHI", 0x2081, 0x880B, 0, 7, 1)  # key, acknowledgment, no payload
    outer = decode(ip4(47, gre), linktypes.IPV4)
    assert outer.events is None and outer.inner is None


def test_ipip_and_6in4() -> None:
    outer = decode(ip4(4, INNER_UDP4), linktypes.IPV4)
    assert (outer.proto, outer.payload, outer.l4_off) == (4, b"", 20)
    assert_inner_udp4(outer)
    outer = decode(ip4(41, INNER_UDP6), linktypes.IPV4)
    assert outer.proto == 41 and outer.inner is not None and outer.inner.dp == 4444


def test_ipv4_in_ipv6_and_ipv6_in_ipv6() -> None:
    assert_inner_udp4(decode(ip6(4, INNER_UDP4), linktypes.IPV6))
    outer = decode(ip6(41, INNER_UDP6), linktypes.IPV6)
    assert outer.inner is not None and outer.inner.sp == 3333


@pytest.mark.parametrize(
    ("frame", "event"),
    [
        (ip6(4, INNER_UDP4[:19]), "decoder.ipv6.ipv4_in_ipv6_too_small"),
        (ip6(4, INNER_UDP6), "decoder.ipv6.ipv4_in_ipv6_wrong_version"),
        (ip6(41, INNER_UDP6[:39]), "decoder.ipv6.ipv6_in_ipv6_too_small"),
        (ip6(41, INNER_UDP4 + b"\x00" * 20), "decoder.ipv6.ipv6_in_ipv6_wrong_version"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_ip_in_ipv6_events(frame: bytes, event: str) -> None:
    outer = decode(frame, linktypes.IPV6)
    assert names(outer) == [event] and outer.inner is None


@pytest.mark.parametrize(
    "frame",
    [
        ip4(4, INNER_UDP4[:25]),  # truncated inner IPv4
        ip4(4, INNER_UDP6),  # IPv6 where IPv4 is announced
        ip4(41, INNER_UDP6[:30]),  # short inner IPv6
        ip4(47, b"\x00\x00\x08\x00" + INNER_UDP4[:19]),
    ],
    ids=["ipip-trunc", "ipip-v6", "6in4-short", "gre-short"],
)
def test_broken_inner_ip_is_not_a_tunnel_packet(frame: bytes) -> None:
    outer = decode(frame, linktypes.IPV4)  # as in Suricata: dropped, with its events
    assert outer.events is None and outer.inner is None


def test_inner_transport_errors_stay_on_the_inner_packet() -> None:
    inner = ip4(17, b"\x00\x01", IN_SRC4, IN_DST4)
    outer = decode(ip4(4, inner), linktypes.IPV4)
    assert outer.events is None
    assert outer.inner is not None and names(outer.inner) == ["decoder.udp.hlen_too_small"]


def innermost(pkt: Packet) -> tuple[Packet, int]:
    depth = 0
    while pkt.inner is not None:
        pkt = pkt.inner
        depth += 1
    return pkt, depth


MACS = bytes.fromhex("020000000001020000000002")


def gre_seq(proto: int) -> bytes:
    return struct.pack("!HHI", 0x1000, proto, 7)  # sequence number present


def erspan2(vlan: int = 0, version: int = 1) -> bytes:
    return struct.pack("!HHI", (version << 12) | vlan, 0x0001, 0)


def test_erspan_type2_carries_its_vlan() -> None:
    outer = decode(
        ip4(47, gre_seq(0x88BE) + erspan2(vlan=23) + MACS + b"\x08\x00" + INNER_UDP4), linktypes.IPV4
    )
    inner = assert_inner_udp4(outer)
    assert outer.events is None and inner.vlan == (23,) and inner.l3_off == 8 + 14


def test_erspan_type1_is_bare_ethernet() -> None:
    outer = decode(ip4(47, b"\x00\x00\x88\xbe" + MACS + b"\x08\x00" + INNER_UDP4), linktypes.IPV4)
    inner = assert_inner_udp4(outer)
    assert inner.vlan == () and inner.linktype == linktypes.ETHERNET


@pytest.mark.parametrize(
    "body",
    [erspan2()[:7], erspan2(version=2) + MACS + b"\x08\x00" + INNER_UDP4, erspan2() + MACS],
    ids=["header-too-small", "unsupported-version", "no-ethernet"],
)
def test_broken_erspan_is_not_a_tunnel_packet(body: bytes) -> None:
    outer = decode(ip4(47, gre_seq(0x88BE) + body), linktypes.IPV4)  # the events leave with the packet
    assert outer.events is None and outer.inner is None


def test_erspan_type3_is_not_decoded() -> None:
    outer = decode(ip4(47, gre_seq(0x22EB) + bytes(12) + MACS + b"\x08\x00" + INNER_UDP4), linktypes.IPV4)
    assert outer.events is None and outer.inner is None


def test_gre_vlan_tunnel() -> None:
    outer = decode(ip4(47, b"\x00\x00\x81\x00" + b"\x00\x05\x08\x00" + INNER_UDP4), linktypes.IPV4)
    assert assert_inner_udp4(outer).vlan == (5,)
    outer = decode(ip4(47, b"\x00\x00\x81\x00" + b"\x00\x05\x12\x34" + INNER_UDP4), linktypes.IPV4)
    assert outer.inner is None  # unknown ethertype behind the tag: not a tunnel packet
    outer = decode(ip4(47, b"\x00\x00\x81\x00" + b"\x00\x05\x08\x00" + INNER_UDP4[:10]), linktypes.IPV4)
    assert outer.inner is not None and names(outer.inner) == ["decoder.ipv4.pkt_too_small"]


@pytest.mark.parametrize(
    ("ethernet", "event"),
    [
        (MACS + b"\x08\x00" + INNER_UDP4[:25], "decoder.ipv4.trunc_pkt"),
        (MACS + b"\x12\x34" + INNER_UDP4, "decoder.ethernet.unknown_ethertype"),
        (MACS + b"\x08\x06" + bytes(28), "decoder.arp.unsupported_hardware"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_bridged_ethernet_is_kept_whatever_follows_its_header(ethernet: bytes, event: str) -> None:
    outer = decode(ip4(47, b"\x00\x00\x65\x58" + ethernet), linktypes.IPV4)
    assert outer.events is None and outer.inner is not None and names(outer.inner) == [event]
    outer = decode(ip4(47, b"\x00\x00\x65\x58" + MACS), linktypes.IPV4)
    assert outer.inner is None


def test_gre_v1_checks_the_protocol_before_the_key() -> None:
    assert names(decode(ip4(47, b"\x00\x01\x08\x00" + bytes(8)), linktypes.IPV4)) == [
        "decoder.gre.version1_wrong_protocol"
    ]


@pytest.mark.parametrize(
    ("frame", "linktype", "source"),
    [
        (ip4(47, b"\x00\x00\x08\x00" + INNER_UDP4), linktypes.IPV4, "gre tunnel"),
        (ip4(4, INNER_UDP4), linktypes.IPV4, "ipv4 tunnel"),
        (ip6(4, INNER_UDP4), linktypes.IPV6, "ipv6 tunnel"),
    ],
)
def test_tunnel_packets_are_named_after_the_carrying_layer(frame: bytes, linktype: int, source: str) -> None:
    inner = decode(frame, linktype).inner
    assert inner is not None and inner.pkt_src == source


ETHERNET_IP4 = MACS + b"\x08\x00"


def nest(wrap: Callable[[bytes], bytes], levels: int) -> Packet:
    frame = INNER_UDP4
    for _ in range(levels):
        frame = wrap(frame)
    return decode(ETHERNET_IP4 + frame)


def gre_ip(frame: bytes) -> bytes:
    return ip4(47, b"\x00\x00\x08\x00" + frame)


def gre_teb(frame: bytes) -> bytes:
    return ip4(47, b"\x00\x00\x65\x58" + ETHERNET_IP4 + frame)


def pptp(frame: bytes) -> bytes:
    ppp = b"\xff\x03\x00\x21" + frame
    return ip4(47, struct.pack("!HHHH", 0x2001, 0x880B, len(ppp), 1) + ppp)


def erspan_ii(frame: bytes) -> bytes:
    return ip4(47, gre_seq(0x88BE) + erspan2() + ETHERNET_IP4 + frame)


def ipip(frame: bytes) -> bytes:
    return ip4(4, frame)


# Over Ethernet, with Suricata's 16 decode layers: each GRE/IP tunnel costs 3 (IP, GRE, the tunnel
# packet), one carrying Ethernet or PPP 4, ERSPAN type II 5, IP-in-IP 2. Where the limit falls on
# the outer packet's header or on the tunnel packet, the outer packet has too_many_layers; where
# it falls on the tunnel packet's first header, the tunnel packet is dropped silently.
@pytest.mark.parametrize(
    ("wrap", "depth", "event"),
    [(gre_ip, 4, True), (gre_teb, 3, True), (pptp, 3, True), (erspan_ii, 2, False), (ipip, 6, False)],
    ids=["gre-ip", "gre-teb", "pptp", "erspan-ii", "ip-in-ip"],
)
def test_nesting_stops_at_the_layer_limit(wrap: Callable[[bytes], bytes], depth: int, event: bool) -> None:
    assert innermost(nest(wrap, depth))[1] == depth
    last, reached = innermost(nest(wrap, depth + 3))
    assert reached == depth
    assert names(last) == (["decoder.too_many_layers"] if event else [])


def test_layer_limit_follows_decoder_max_layers() -> None:
    try:
        configure_decoders(DecoderConfig(max_layers=12))
        last, reached = innermost(nest(gre_ip, 6))
        assert reached == 3 and names(last) == ["decoder.too_many_layers"]
        configure_decoders(DecoderConfig(max_layers=20))
        last, reached = innermost(nest(gre_ip, 9))
        assert reached == 5 and last.events is None  # the 6th tunnel packet's IP header is over
    finally:
        configure_decoders(DecoderConfig())


def test_tunnel_packet_near_the_limit_counts_its_vlan_and_ip_headers() -> None:
    # 3 GRE-TEB levels end at 15 layers; a 4th tunnel packet (16) is refused on the outer packet.
    # With max-layers 17 the 4th bridged frame decodes its Ethernet header (17 > 16 is fine for
    # layer 16) but its VLAN tag is over: the frame is kept with the event, without IP.
    try:
        configure_decoders(DecoderConfig(max_layers=17))
        frame = ETHERNET_IP4[:12] + b"\x81\x00\x00\x07\x08\x00" + INNER_UDP4
        for _ in range(3):
            frame = ip4(47, b"\x00\x00\x65\x58" + frame)
            frame = ETHERNET_IP4 + frame
        pkt = decode(ip4(47, b"\x00\x00\x65\x58" + frame), linktypes.IPV4)
        last, reached = innermost(pkt)
        assert reached == 4 and last.ip_version == 0 and names(last) == ["decoder.too_many_layers"]
    finally:
        configure_decoders(DecoderConfig())


def test_gre_v0_ignores_the_acknowledgment_bit() -> None:
    outer = decode(ip4(47, b"\x00\x80\x08\x00" + INNER_UDP4), linktypes.IPV4)
    assert outer.events is None
    assert_inner_udp4(outer)
