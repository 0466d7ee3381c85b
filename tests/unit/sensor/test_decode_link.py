"""Link-layer decoders: Ethernet, VLAN/QinQ/802.1ah, SLL, SLL2, BSD null/loop, raw IP."""

from __future__ import annotations

import pytest

from sensor.capture import linktypes
from sensor.decode.dispatch import decode_frame, decode_ip_datagram
from sensor.decode.events import event_name
from sensor.decode.packet import Packet

# IPv4 UDP 10.0.0.1:1024 -> 10.0.0.2:53, payload "hi" (checksums zero: not checked here)
IP4_UDP = bytes.fromhex(
    "4500001e00010000401100000a0000010a000002"  # IPv4, total length 30
    "04000035000a0000"  # UDP 1024 -> 53, length 10
    "6869"
)
# IPv6 UDP ::1 -> ::2 port 7 -> 9, payload "x"
IP6_UDP = bytes.fromhex(
    "60000000"
    "0009"
    "11"
    "40" + "00" * 15 + "01" + "00" * 15 + "02" + "0007"  # payload length 9, next header UDP, hop limit 64
    "0009"
    "0009"
    "0000"  # UDP 7 -> 9, length 9
     + "78"
)
MACS = bytes.fromhex("020000000001020000000002")


def decode(frame: bytes, linktype: int = linktypes.ETHERNET) -> Packet:
    pkt = Packet(1_000_000, 1, linktype, frame)
    decode_frame(pkt)
    return pkt


def names(pkt: Packet) -> list[str]:
    return [event_name(e) for e in pkt.events or []]


def eth(etype: int, payload: bytes) -> bytes:
    return MACS + etype.to_bytes(2, "big") + payload


def assert_udp4(pkt: Packet) -> None:
    assert (pkt.ip_version, pkt.proto, pkt.sp, pkt.dp, pkt.payload) == (4, 17, 1024, 53, b"hi")
    assert pkt.src == bytes([10, 0, 0, 1]) and pkt.dst == bytes([10, 0, 0, 2])


def test_ethernet_ipv4() -> None:
    pkt = decode(eth(0x0800, IP4_UDP))
    assert_udp4(pkt)
    assert pkt.l3_off == 14 and pkt.l4_off == 34
    assert pkt.events is None


def test_ethernet_padding_is_not_payload() -> None:
    pkt = decode(eth(0x0800, IP4_UDP + b"\x00" * 16))
    assert_udp4(pkt)


def test_ethernet_ipv6() -> None:
    pkt = decode(eth(0x86DD, IP6_UDP))
    assert (pkt.ip_version, pkt.proto, pkt.sp, pkt.dp, pkt.payload) == (6, 17, 7, 9, b"x")


def test_ethernet_too_small() -> None:
    assert names(decode(MACS + b"\x08")) == ["decoder.ethernet.pkt_too_small"]
    assert names(decode(b"")) == ["decoder.ethernet.pkt_too_small"]


def test_ethernet_unknown_ethertype() -> None:
    assert names(decode(eth(0x1234, b"abcd"))) == ["decoder.ethernet.unknown_ethertype"]


@pytest.mark.parametrize("etype", [0x0026, 0x05DC, 0x6558])  # 802.3 lengths; bridged Ethernet outside GRE
def test_ethernet_not_an_ethertype(etype: int) -> None:
    assert names(decode(eth(etype, b"\x42\x42\x03" + b"\x00" * 40))) == ["decoder.ethernet.unknown_ethertype"]


def test_ethernet_arp_request_is_quiet() -> None:
    arp = bytes.fromhex("0001080006040001") + MACS[:6] + bytes(4) + MACS[6:] + bytes(4)
    pkt = decode(eth(0x0806, arp))
    assert pkt.events is None and pkt.ip_version == 0


def test_vlan_single_and_qinq() -> None:
    pkt = decode(eth(0x8100, bytes.fromhex("0064") + b"\x08\x00" + IP4_UDP))
    assert pkt.vlan == (100,)
    assert_udp4(pkt)
    qinq = eth(0x88A8, bytes.fromhex("a00a8100") + bytes.fromhex("2014") + b"\x08\x00" + IP4_UDP)
    pkt = decode(qinq)
    assert pkt.vlan == (10, 20)  # priority bits stripped
    assert_udp4(pkt)
    pkt = decode(eth(0x9100, bytes.fromhex("000186dd") + IP6_UDP))
    assert pkt.vlan == (1,) and pkt.ip_version == 6


