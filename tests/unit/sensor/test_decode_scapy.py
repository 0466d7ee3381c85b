"""Cross-check: scapy builds frames, our decoders read them, the fields must agree."""

from __future__ import annotations

import ipaddress
import warnings

import pytest

from sensor.capture import linktypes
from sensor.decode.dispatch import decode_frame
from sensor.decode.packet import Packet

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from scapy.layers.inet import ICMP, IP, TCP, UDP
    from scapy.layers.inet6 import (
        ICMPv6EchoReply,
        IPv6,
        IPv6ExtHdrDestOpt,
        IPv6ExtHdrFragment,
        IPv6ExtHdrHopByHop,
        IPv6ExtHdrRouting,
        Pad1,
        RouterAlert,
    )
    from scapy.layers.l2 import GRE, CookedLinux, Dot1AD, Dot1Q, Ether
    from scapy.packet import Packet as ScapyPacket
    from scapy.packet import Raw

ETH = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")

FRAMES: list[ScapyPacket] = [
    ETH
    / IP(src="192.0.2.1", dst="192.0.2.2", ttl=7, tos=0x20, id=999)
    / TCP(sport=1234, dport=80, seq=5, ack=6, flags="PA", window=321)
    / Raw(b"GET /"),
    ETH
    / IP(src="192.0.2.1", dst="192.0.2.2", options=b"\x94\x04\x00\x00\x01\x01\x01\x01")
    / TCP(
        sport=1,
        dport=2,
        flags="S",
        options=[("MSS", 1400), ("NOP", None), ("WScale", 3), ("SAckOK", b""), ("Timestamp", (9, 0))],
    ),
    ETH / Dot1Q(vlan=10) / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=53, dport=5353) / Raw(b"dns"),
    ETH
    / Dot1AD(vlan=100)
    / Dot1Q(vlan=200)
    / IPv6(src="2001:db8::1", dst="2001:db8::2", hlim=3, tc=0x11)
    / UDP(sport=1, dport=2)
    / Raw(b"q"),
    ETH / IP(src="10.0.0.1", dst="10.0.0.2") / ICMP(type=0, id=77, seq=88) / Raw(b"pong"),
    ETH / IPv6(src="fe80::1", dst="fe80::2") / ICMPv6EchoReply(id=5, seq=6, data=b"p6"),
    ETH
    / IPv6(src="2001:db8::1", dst="2001:db8::2")
    / IPv6ExtHdrHopByHop(options=[RouterAlert(), Pad1(), Pad1()])
    / IPv6ExtHdrDestOpt(options=[RouterAlert(), Pad1(), Pad1()])
    / IPv6ExtHdrRouting(type=2, addresses=["2001:db8::3"])
    / TCP(sport=9, dport=10)
    / Raw(b"ext"),
    ETH
    / IPv6(src="2001:db8::1", dst="2001:db8::2")
    / IPv6ExtHdrFragment(id=1234, offset=0, m=1)
    / UDP(sport=11, dport=12)
    / Raw(b"f" * 16),
    ETH
    / IP(src="10.0.0.1", dst="10.0.0.2", flags="MF", frag=0, id=4)
    / UDP(sport=13, dport=14)
    / Raw(b"g" * 24),
    ETH
    / IP(src="198.51.100.1", dst="198.51.100.2")
    / GRE()
    / IP(src="10.1.0.1", dst="10.1.0.2")
    / UDP(sport=15, dport=16)
    / Raw(b"tun"),
    ETH
    / IP(src="198.51.100.1", dst="198.51.100.2")
    / IPv6(src="2001:db8::5", dst="2001:db8::6")
    / TCP(sport=17, dport=18),
    CookedLinux(pkttype=0, lladdrtype=1, lladdrlen=6, src=b"\x02\x00\x00\x00\x00\x01\x00\x00")
    / IP(src="10.0.0.1", dst="10.0.0.2")
    / UDP(sport=19, dport=20),
]


def expected(frame: ScapyPacket) -> dict[str, object]:
    """The fields scapy says the innermost packet has (dissected again, so lengths are filled in)."""
    frame = frame.__class__(bytes(frame))
    ip = [layer for layer in frame.iterpayloads() if isinstance(layer, (IP, IPv6))][-1]
    out: dict[str, object] = {
        "src": ipaddress.ip_address(ip.src).packed,
        "dst": ipaddress.ip_address(ip.dst).packed,
    }
    if isinstance(ip, IP):
        out.update(ip_version=4, ttl=ip.ttl, tos=ip.tos, ip_id=ip.id, ip_len=ip.len)
        out["is_fragment"] = bool(ip.flags.MF) or ip.frag > 0
    else:
        out.update(ip_version=6, ttl=ip.hlim, tos=ip.tc, ip_len=40 + ip.plen)
        out["is_fragment"] = frame.haslayer(IPv6ExtHdrFragment)
    if out["is_fragment"]:
        return out
    l4 = ip.payload
    while isinstance(l4, (IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt, IPv6ExtHdrRouting)):
        l4 = l4.payload
    if isinstance(l4, TCP):
        out.update(
            proto=6,
            sp=l4.sport,
            dp=l4.dport,
            tcp_seq=l4.seq,
            tcp_ack=l4.ack,
            tcp_flags=int(l4.flags),
            tcp_win=l4.window,
        )
        out["payload"] = bytes(l4.payload)
    elif isinstance(l4, UDP):
        out.update(proto=17, sp=l4.sport, dp=l4.dport, payload=bytes(l4.payload))
    elif isinstance(l4, ICMP):
        out.update(
            proto=1,
            icmp_type=l4.type,
            icmp_code=l4.code,
            icmp_id=l4.id,
            icmp_seq=l4.seq,
            payload=bytes(l4.payload),
        )
    elif isinstance(l4, ICMPv6EchoReply):
        out.update(
            proto=58, icmp_type=l4.type, icmp_code=l4.code, icmp_id=l4.id, icmp_seq=l4.seq, payload=l4.data
        )
    return out


@pytest.mark.parametrize("frame", FRAMES, ids=lambda f: f.summary())
def test_fields_agree_with_scapy(frame: ScapyPacket) -> None:
    linktype = linktypes.LINUX_SLL if isinstance(frame, CookedLinux) else linktypes.ETHERNET
    pkt = Packet(0, 1, linktype, bytes(frame))
    decode_frame(pkt)
    assert pkt.events is None
    while pkt.inner is not None:
        pkt = pkt.inner
    for field, value in expected(frame).items():
        assert getattr(pkt, field) == value, field


def test_tcp_options_agree_with_scapy() -> None:
    pkt = Packet(0, 1, linktypes.ETHERNET, bytes(FRAMES[1]))
    decode_frame(pkt)
    assert pkt.tcp_opts == {
        2: (1400).to_bytes(2, "big"),
        3: b"\x03",
        4: b"",
        8: (9).to_bytes(4, "big") + bytes(4),
    }


def test_vlan_ids_agree_with_scapy() -> None:
    pkt = Packet(0, 1, linktypes.ETHERNET, bytes(FRAMES[3]))
    decode_frame(pkt)
    assert pkt.vlan == (100, 200)
