"""Decoders are total: any bytes, under any link type, decode without raising.

For random bytes and for valid frames with random byte mutations and truncations: decoding
returns normally, every offset lies within the frame, the payload is a slice of the frame,
every recorded event is a registered decoder event, tunnels nest boundedly, and fragments fed
to the defragmenter never break its memory bound.
"""

from __future__ import annotations

import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sensor.capture import linktypes
from sensor.decode.config import LIMITS
from sensor.decode.dispatch import decode_frame
from sensor.decode.events import EVENTS
from sensor.decode.packet import Packet
from sensor.stream.defrag import Defragmenter

LINKTYPES = sorted(linktypes.SUPPORTED)
MAC = bytes.fromhex("020000000001020000000002")
SRC6 = bytes.fromhex("20010db8000000000000000000000001")
DST6 = bytes.fromhex("20010db8000000000000000000000002")


def ip4(proto: int, payload: bytes, options: bytes = b"", frag: int = 0) -> bytes:
    hlen = 20 + len(options)
    hdr = struct.pack(
        "!BBHHHBBH4s4s",
        0x40 | hlen // 4,
        0,
        hlen + len(payload),
        9,
        frag,
        64,
        proto,
        0,
        b"\x0a\x00\x00\x01",
        b"\x0a\x00\x00\x02",
    )
    return hdr + options + payload


def ip6(nh: int, payload: bytes) -> bytes:
    return struct.pack("!IHBB", 6 << 28, len(payload), nh, 64) + SRC6 + DST6 + payload


TCP = (
    struct.pack("!HHIIBBHHH", 1234, 80, 1, 2, 0x80, 0x18, 512, 0, 0)
    + bytes([2, 4, 5, 0xB4, 1, 3, 3, 7, 4, 2, 8, 10])
    + bytes(8)
    + b"\x00" * 4
    + b"GET /"
)
UDP = struct.pack("!HHHH", 53, 53, 13, 0) + b"hello"
ICMP4 = struct.pack("!BBHHH", 3, 1, 0, 0, 0) + ip4(17, UDP)
ICMP6 = struct.pack("!BBHHH", 128, 0, 0, 1, 2) + b"ping"
HBH_FRAG = bytes([44, 0, 5, 2, 0, 0, 1, 0]) + struct.pack("!BBHI", 17, 0, 1, 7) + UDP
MPLS_100 = struct.pack("!I", (100 << 12) | 64)
MPLS_200_BOTTOM = struct.pack("!I", (200 << 12) | 0x100 | 64)
ARP = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + bytes(20)
VXLAN = struct.pack("!BBHI", 0x08, 0, 0, 42 << 8)
GENEVE_TEB = struct.pack("!BBHI", 1, 0, 0x6558, 42 << 8) + struct.pack("!HBB", 0x0102, 0x80, 0)


def udp(sp: int, dp: int, payload: bytes) -> bytes:
    return struct.pack("!HHHH", sp, dp, 8 + len(payload), 0) + payload


# (link type, valid frame) seeds for the mutation strategy
SEEDS: list[tuple[int, bytes]] = [
    (linktypes.ETHERNET, MAC + b"\x08\x00" + ip4(6, TCP)),
    (
        linktypes.ETHERNET,
        MAC + b"\x08\x00" + ip4(17, UDP, options=bytes([0x94, 4, 0, 0, 7, 7, 4, 0, 0, 0, 0, 0])),
    ),
    (linktypes.ETHERNET, MAC + b"\x81\x00\x00\x05\x88\xa8\x00\x06\x86\xdd" + ip6(0, HBH_FRAG)),
    (linktypes.ETHERNET, MAC + b"\x08\x00" + ip4(1, ICMP4)),
    (linktypes.ETHERNET, MAC + b"\x86\xdd" + ip6(58, ICMP6)),
    (linktypes.ETHERNET, MAC + b"\x08\x00" + ip4(47, b"\x00\x00\x65\x58" + MAC + b"\x08\x00" + ip4(6, TCP))),
    (
        linktypes.ETHERNET,
        MAC
        + b"\x08\x00"
        + ip4(47, struct.pack("!HHHHI", 0x3001, 0x880B, 40, 1, 1) + b"\xff\x03\x00\x21" + ip4(17, UDP)),
    ),
    (linktypes.ETHERNET, MAC + b"\x08\x00" + ip4(4, ip4(41, ip6(17, UDP)))),
    (linktypes.ETHERNET, MAC + b"\x08\x00" + ip4(17, UDP, frag=0x2000)),
    (linktypes.LINUX_SLL, bytes(14) + b"\x08\x00" + ip4(6, TCP)),
    (linktypes.LINUX_SLL2, b"\x86\xdd" + bytes(18) + ip6(17, UDP)),
    (linktypes.NULL, b"\x02\x00\x00\x00" + ip4(6, TCP)),
    (linktypes.LOOP, b"\x00\x00\x00\x1e" + ip6(6, TCP)),
    (
        linktypes.RAW,
        ip6(60, bytes([43, 0, 0xC9, 4, 0, 0, 0, 0]) + bytes([17, 2, 0, 1, 0, 0, 0, 0]) + SRC6 + UDP),
    ),
    (linktypes.IPV4, ip4(6, TCP)),
    (linktypes.IPV6, ip6(51, struct.pack("!BBHII", 17, 4, 0, 1, 1) + bytes(12) + UDP)),
    (linktypes.PPP, b"\xff\x03\x00\x21" + ip4(6, TCP)),
    (linktypes.PPP, b"\x57" + ip6(17, UDP)),
    (linktypes.C_HDLC, b"\x0f\x00\x08\x00" + ip4(17, UDP)),
    (
        linktypes.ETHERNET,
        MAC + b"\x88\x64" + struct.pack("!BBHH", 0x11, 0, 1, 2 + 33) + b"\x00\x21" + ip4(17, UDP),
    ),
    (linktypes.ETHERNET, MAC + b"\x88\x63\x11\x09\x00\x00\x00\x08\x01\x01\x00\x00\x01\x02\x00\x00"),
    (linktypes.ETHERNET, MAC + b"\x88\x47" + MPLS_100 + MPLS_200_BOTTOM + ip4(6, TCP)),
    (linktypes.ETHERNET, MAC + b"\x88\x47" + MPLS_200_BOTTOM + bytes(4) + MAC + b"\x86\xdd" + ip6(17, UDP)),
    (linktypes.ETHERNET, MAC + b"\x08\x06" + ARP),
    (
        linktypes.ETHERNET,
        MAC + b"\x89\x4f" + struct.pack("!HBBI", 6, 1, 3, 255) + bytes(16) + MAC + b"\x08\x00" + ip4(17, UDP),
    ),
    (linktypes.ETHERNET, MAC + b"\x89\x26" + struct.pack("!HHH", 5, 7, 0x0800) + ip4(17, UDP)),
    (linktypes.ETHERNET, MAC + b"\x89\x03" + b"\x00\x00" + MAC + b"\x08\x00" + ip4(17, UDP)),
    (
        linktypes.ETHERNET,
        MAC
        + b"\x08\x00"
        + ip4(47, struct.pack("!HHIHHI", 0x1000, 0x88BE, 1, 0x1017, 0, 0) + MAC + b"\x08\x00" + ip4(6, TCP)),
    ),
    (linktypes.ETHERNET, MAC + b"\x08\x00" + ip4(47, b"\x00\x00\x88\x0b\x21" + ip4(17, UDP))),
    (linktypes.ETHERNET, MAC + b"\x08\x00" + ip4(47, b"\x00\x00\x81\x00\x00\x05\x08\x00" + ip4(17, UDP))),
    (
        linktypes.ETHERNET,
        MAC + b"\x08\x00" + ip4(17, udp(1000, 4789, VXLAN + MAC + b"\x08\x00" + ip4(6, TCP))),
    ),
    (
        linktypes.ETHERNET,
        MAC + b"\x08\x00" + ip4(17, udp(1000, 6081, GENEVE_TEB + MAC + b"\x08\x00" + ip4(17, UDP))),
    ),
    (linktypes.ETHERNET, MAC + b"\x08\x00" + ip4(17, udp(3544, 1000, b"\x00\x00" + bytes(6) + ip6(17, UDP)))),
]