def test_vlan_too_small() -> None:
    assert names(decode(eth(0x8100, b"\x00\x01\x08"))) == ["decoder.vlan.header_too_small"]


def test_vlan_unknown_type() -> None:
    pkt = decode(eth(0x8100, bytes.fromhex("00051234") + b"xx"))
    assert names(pkt) == ["decoder.ethernet.unknown_ethertype", "decoder.vlan.unknown_type"]


def test_vlan_too_many_layers() -> None:
    tags = bytes.fromhex("00018100") + bytes.fromhex("00028100") + bytes.fromhex("00038100")
    pkt = decode(eth(0x8100, tags + bytes.fromhex("00040800") + IP4_UDP))
    assert pkt.vlan == (1, 2, 3)
    assert names(pkt) == ["decoder.vlan.too_many_layers"]
    assert pkt.ip_version == 0


def test_8021ah() -> None:
    itag = bytes.fromhex("00000100") + MACS + b"\x08\x00"
    pkt = decode(eth(0x88E7, itag + IP4_UDP))
    assert_udp4(pkt)
    assert names(decode(eth(0x88E7, itag[:10]))) == ["decoder.ieee8021ah.header_too_small"]


def test_sll() -> None:
    hdr = bytes.fromhex("000000010006") + bytes.fromhex("020000000001") + b"\x00\x00" + b"\x08\x00"
    assert_udp4(decode(hdr + IP4_UDP, linktypes.LINUX_SLL))
    assert names(decode(hdr[:15], linktypes.LINUX_SLL)) == ["decoder.sll.pkt_too_small"]


def test_sll2() -> None:
    hdr = bytes.fromhex("86dd00000000000200010006") + bytes.fromhex("0200000000010000")
    pkt = decode(hdr + IP6_UDP, linktypes.LINUX_SLL2)
    assert (pkt.ip_version, pkt.sp, pkt.dp) == (6, 7, 9)
    assert names(decode(hdr[:19], linktypes.LINUX_SLL2)) == ["decoder.sll2.pkt_too_small"]


@pytest.mark.parametrize("family", [b"\x02\x00\x00\x00", b"\x00\x00\x00\x02"])  # either byte order
def test_null_ipv4(family: bytes) -> None:
    assert_udp4(decode(family + IP4_UDP, linktypes.NULL))


@pytest.mark.parametrize("af", [24, 28, 30])
def test_null_ipv6(af: int) -> None:
    pkt = decode(af.to_bytes(4, "little") + IP6_UDP, linktypes.NULL)
    assert pkt.ip_version == 6


def test_null_errors() -> None:
    assert names(decode(b"\x02\x00", linktypes.NULL)) == ["decoder.ltnull.pkt_too_small"]
    assert names(decode(b"\x07\x00\x00\x00" + IP4_UDP, linktypes.NULL)) == ["decoder.ltnull.unsupported_type"]


def test_loop_is_network_order() -> None:
    assert_udp4(decode(b"\x00\x00\x00\x02" + IP4_UDP, linktypes.LOOP))
    assert names(decode(b"\x02\x00\x00\x00" + IP4_UDP, linktypes.LOOP)) == ["decoder.ltnull.unsupported_type"]


@pytest.mark.parametrize("linktype", [linktypes.RAW, linktypes.RAW_DLT12, linktypes.RAW_DLT14])
def test_raw(linktype: int) -> None:
    assert_udp4(decode(IP4_UDP, linktype))
    assert decode(IP6_UDP, linktype).ip_version == 6
    assert names(decode(b"\x50" + IP4_UDP[1:], linktype)) == ["decoder.ipraw.invalid_ip_version"]
    assert names(decode(IP4_UDP[:19], linktype)) == ["decoder.ipv4.pkt_too_small"]


def test_raw_ipv4_and_ipv6_linktypes() -> None:
    assert_udp4(decode(IP4_UDP, linktypes.IPV4))
    assert decode(IP6_UDP, linktypes.IPV6).ip_version == 6
    assert names(decode(IP6_UDP, linktypes.IPV4)) == ["decoder.ipv4.wrong_ip_version"]


def test_unknown_linktype_left_undecoded() -> None:
    pkt = decode(IP4_UDP, 9999)
    assert pkt.ip_version == 0 and pkt.events is None


def test_decode_ip_datagram_is_pseudo() -> None:
    pkt = decode_ip_datagram(5, 7, IP4_UDP)
    assert pkt.is_pseudo and pkt.ts_us == 5 and pkt.pcap_cnt == 7 and pkt.linktype == linktypes.RAW
    assert_udp4(pkt)
