"""Checksum validation against packets whose checksums scapy computed."""

from __future__ import annotations

import warnings

import pytest

from sensor.capture import linktypes
from sensor.decode.checksum import checksums_valid, internet_checksum, ones_complement_sum
from sensor.decode.dispatch import decode_frame
from sensor.decode.packet import Packet

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from scapy.layers.inet import ICMP, IP, TCP, UDP
    from scapy.layers.inet6 import ICMPv6EchoRequest, IPv6, IPv6ExtHdrHopByHop, Pad1, RouterAlert
    from scapy.packet import Packet as ScapyPacket
    from scapy.packet import Raw

CASES: list[ScapyPacket] = [
    IP(src="10.0.0.1", dst="10.0.0.2") / TCP(sport=1, dport=2, flags="S") / Raw(b"odd"),
    IP(src="10.0.0.1", dst="10.0.0.2", options=b"\x94\x04\x00\x00\x01\x01\x01\x01")
    / UDP(sport=3, dport=4)
    / Raw(b"even"),
    IP(src="10.0.0.1", dst="10.0.0.2") / ICMP(type=8, id=1, seq=2) / Raw(b"ping!"),
    IPv6(src="2001:db8::1", dst="2001:db8::2") / TCP(sport=5, dport=6) / Raw(b"x" * 33),
    IPv6(src="2001:db8::1", dst="2001:db8::2")
    / IPv6ExtHdrHopByHop(options=[RouterAlert(), Pad1(), Pad1()])
    / UDP(sport=7, dport=8)
    / Raw(b"y"),
    IPv6(src="2001:db8::1", dst="2001:db8::2") / ICMPv6EchoRequest(id=3, seq=4, data=b"echo"),
]


def decode(frame: bytes) -> Packet:
    pkt = Packet(0, 1, linktypes.RAW, frame)
    decode_frame(pkt)
    return pkt


def test_sum_helpers() -> None:
    # RFC 1071 example words
    assert ones_complement_sum(bytes.fromhex("0001f203f4f5f6f7")) == 0xDDF2
    assert internet_checksum(bytes.fromhex("0001f203f4f5f6f7")) == 0x220D
    assert ones_complement_sum(b"") == 0
    assert ones_complement_sum(b"\xff\xff") == 0xFFFF
    assert ones_complement_sum(b"\x01") == 0x0100


@pytest.mark.parametrize("scapy_pkt", CASES, ids=lambda p: p.summary())
def test_valid_checksums(scapy_pkt: ScapyPacket) -> None:
    pkt = decode(bytes(scapy_pkt))
    assert pkt.l4_off > 0 and pkt.events is None
    assert checksums_valid(pkt)


@pytest.mark.parametrize("scapy_pkt", CASES, ids=lambda p: p.summary())
def test_corrupted_transport_byte_is_caught(scapy_pkt: ScapyPacket) -> None:
    frame = bytearray(bytes(scapy_pkt))
    frame[-1] ^= 0x01
    assert not checksums_valid(decode(bytes(frame)))


def test_corrupted_ipv4_header_is_caught() -> None:
    frame = bytearray(bytes(CASES[0]))
    frame[8] ^= 0x10  # TTL
    assert not checksums_valid(decode(bytes(frame)))


def test_udp_ipv4_zero_checksum_means_none() -> None:
    scapy_pkt = IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=3, dport=4, chksum=0) / Raw(b"z")
    assert checksums_valid(decode(bytes(scapy_pkt)))


def test_fragment_checks_only_the_ip_header() -> None:
    frag = IP(src="10.0.0.1", dst="10.0.0.2", flags="MF", proto=17) / Raw(b"\x00" * 16)
    pkt = decode(bytes(frag))
    assert pkt.is_fragment and checksums_valid(pkt)


def test_no_ip_is_valid() -> None:
    assert checksums_valid(Packet(0, 1, linktypes.ETHERNET, b""))