def check(pkt: Packet, depth: int = 0) -> None:
    n = len(pkt.data)
    assert -1 <= pkt.l3_off <= n
    assert -1 <= pkt.l4_off <= n
    if pkt.l4_off >= 0:
        assert pkt.l3_off >= 0 and pkt.l4_off >= pkt.l3_off
    assert len(pkt.payload) <= n and pkt.payload in pkt.data
    assert pkt.ip_version in (0, 4, 6)
    assert len(pkt.src) in (0, 4, 16) and len(pkt.src) == len(pkt.dst)
    for eid in pkt.events or ():
        assert 0 <= eid < len(EVENTS)
    if pkt.inner is not None:
        assert pkt.inner.is_pseudo and pkt.inner.tunnel_depth == pkt.tunnel_depth + 1
        assert depth < LIMITS.max_layers
        check(pkt.inner, depth + 1)


def decode_checked(linktype: int, frame: bytes) -> Packet:
    pkt = Packet(0, 1, linktype, frame)
    decode_frame(pkt)
    check(pkt)
    return pkt


@settings(max_examples=400, deadline=None)
@given(linktype=st.sampled_from(LINKTYPES), frame=st.binary(max_size=200))
def test_random_bytes(linktype: int, frame: bytes) -> None:
    decode_checked(linktype, frame)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[int, bytes]:
    linktype, frame = draw(st.sampled_from(SEEDS))
    buf = bytearray(frame)
    for _ in range(draw(st.integers(0, 6))):
        buf[draw(st.integers(0, len(buf) - 1))] = draw(st.integers(0, 255))
    cut = draw(st.integers(0, len(buf)))
    return linktype, bytes(buf[:cut] if draw(st.booleans()) else buf)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_valid_frames(case: tuple[int, bytes]) -> None:
    decode_checked(*case)


def test_seeds_decode_cleanly() -> None:
    for linktype, frame in SEEDS:
        pkt = decode_checked(linktype, frame)
        if frame[12:14] in (b"\x08\x06", b"\x88\x63"):  # ARP, PPPoE discovery: no IP
            assert pkt.events is None and pkt.ip_version == 0, frame.hex()
        else:
            assert pkt.ip_version in (4, 6), frame.hex()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.integers(0, 40), st.integers(0, 64), st.booleans(), st.integers(0, 2), st.integers(0, 10**8)
        ),
        max_size=30,
    )
)
def test_defrag_total_and_bounded(fragments: list[tuple[int, int, bool, int, int]]) -> None:
    d = Defragmenter(max_bytes=600, timeout_us=1_000_000)
    for unit, size, more, ident, ts in fragments:
        frame = ip4(17, bytes([unit]) * size, frag=(0x2000 if more else 0) | unit)
        frame = frame[:4] + struct.pack("!H", ident) + frame[6:]
        pkt = Packet(ts, 1, linktypes.IPV4, frame)
        decode_frame(pkt)
        if pkt.is_fragment:
            whole = d.add(pkt)
            if whole is not None:
                check(whole)
        assert 0 <= d.bytes_held <= 600
    assert all(v >= 0 for v in d.stats.values())
