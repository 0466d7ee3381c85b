"""Headers between the link layer and IP: MPLS, NSH, VN-Tag, DCE, 802.1ah, Cisco HDLC, and ARP events."""

from __future__ import annotations

import struct
from collections.abc import Iterator

import pytest

from sensor.capture import linktypes
from sensor.decode.config import DecoderConfig
from sensor.decode.dispatch import configure_decoders, decode_frame
from sensor.decode.events import event_name
from sensor.decode.packet import Packet

SRC4 = bytes([10, 9, 9, 1])
DST4 = bytes([10, 9, 9, 2])
SRC6 = bytes.fromhex("20010db8000000000000000000000001")
DST6 = bytes.fromhex("20010db8000000000000000000000002")
MACS = bytes.fromhex("020000000001020000000002")
UDP4 = (
    struct.pack("!BBHHHBBH4s4s", 0x45, 0, 31, 1, 0, 64, 17, 0, SRC4, DST4)
    + struct.pack("!HHHH", 1, 2, 11, 0)
    + b"abc"
)
UDP6 = struct.pack("!IHBB", 6 << 28, 10, 17, 64) + SRC6 + DST6 + struct.pack("!HHHH", 3, 4, 10, 0) + b"zz"


def decode(frame: bytes, linktype: int = linktypes.ETHERNET) -> Packet:
    pkt = Packet(5, 3, linktype, frame)
    decode_frame(pkt)
    return pkt


def names(pkt: Packet) -> list[str]:
    return [event_name(e) for e in pkt.events or []]


def eth(etype: int, body: bytes) -> bytes:
    return MACS + struct.pack("!H", etype) + body


def label(value: int, bottom: bool = True) -> bytes:
    return struct.pack("!I", (value << 12) | (0x100 if bottom else 0) | 64)


@pytest.mark.parametrize("etype", [0x8847, 0x8848])
def test_mpls_label_stack_guesses_ip(etype: int) -> None:
    pkt = decode(eth(etype, label(100, False) + label(200) + UDP4))
    assert pkt.events is None and (pkt.ip_version, pkt.src, pkt.l3_off) == (4, SRC4, 22)
    pkt = decode(eth(etype, label(100) + UDP6))
    assert pkt.events is None and pkt.ip_version == 6


def test_mpls_explicit_null_labels() -> None:
    assert decode(eth(0x8847, label(0) + UDP4)).ip_version == 4
    assert decode(eth(0x8847, label(2) + UDP6)).ip_version == 6
    assert names(decode(eth(0x8847, label(0) + UDP6))) == ["decoder.ipv4.wrong_ip_version"]


def test_mpls_ethernet_pseudowire() -> None:
    pkt = decode(eth(0x8847, label(300) + bytes(4) + eth(0x8100, b"\x00\x07\x08\x00" + UDP4)))
    assert pkt.events is None and (pkt.ip_version, pkt.vlan) == (4, (7,))


