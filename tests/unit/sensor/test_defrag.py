"""IPv4/IPv6 fragment reassembly: order, duplicates, overlap policies, IPv6 headers, timeouts, memcap.

The overlap tables were observed on Suricata 8.0.8 (host-os-policy set per policy; "first" is
its hpux11/macos mapping): old fragment A covers units 2-4, a later fragment B overlaps it.
"""

from __future__ import annotations

import itertools
import struct

import pytest

from sensor.capture import linktypes
from sensor.decode.checksum import checksums_valid
from sensor.decode.dispatch import decode_frame
from sensor.decode.events import event_name
from sensor.decode.packet import Packet
from sensor.stream.defrag import POLICIES, Defragmenter

SRC4 = bytes([192, 0, 2, 10])
DST4 = bytes([192, 0, 2, 20])
SRC6 = bytes.fromhex("20010db8000000000000000000000010")
DST6 = bytes.fromhex("20010db8000000000000000000000020")


def frag4(data: bytes, unit: int, more: bool, ident: int = 77, src: bytes = SRC4, proto: int = 17) -> bytes:
    flags = (0x2000 if more else 0) | unit
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(data), ident, flags, 64, proto, 0, src, DST4) + data


def frag6(data: bytes, unit: int, more: bool, ident: int = 0x1234, hbh: bool = False) -> bytes:
    fh = struct.pack("!BBHI", 17, 0, (unit << 3) | int(more), ident)
    ext = b""
    nh = 44
    if hbh:  # hop-by-hop (router alert + two Pad1) before the fragment header
        ext = bytes([44, 0, 5, 2, 0, 0, 0, 0])
        nh = 0
    return struct.pack("!IHBB", 6 << 28, len(ext) + 8 + len(data), nh, 64) + SRC6 + DST6 + ext + fh + data


def packet(frame: bytes, ts_us: int = 1_000_000, linktype: int = linktypes.IPV4, n: int = 1) -> Packet:
    pkt = Packet(ts_us, n, linktype, frame)
    decode_frame(pkt)
    assert pkt.is_fragment
    return pkt


def names(pkt: Packet) -> list[str]:
    return [event_name(e) for e in pkt.events or []]


def udp_datagram(body: bytes, dport: int = 5000) -> bytes:
    return struct.pack("!HHHH", 4000, dport, 8 + len(body), 0) + body


BODY = bytes(range(256)) * 2  # 512 bytes
DGRAM = udp_datagram(BODY)  # 520 bytes: units 0-64 (last unit partial)