@pytest.mark.parametrize(
    ("body", "event"),
    [
        (b"", "decoder.mpls.header_too_small"),
        (label(100, False) + b"\x00\x01", "decoder.mpls.header_too_small"),
        (label(100) + b"\x45\x00\x00", "decoder.mpls.pkt_too_small"),
        (label(1) + UDP4, "decoder.mpls.bad_label_router_alert"),
        (label(3) + UDP4, "decoder.mpls.bad_label_implicit_null"),
        (label(4) + UDP4, "decoder.mpls.bad_label_reserved"),
        (label(14) + UDP4, "decoder.mpls.bad_label_reserved"),
        (label(100) + b"\x50" + UDP4[1:], "decoder.mpls.unknown_payload_type"),
        (label(100) + bytes(4) + MACS, "decoder.ethernet.pkt_too_small"),
        (label(100) + UDP4[:10], "decoder.ipv4.pkt_too_small"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_mpls_events(body: bytes, event: str) -> None:
    assert names(decode(eth(0x8847, body))) == [event]


def test_mpls_label_15_is_not_reserved() -> None:
    assert decode(eth(0x8847, label(15) + UDP4)).ip_version == 4


def nsh(next_proto: int, md_type: int = 2, length: int = 2, version: int = 0, context: bytes = b"") -> bytes:
    return (
        struct.pack("!HBBI", (version << 14) | (63 << 6) | length, md_type, next_proto, (7 << 8) | 255)
        + context
    )


@pytest.mark.parametrize(
    ("body", "version"),
    [
        (nsh(1) + UDP4, 4),
        (nsh(2) + UDP6, 6),
        (nsh(3) + eth(0x0800, UDP4), 4),
        (nsh(5) + label(100) + UDP4, 4),
        (nsh(1, md_type=1, length=6, context=bytes(16)) + UDP4, 4),
    ],
    ids=["ipv4", "ipv6", "ethernet", "mpls", "md-type-1"],
)
def test_nsh_next_protocols(body: bytes, version: int) -> None:
    pkt = decode(eth(0x894F, body))
    assert pkt.events is None and pkt.ip_version == version


@pytest.mark.parametrize(
    ("body", "event"),
    [
        (nsh(1)[:7], "decoder.nsh.header_too_small"),
        (nsh(1, version=1) + UDP4, "decoder.nsh.unsupported_version"),
        (nsh(1), "decoder.nsh.bad_header_length"),  # nothing behind the header
        (nsh(1, length=40) + UDP4, "decoder.nsh.bad_header_length"),
        (nsh(1, md_type=1) + UDP4, "decoder.nsh.bad_header_length"),  # MD type 1 is 24 bytes
        (nsh(1, md_type=0) + UDP4, "decoder.nsh.reserved_type"),
        (nsh(1, md_type=15) + UDP4, "decoder.nsh.reserved_type"),
        (nsh(1, md_type=3) + UDP4, "decoder.nsh.unsupported_type"),
        (nsh(1, md_type=0x12) + UDP4, "decoder.nsh.unsupported_type"),  # reserved bits set
        (nsh(4) + nsh(1) + UDP4, "decoder.nsh.unknown_payload"),  # NSH in NSH is not decoded
        (nsh(9) + UDP4, "decoder.nsh.unknown_payload"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_nsh_events(body: bytes, event: str) -> None:
    assert names(decode(eth(0x894F, body))) == [event]


def vntag(etype: int) -> bytes:
    return struct.pack("!HHH", 5, 7, etype)


def test_vntag() -> None:
    pkt = decode(eth(0x8926, vntag(0x8100) + b"\x00\x05\x08\x00" + UDP4))
    assert pkt.events is None and (pkt.ip_version, pkt.vlan) == (4, (5,))
    assert names(decode(eth(0x8926, vntag(0x0800)[:5]))) == ["decoder.vntag.header_too_small"]
    assert names(decode(eth(0x8926, vntag(0x1234) + UDP4))) == [
        "decoder.ethernet.unknown_ethertype",
        "decoder.vntag.unknown_type",
    ]


def test_dce() -> None:
    pkt = decode(eth(0x8903, b"\x00\x00" + eth(0x0800, UDP4)))
    assert pkt.events is None and (pkt.ip_version, pkt.l3_off) == (4, 30)
    assert names(decode(eth(0x8903, bytes(15)))) == ["decoder.dce.pkt_too_small"]
    assert names(decode(eth(0x8903, bytes(16)))) == ["decoder.ethernet.unknown_ethertype"]


def test_8021ah_unknown_inner_ethertype() -> None:
    assert names(decode(eth(0x88E7, bytes(4) + eth(0x1234, UDP4)))) == ["decoder.ethernet.unknown_ethertype"]


@pytest.mark.parametrize("address", [b"\x0f\x00", b"\x8f\x00"])
def test_cisco_hdlc(address: bytes) -> None:
    pkt = decode(address + b"\x08\x00" + UDP4, linktypes.C_HDLC)
    assert pkt.events is None and (pkt.ip_version, pkt.l3_off) == (4, 4)
    assert decode(address + b"\x86\xdd" + UDP6, linktypes.C_HDLC).ip_version == 6


@pytest.mark.parametrize(
    ("frame", "event"),
    [
        (b"\x0f\x00\x08", "decoder.chdlc.pkt_too_small"),
        (b"\x8f\x00\x80\x35" + bytes(20), "decoder.ethernet.unknown_ethertype"),  # SLARP
        (b"\x0f\x00\x08\x00", "decoder.ipv4.pkt_too_small"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_cisco_hdlc_events(frame: bytes, event: str) -> None:
    assert names(decode(frame, linktypes.C_HDLC)) == [event]


def arp(htype: int = 1, ptype: int = 0x0800, hlen: int = 6, plen: int = 4, opcode: int = 1) -> bytes:
    return struct.pack("!HHBBH", htype, ptype, hlen, plen, opcode) + bytes(2 * hlen + 2 * plen)


@pytest.mark.parametrize("opcode", [1, 2, 3, 4])
def test_arp_valid_opcodes_are_quiet(opcode: int) -> None:
    pkt = decode(eth(0x0806, arp(opcode=opcode)))
    assert pkt.events is None and pkt.ip_version == 0


@pytest.mark.parametrize(
    ("body", "event"),
    [
        (arp()[:7], "decoder.arp.pkt_too_small"),
        (arp(htype=6), "decoder.arp.unsupported_hardware"),
        (arp(htype=6)[:20], "decoder.arp.unsupported_hardware"),  # checked before the length
        (arp(ptype=0x86DD), "decoder.arp.unsupported_protocol"),
        (arp()[:27], "decoder.arp.invalid_pkt"),
        (arp(hlen=5), "decoder.arp.invalid_pkt"),  # 26 bytes: shorter than Ethernet/IPv4 ARP
        (arp(hlen=7), "decoder.arp.invalid_hardware_size"),
        (arp(plen=16), "decoder.arp.invalid_protocol_size"),
        (arp(opcode=9), "decoder.arp.unsupported_opcode"),
        (arp(opcode=0), "decoder.arp.unsupported_opcode"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_arp_events(body: bytes, event: str) -> None:
    assert names(decode(eth(0x0806, body))) == [event]


def test_arp_behind_vlan_and_sll() -> None:
    assert names(decode(eth(0x8100, b"\x00\x05\x08\x06" + arp(htype=6)))) == [
        "decoder.arp.unsupported_hardware"
    ]
    sll = bytes(14) + b"\x08\x06" + arp(opcode=7)
    assert names(decode(sll, linktypes.LINUX_SLL)) == ["decoder.arp.unsupported_opcode"]
    assert names(decode(bytes(14) + b"\x12\x34" + UDP4, linktypes.LINUX_SLL)) == [
        "decoder.ethernet.unknown_ethertype"
    ]


@pytest.fixture
def stock_config() -> Iterator[None]:
    """Restore Suricata's shipped decoder settings after a test changes them."""
    yield
    configure_decoders(DecoderConfig())


# The smallest decoder.max-layers with which Suricata 8.0.8 decodes each chain (one less: the
# last header is too_many_layers): every header counts once, PPPoE does not, an MPLS stack once.
@pytest.mark.parametrize(
    ("frame", "linktype", "fewest"),
    [
        (eth(0x0800, UDP4), linktypes.ETHERNET, 3),
        (eth(0x8100, b"\x00\x05\x08\x00" + UDP4), linktypes.ETHERNET, 4),
        (eth(0x8847, label(100, False) + label(100, False) + label(100) + UDP4), linktypes.ETHERNET, 4),
        (eth(0x8847, label(100) + bytes(4) + eth(0x0800, UDP4)), linktypes.ETHERNET, 5),
        (
            eth(0x8864, struct.pack("!BBHH", 0x11, 0, 1, 2 + len(UDP4)) + b"\x00\x21" + UDP4),
            linktypes.ETHERNET,
            3,
        ),
        (eth(0x894F, nsh(1) + UDP4), linktypes.ETHERNET, 4),
        (eth(0x8926, vntag(0x0800) + UDP4), linktypes.ETHERNET, 4),
        (eth(0x8903, b"\x00\x00" + eth(0x0800, UDP4)), linktypes.ETHERNET, 4),
        (eth(0x88E7, bytes(4) + eth(0x0800, UDP4)), linktypes.ETHERNET, 4),
        (b"\xff\x03\x00\x21" + UDP4, linktypes.PPP, 3),
        (b"\x0f\x00\x08\x00" + UDP4, linktypes.C_HDLC, 3),
        (bytes(14) + b"\x08\x00" + UDP4, linktypes.LINUX_SLL, 3),
    ],
    ids=[
        "eth",
        "vlan",
        "mpls-stack",
        "mpls-pw",
        "pppoe",
        "nsh",
        "vntag",
        "dce",
        "802.1ah",
        "ppp",
        "chdlc",
        "sll",
    ],
)
def test_headers_count_as_decode_layers(frame: bytes, linktype: int, fewest: int, stock_config: None) -> None:
    configure_decoders(DecoderConfig(max_layers=fewest))
    pkt = decode(frame, linktype)
    assert pkt.events is None and pkt.ip_version == 4
    configure_decoders(DecoderConfig(max_layers=fewest - 1))
    pkt = decode(frame, linktype)
    assert names(pkt) == ["decoder.too_many_layers"] and pkt.ip_version == 0


def test_arp_is_a_decode_layer(stock_config: None) -> None:
    configure_decoders(DecoderConfig(max_layers=2))
    assert names(decode(eth(0x0806, arp(htype=6)))) == ["decoder.too_many_layers"]