def pieces(dgram: bytes, cuts: list[int]) -> list[tuple[int, bytes, bool]]:
    """Split at unit boundaries: (unit offset, data, more fragments)."""
    bounds = [0, *(c * 8 for c in cuts), len(dgram)]
    return [(a // 8, dgram[a:b], b < len(dgram)) for a, b in itertools.pairwise(bounds)]


def run(defrag: Defragmenter, frames: list[bytes], linktype: int = linktypes.IPV4) -> list[Packet]:
    out = []
    for i, frame in enumerate(frames):
        whole = defrag.add(packet(frame, 1_000_000 + i, linktype, i + 1))
        if whole is not None:
            out.append(whole)
    return out


def test_in_order() -> None:
    d = Defragmenter()
    frames = [frag4(data, unit, more) for unit, data, more in pieces(DGRAM, [20, 40])]
    [whole] = run(d, frames)
    assert whole.is_pseudo and not whole.is_fragment and whole.events is None
    assert (whole.ip_version, whole.src, whole.dst, whole.proto, whole.ip_id) == (4, SRC4, DST4, 17, 77)
    assert (whole.sp, whole.dp, whole.payload, whole.ip_len) == (4000, 5000, BODY, 20 + len(DGRAM))
    assert (whole.ts_us, whole.pcap_cnt) == (1_000_002, 3)  # those of the completing fragment
    assert checksums_valid(whole)  # header rebuilt with a fresh checksum
    assert d.stats["fragments"] == 3 and d.stats["reassembled"] == 1
    assert d.trackers == 0 and d.bytes_held == 0


@pytest.mark.parametrize("order", [[2, 1, 0], [1, 2, 0], [0, 2, 1], [2, 0, 1]])
def test_out_of_order(order: list[int]) -> None:
    frames = [frag4(data, unit, more) for unit, data, more in pieces(DGRAM, [20, 40])]
    [whole] = run(Defragmenter(), [frames[i] for i in order])
    assert whole.payload == BODY and whole.events is None


def test_nothing_until_complete() -> None:
    d = Defragmenter()
    frames = [frag4(data, unit, more) for unit, data, more in pieces(DGRAM, [20, 40])]
    assert run(d, frames[:2]) == []
    assert d.trackers == 1 and d.bytes_held > 0


def test_duplicate_is_an_overlap_on_the_fragment() -> None:
    d = Defragmenter()
    frames = [frag4(data, unit, more) for unit, data, more in pieces(DGRAM, [20, 40])]
    pkts = [packet(f, n=i) for i, f in enumerate([frames[0], frames[1], frames[1], frames[2]])]
    results = [d.add(p) for p in pkts]
    assert names(pkts[2]) == ["decoder.ipv4.frag_overlap"]
    assert [names(p) for p in (pkts[0], pkts[1], pkts[3])] == [[], [], []]
    whole = results[3]
    assert whole is not None and whole.payload == BODY
    assert whole.events is None  # as in Suricata: the event is on the fragment only
    assert d.stats["overlaps"] == 1


# A = units 2-4 (arrives first); B arrives second. Result: units 1.. of the reassembled data,
# "z" for filler, "Z" for the last fragment.
OVERLAP_CASES: dict[tuple[int, int], dict[str, str]] = {
    (1, 2): {
        "bsd": "BBAAzZ",
        "bsd-right": "BAAAzZ",
        "linux": "BBAAzZ",
        "solaris": "BAAAzZ",
        "windows": "BAAAzZ",
        "first": "BAAAzZ",
        "last": "BBAAzZ",
    },
    (1, 5): {
        "bsd": "BBBBBzZ",
        "bsd-right": "BAAABzZ",
        "linux": "BBBBBzZ",
        "solaris": "BBBBBzZ",
        "windows": "BBBBBzZ",
        "first": "BAAABzZ",
        "last": "BBBBBzZ",
    },
    (1, 4): {
        "bsd": "BBBBzZ",
        "bsd-right": "BAAAzZ",
        "linux": "BBBBzZ",
        "solaris": "BBBBzZ",
        "windows": "BAAAzZ",
        "first": "BAAAzZ",
        "last": "BBBBzZ",
    },
    (2, 2): {
        "bsd": "zAAAzZ",
        "bsd-right": "zBBAzZ",
        "linux": "zBBAzZ",
        "solaris": "zAAAzZ",
        "windows": "zAAAzZ",
        "first": "zAAAzZ",
        "last": "zBBAzZ",
    },
    (2, 3): {
        "bsd": "zAAAzZ",
        "bsd-right": "zBBBzZ",
        "linux": "zBBBzZ",
        "solaris": "zAAAzZ",
        "windows": "zAAAzZ",
        "first": "zAAAzZ",
        "last": "zBBBzZ",
    },
    (2, 4): {
        "bsd": "zAAABzZ",
        "bsd-right": "zBBBBzZ",
        "linux": "zBBBBzZ",
        "solaris": "zAAABzZ",
        "windows": "zAAABzZ",
        "first": "zAAABzZ",
        "last": "zBBBBzZ",
    },
    (3, 1): {
        "bsd": "zAAAzZ",
        "bsd-right": "zABAzZ",
        "linux": "zAAAzZ",
        "solaris": "zAAAzZ",
        "windows": "zAAAzZ",
        "first": "zAAAzZ",
        "last": "zABAzZ",
    },
    (3, 2): {
        "bsd": "zAAAzZ",
        "bsd-right": "zABBzZ",
        "linux": "zAAAzZ",
        "solaris": "zAAAzZ",
        "windows": "zAAAzZ",
        "first": "zAAAzZ",
        "last": "zABBzZ",
    },
    (3, 3): {
        "bsd": "zAAABzZ",
        "bsd-right": "zABBBzZ",
        "linux": "zAAABzZ",
        "solaris": "zAAABzZ",
        "windows": "zAAABzZ",
        "first": "zAAABzZ",
        "last": "zABBBzZ",
    },
}


def overlap_frames(b_unit: int, b_len: int, make: object) -> tuple[list[bytes], int]:
    """UDP header, A, B, fillers for uncovered units, then the final fragment."""
    assert callable(make)
    end_unit = max(5, b_unit + b_len) + 1
    total = (end_unit + 1) * 8
    header = struct.pack("!HHHH", 4000, 5000, total, 0)
    frames = [make(header, 0, True), make(b"A" * 24, 2, True), make(b"B" * 8 * b_len, b_unit, True)]
    covered = set(range(2, 5)) | set(range(b_unit, b_unit + b_len))
    frames += [make(b"z" * 8, u, True) for u in range(1, end_unit) if u not in covered]
    frames.append(make(b"Z" * 8, end_unit, False))
    return frames, total


def units(payload: bytes) -> str:
    return payload[::8].decode()


@pytest.mark.parametrize("policy", sorted(POLICIES))
@pytest.mark.parametrize("b_range", list(OVERLAP_CASES), ids=lambda r: f"B{r[0]}+{r[1]}")
def test_overlap_policies_ipv4(policy: str, b_range: tuple[int, int]) -> None:
    frames, _ = overlap_frames(*b_range, make=lambda data, unit, more: frag4(data, unit, more))
    pkts = [packet(f, n=i) for i, f in enumerate(frames)]
    d = Defragmenter(policy=policy)
    [whole] = [w for w in map(d.add, pkts) if w is not None]
    assert units(whole.payload) == OVERLAP_CASES[b_range][policy]
    assert names(pkts[2]) == ["decoder.ipv4.frag_overlap"]
    assert d.stats["overlaps"] == 1


@pytest.mark.parametrize("policy", ["bsd", "first", "last"])
def test_overlap_policies_ipv6(policy: str) -> None:
    frames, _ = overlap_frames(1, 2, make=lambda data, unit, more: frag6(data, unit, more))
    pkts = [packet(f, linktype=linktypes.IPV6, n=i) for i, f in enumerate(frames)]
    [whole] = [w for w in map(Defragmenter(policy=policy).add, pkts) if w is not None]
    assert units(whole.payload) == OVERLAP_CASES[(1, 2)][policy]
    assert names(pkts[2]) == ["decoder.ipv6.frag_overlap"]


def test_unknown_policy() -> None:
    with pytest.raises(ValueError, match="bsd"):
        Defragmenter(policy="vista")


def test_ipv6_rebuilds_next_header_and_length() -> None:
    frames = [frag6(data, unit, more, hbh=True) for unit, data, more in pieces(DGRAM, [30])]
    [whole] = run(Defragmenter(), frames, linktypes.IPV6)
    assert whole.ip_version == 6 and not whole.is_fragment and whole.events is None
    assert (whole.proto, whole.sp, whole.dp, whole.payload) == (17, 4000, 5000, BODY)
    assert whole.ip_len == 40 + 8 + len(DGRAM)
    assert whole.data[6] == 0 and whole.data[40] == 17  # HBH kept, now pointing at UDP
    assert whole.l4_off == 48
    assert checksums_valid(whole) is False  # the test datagram carries a zero UDP checksum


def test_keys_separate_datagrams() -> None:
    d = Defragmenter()
    a = pieces(DGRAM, [33])
    other_src = bytes([192, 0, 2, 99])
    frames = [
        frag4(a[0][1], 0, True),
        frag4(a[0][1], 0, True, src=other_src),
        frag4(a[0][1], 0, True, ident=78),
        frag4(a[1][1], a[1][0], False, src=other_src),
        frag4(a[1][1], a[1][0], False),
    ]
    done = run(d, frames)
    assert [p.src for p in done] == [other_src, SRC4]
    assert d.trackers == 1  # ident 78 still waiting
    assert d.stats["overlaps"] == 0


def test_vlan_is_part_of_the_key_and_copied() -> None:
    d = Defragmenter()
    first, last = pieces(DGRAM, [33])
    p1 = packet(frag4(first[1], 0, True))
    p1.vlan = (10,)
    p2 = packet(frag4(last[1], last[0], False))
    p2.vlan = (20,)
    assert d.add(p1) is None and d.add(p2) is None
    p3 = packet(frag4(last[1], last[0], False))
    p3.vlan = (10,)
    whole = d.add(p3)
    assert whole is not None and whole.vlan == (10,)


def test_timeout_by_packet_time() -> None:
    d = Defragmenter(timeout_us=5_000_000)
    first, last = pieces(DGRAM, [33])
    assert d.add(packet(frag4(first[1], 0, True), ts_us=1_000_000)) is None
    assert d.add(packet(frag4(last[1], last[0], False), ts_us=7_000_000)) is None
    assert d.stats["timeouts"] == 1 and d.trackers == 1  # the late fragment starts afresh
    assert d.expire(20_000_000) == 1 and d.trackers == 0 and d.bytes_held == 0


def test_within_timeout_completes() -> None:
    d = Defragmenter(timeout_us=5_000_000)
    first, last = pieces(DGRAM, [33])
    assert d.add(packet(frag4(first[1], 0, True), ts_us=1_000_000)) is None
    assert d.add(packet(frag4(last[1], last[0], False), ts_us=5_900_000)) is not None


def test_memcap_evicts_oldest_tracker() -> None:
    d = Defragmenter(max_bytes=560)
    first, last = pieces(DGRAM, [33])  # 264 + 256 bytes of data, plus a 20-byte header
    assert d.add(packet(frag4(first[1], 0, True, ident=1))) is None
    assert d.add(packet(frag4(first[1], 0, True, ident=2))) is None
    assert d.stats["evicted_memcap"] == 1 and d.trackers == 1  # ident 1 made room
    whole = d.add(packet(frag4(last[1], last[0], False, ident=2)))
    assert whole is not None and whole.payload == BODY
    assert d.add(packet(frag4(last[1], last[0], False, ident=1))) is None  # its start is gone
    assert d.bytes_held <= 560


def test_fragment_larger_than_memcap_is_ignored() -> None:
    d = Defragmenter(max_bytes=100)
    pkt = packet(frag4(DGRAM[:264], 0, True))
    assert d.add(pkt) is None
    assert names(pkt) == ["decoder.ipv4.frag_ignored"]
    assert d.stats["ignored"] == 1 and d.trackers == 0 and d.bytes_held == 0


def test_too_large_ipv4() -> None:
    d = Defragmenter()
    pkt = packet(frag4(b"x" * 64, 8185, True))  # ends at 65544 + 20 header bytes
    assert d.add(pkt) is None
    assert names(pkt) == ["decoder.ipv4.frag_pkt_too_large"]
    assert d.stats["too_large"] == 1 and d.trackers == 0


def test_too_large_ipv6() -> None:
    d = Defragmenter()
    pkt = packet(frag6(b"x" * 64, 8185, True), linktype=linktypes.IPV6)
    assert d.add(pkt) is None
    assert names(pkt) == ["decoder.ipv6.frag_pkt_too_large"]


def test_reassembled_datagram_that_is_itself_broken_still_comes_back() -> None:
    d = Defragmenter()
    assert d.add(packet(frag4(struct.pack("!HHHH", 1, 2, 4, 0), 0, True))) is None  # UDP length 4
    whole = d.add(packet(frag4(b"ab", 1, False)))
    assert whole is not None and names(whole) == ["decoder.udp.len_invalid"]
