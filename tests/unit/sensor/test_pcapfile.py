"""Unit tests of the offline packet sources (sensor.capture.pcapfile / pcapng).

Every capture is built byte by byte with struct in tmp_path (no binary files in the
repository): classic pcap in both byte orders and resolutions, pcapng with several
sections, interfaces, time resolutions, packet block kinds and unknown blocks, and
truncated or corrupt variants. scapy's writers and raw readers serve as a second
opinion, and the suricata-verify corpus (when present) as real-world input.
"""

from __future__ import annotations

import os
import struct
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from sensor.capture import linktypes
from sensor.capture.base import CaptureStats, PacketSource, RawPacket
from sensor.capture.pcapfile import PcapReader, open_capture
from sensor.capture.pcapng import PcapNgReader
from sensor.errors import CaptureError

if TYPE_CHECKING:
    from scapy.packet import Packet

TS0 = 1_700_000_000  # seconds since the epoch used by the generated captures
FRAMES = [bytes(range(14)), b"\xaa" * 61, b"", b"\x01\x02\x03", bytes(1514)]


# ---------------------------------------------------------------- classic pcap builders


def pcap_header(order: str = "<", nanos: bool = False, linktype: int = 1, snaplen: int = 65535) -> bytes:
    magic = 0xA1B23C4D if nanos else 0xA1B2C3D4
    return struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)


def pcap_record(sec: int, frac: int, data: bytes, order: str = "<", caplen: int | None = None) -> bytes:
    length = len(data) if caplen is None else caplen
    return struct.pack(order + "IIII", sec, frac, length, len(data)) + data


def pcap_file(
    records: Iterable[tuple[int, int, bytes]], order: str = "<", nanos: bool = False, linktype: int = 1
) -> bytes:
    return pcap_header(order, nanos, linktype) + b"".join(
        pcap_record(sec, frac, data, order) for sec, frac, data in records
    )


# ---------------------------------------------------------------- pcapng builders


def block(btype: int, body: bytes, order: str = "<") -> bytes:
    body += b"\0" * (-len(body) % 4)
    blen = 12 + len(body)
    return struct.pack(order + "II", btype, blen) + body + struct.pack(order + "I", blen)


def option(code: int, value: bytes, order: str = "<") -> bytes:
    return struct.pack(order + "HH", code, len(value)) + value + b"\0" * (-len(value) % 4)


def shb(order: str = "<", major: int = 1) -> bytes:
    return block(0x0A0D0D0A, struct.pack(order + "IHHq", 0x1A2B3C4D, major, 0, -1), order)


def idb(
    linktype: int,
    order: str = "<",
    snaplen: int = 0,
    tsresol: int | None = None,
    tsoffset: int | None = None,
) -> bytes:
    opts = b""
    if tsresol is not None:
        opts += option(9, bytes([tsresol]), order)
    if tsoffset is not None:
        opts += option(14, struct.pack(order + "q", tsoffset), order)
    if opts:
        opts += option(0, b"", order)
    return block(1, struct.pack(order + "HHI", linktype, 0, snaplen) + opts, order)


def epb(ifid: int, ts: int, data: bytes, order: str = "<", opts: bytes = b"") -> bytes:
    body = struct.pack(order + "IIIII", ifid, ts >> 32, ts & 0xFFFFFFFF, len(data), len(data))
    return block(6, body + data + b"\0" * (-len(data) % 4) + opts, order)


def spb(data: bytes, origlen: int | None = None, order: str = "<") -> bytes:
    return block(3, struct.pack(order + "I", len(data) if origlen is None else origlen) + data, order)


def pb(ifid: int, ts: int, data: bytes, order: str = "<") -> bytes:
    body = struct.pack(order + "HHIIII", ifid, 0, ts >> 32, ts & 0xFFFFFFFF, len(data), len(data))
    return block(2, body + data, order)


# ---------------------------------------------------------------- helpers


def write(tmp_path: Path, content: bytes, name: str = "cap.pcap") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def read_all(path: Path) -> list[RawPacket]:
    return list(open_capture(path))


def read_until_error(path: Path) -> tuple[list[RawPacket], CaptureError]:
    got: list[RawPacket] = []
    with pytest.raises(CaptureError) as excinfo:
        got.extend(open_capture(path))  # keeps the packets yielded before the error
    return got, excinfo.value


# ---------------------------------------------------------------- classic pcap


@pytest.mark.parametrize("order", ["<", ">"])
def test_pcap_microseconds_both_byte_orders(tmp_path: Path, order: str) -> None:
    records = [(TS0 + i, 999_999 - i, frame) for i, frame in enumerate(FRAMES)]
    path = write(tmp_path, pcap_file(records, order=order))
    src = open_capture(path)
    assert isinstance(src, PcapReader)
    assert list(src) == [(sec * 1_000_000 + us, linktypes.ETHERNET, data) for sec, us, data in records]
    assert src.stats() == CaptureStats(records=len(FRAMES), bytes=sum(map(len, FRAMES)))


@pytest.mark.parametrize("order", ["<", ">"])
def test_pcap_nanoseconds_truncate_to_microseconds(tmp_path: Path, order: str) -> None:
    records = [(TS0, 123_456_789, b"a"), (TS0 + 1, 999, b"b"), (TS0 + 2, 999_999_999, b"c")]
    path = write(tmp_path, pcap_file(records, order=order, nanos=True, linktype=linktypes.RAW))
    assert read_all(path) == [
        (TS0 * 1_000_000 + 123_456, linktypes.RAW, b"a"),
        ((TS0 + 1) * 1_000_000, linktypes.RAW, b"b"),
        ((TS0 + 2) * 1_000_000 + 999_999, linktypes.RAW, b"c"),
    ]


def test_pcap_linktype_fcs_bits_are_masked(tmp_path: Path) -> None:
    field = (4 << 28) | (1 << 26) | linktypes.LINUX_SLL  # FCS length 4 words, F bit set
    path = write(tmp_path, pcap_file([(TS0, 0, b"x")], linktype=field))
    assert read_all(path) == [(TS0 * 1_000_000, linktypes.LINUX_SLL, b"x")]


def test_pcap_header_only_is_empty_capture(tmp_path: Path) -> None:
    src = open_capture(write(tmp_path, pcap_header()))
    assert list(src) == []
    assert src.stats() == CaptureStats(0, 0)


def test_pcap_is_reiterable_and_stats_follow_the_pass(tmp_path: Path) -> None:
    src = open_capture(write(tmp_path, pcap_file([(TS0, i, f) for i, f in enumerate(FRAMES)])))
    it = iter(src)
    next(it)
    next(it)
    assert src.stats() == CaptureStats(2, len(FRAMES[0]) + len(FRAMES[1]))
    assert [p[2] for p in src] == FRAMES
    assert src.stats().records == len(FRAMES)


def test_reader_closes_as_context_manager(tmp_path: Path) -> None:
    path = write(tmp_path, pcap_file([(TS0, 0, b"abc")]))
    src = open_capture(path)
    assert isinstance(src, PcapReader)
    with src as opened:
        assert [p[2] for p in opened] == [b"abc"]
    with pytest.raises(ValueError):
        list(src)


def test_pcap_record_header_cut(tmp_path: Path) -> None:
    content = pcap_file([(TS0, 1, b"good"), (TS0, 2, b"also good")])
    path = write(tmp_path, content + pcap_record(TS0, 3, b"lost")[:10])
    got, err = read_until_error(path)
    assert [p[2] for p in got] == [b"good", b"also good"]
    assert str(path) in str(err)
    assert str(err) == f"{path}: truncated record header (10 bytes left) at offset {len(content)}"


def test_pcap_record_data_cut(tmp_path: Path) -> None:
    content = pcap_file([(TS0, 1, b"good")])
    path = write(tmp_path, content + pcap_record(TS0, 2, b"0123456789")[:-3])
    got, err = read_until_error(path)
    assert [p[2] for p in got] == [b"good"]
    assert str(err).startswith(f"{path}: truncated record data")
    assert str(err).endswith(f"at offset {len(content)}")


def test_pcap_absurd_caplen_is_corrupt(tmp_path: Path) -> None:
    content = pcap_file([(TS0, 1, b"good")])
    path = write(tmp_path, content + pcap_record(TS0, 2, bytes(64), caplen=300_000))
    got, err = read_until_error(path)
    assert len(got) == 1
    assert str(err) == f"{path}: corrupt record (caplen 300000) at offset {len(content)}"


def test_pcap_global_header_cut(tmp_path: Path) -> None:
    path = write(tmp_path, pcap_header()[:20])
    with pytest.raises(CaptureError, match="truncated pcap global header"):
        open_capture(path)


# ---------------------------------------------------------------- not a capture


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b"\xd4\xc3", "too short"),
        (b"GET / HTTP/1.1\r\nHost: example\r\n\r\n", "not a pcap or pcapng capture"),
        (b"\n\r\r\nxxxxxxxxxxxxxxxxxxxxxxxx", "bad byte-order magic"),
    ],
)
def test_not_a_capture(tmp_path: Path, content: bytes, message: str) -> None:
    path = write(tmp_path, content)
    with pytest.raises(CaptureError, match=message) as excinfo:
        open_capture(path)
    assert str(path) in str(excinfo.value)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.pcap"
    with pytest.raises(CaptureError, match="cannot read") as excinfo:
        open_capture(path)
    assert str(path) in str(excinfo.value)


def test_unmappable_file_is_read_instead(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.pcap"
    os.mkfifo(fifo)
    content = pcap_file([(TS0, 5, b"through a pipe")])

    def feed() -> None:
        with open(fifo, "wb") as f:
            f.write(content)

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        src = open_capture(fifo)
    finally:
        writer.join(timeout=10)
    assert list(src) == [(TS0 * 1_000_000 + 5, linktypes.ETHERNET, b"through a pipe")]


# ---------------------------------------------------------------- pcapng


@pytest.mark.parametrize("order", ["<", ">"])
def test_pcapng_epb_both_byte_orders(tmp_path: Path, order: str) -> None:
    ts = [TS0 * 1_000_000 + i * 1_000_003 for i in range(len(FRAMES))]
    comment = option(1, b"a comment", order) + option(0, b"", order)  # EPB options are skipped
    packets = [
        epb(0, t, f, order, opts=comment if i % 2 else b"") for i, (t, f) in enumerate(zip(ts, FRAMES))
    ]
    content = shb(order) + idb(linktypes.ETHERNET, order) + b"".join(packets)
    src = open_capture(write(tmp_path, content, "cap.pcapng"))
    assert isinstance(src, PcapNgReader)
    assert list(src) == [(t, linktypes.ETHERNET, f) for t, f in zip(ts, FRAMES)]
    assert src.stats() == CaptureStats(len(FRAMES), sum(map(len, FRAMES)))


def test_pcapng_interfaces_carry_their_own_linktype(tmp_path: Path) -> None:
    content = (
        shb()
        + idb(linktypes.ETHERNET)
        + idb(linktypes.RAW, tsresol=9)
        + idb(linktypes.LINUX_SLL2)
        + epb(1, TS0 * 10**9 + 5_000, b"raw")
        + epb(0, TS0 * 10**6 + 1, b"eth")
        + epb(2, TS0 * 10**6 + 2, b"sll2")
        + epb(0, TS0 * 10**6 + 3, b"eth again")
    )
    assert read_all(write(tmp_path, content)) == [
        (TS0 * 10**6 + 5, linktypes.RAW, b"raw"),
        (TS0 * 10**6 + 1, linktypes.ETHERNET, b"eth"),
        (TS0 * 10**6 + 2, linktypes.LINUX_SLL2, b"sll2"),
        (TS0 * 10**6 + 3, linktypes.ETHERNET, b"eth again"),
    ]


@pytest.mark.parametrize(
    ("tsresol", "tsoffset", "raw", "expected_us"),
    [
        (None, None, TS0 * 10**6 + 7, TS0 * 10**6 + 7),  # default: microseconds
        (6, None, TS0 * 10**6 + 7, TS0 * 10**6 + 7),
        (3, None, TS0 * 10**3 + 7, TS0 * 10**6 + 7_000),  # milliseconds
        (0, None, TS0, TS0 * 10**6),  # seconds
        (9, None, TS0 * 10**9 + 7_999, TS0 * 10**6 + 7),  # nanoseconds, floored
        (12, TS0, 3 * 10**6 + 999_999, TS0 * 10**6 + 3),  # picoseconds past an offset
        (0x80 | 20, None, TS0 * 2**20 + 2**19, TS0 * 10**6 + 500_000),  # 2^-20 s
        (0x80 | 10, None, 3 * 2**10 + 1, 3 * 10**6 + 976),  # 2^-10 s, floored
        (None, TS0, 42, TS0 * 10**6 + 42),  # if_tsoffset in seconds
        (9, -5, 10 * 10**9 + 3_000, 5 * 10**6 + 3),  # both, negative offset
    ],
)
def test_pcapng_timestamp_resolution_and_offset(
    tmp_path: Path, tsresol: int | None, tsoffset: int | None, raw: int, expected_us: int
) -> None:
    content = shb() + idb(linktypes.ETHERNET, tsresol=tsresol, tsoffset=tsoffset) + epb(0, raw, b"p")
    assert read_all(write(tmp_path, content)) == [(expected_us, linktypes.ETHERNET, b"p")]


def test_pcapng_spb_uses_first_interface_and_last_timestamp(tmp_path: Path) -> None:
    content = (
        shb()
        + idb(linktypes.RAW, snaplen=8)
        + idb(linktypes.ETHERNET)
        + spb(b"early...", origlen=100)  # no timestamp seen yet: 0; cut at snaplen
        + epb(1, TS0 * 10**6 + 9, b"eth")
        + spb(b"0123456789", origlen=10)  # cut to the snaplen of interface 0
        + spb(b"abc", origlen=3)  # padded in the file; the padding is not data
    )
    assert read_all(write(tmp_path, content)) == [
        (0, linktypes.RAW, b"early..."),
        (TS0 * 10**6 + 9, linktypes.ETHERNET, b"eth"),
        (TS0 * 10**6 + 9, linktypes.RAW, b"01234567"),
        (TS0 * 10**6 + 9, linktypes.RAW, b"abc"),
    ]


def test_pcapng_obsolete_packet_block(tmp_path: Path) -> None:
    content = shb(">") + idb(linktypes.NULL, ">", tsresol=3) + pb(0, TS0 * 1000 + 1, b"old", ">")
    assert read_all(write(tmp_path, content)) == [(TS0 * 10**6 + 1000, linktypes.NULL, b"old")]


def test_pcapng_unknown_blocks_are_skipped(tmp_path: Path) -> None:
    nrb = block(4, struct.pack("<HH", 1, 4) + bytes([10, 0, 0, 1]) + b"\0" * 4)
    isb = block(5, struct.pack("<III", 0, 0, 0) + option(0, b""))
    dsb = block(0x0A, struct.pack("<II", 0x544C534B, 5) + b"secret")
    custom = block(0x00000BAD, struct.pack("<I", 32473) + b"copyable custom data")
    custom_nocopy = block(0x40000BAD, struct.pack("<I", 32473) + b"x")
    future = block(0x12345678, b"")
    content = (
        shb()
        + nrb
        + idb(linktypes.ETHERNET)
        + isb
        + epb(0, 1, b"one")
        + dsb
        + custom
        + custom_nocopy
        + future
        + epb(0, 2, b"two")
        + isb
    )
    assert read_all(write(tmp_path, content)) == [(1, 1, b"one"), (2, 1, b"two")]


def test_pcapng_sections_change_byte_order_and_reset_interfaces(tmp_path: Path) -> None:
    content = (
        shb("<")
        + idb(linktypes.ETHERNET, "<")
        + epb(0, 10, b"le", "<")
        + shb(">")
        + idb(linktypes.RAW, ">", tsresol=3)
        + epb(0, 20, b"be", ">")
        + shb("<")
        + idb(linktypes.IPV6, "<")
        + epb(0, 30, b"le again", "<")
    )
    assert read_all(write(tmp_path, content)) == [
        (10, linktypes.ETHERNET, b"le"),
        (20_000, linktypes.RAW, b"be"),
        (30, linktypes.IPV6, b"le again"),
    ]


def test_pcapng_interface_of_previous_section_is_gone(tmp_path: Path) -> None:
    first = shb() + idb(linktypes.ETHERNET) + idb(linktypes.RAW) + epb(1, 1, b"ok")
    path = write(tmp_path, first + shb() + idb(linktypes.RAW) + epb(1, 2, b"bad"))
    got, err = read_until_error(path)
    assert got == [(1, linktypes.RAW, b"ok")]
    offset = len(first) + len(shb()) + len(idb(linktypes.RAW))
    assert str(err) == f"{path}: corrupt enhanced packet block (interface 1) at offset {offset}"


def test_pcapng_packet_before_any_interface(tmp_path: Path) -> None:
    path = write(tmp_path, shb() + spb(b"orphan"))
    got, err = read_until_error(path)
    assert got == []
    assert f"at offset {len(shb())}" in str(err)


@pytest.mark.parametrize("cut", [1, 4, 11, 12, 20, 27, 28, 40])
def test_pcapng_truncated_block(tmp_path: Path, cut: int) -> None:
    head = shb() + idb(linktypes.ETHERNET) + epb(0, 1, b"kept")
    path = write(tmp_path, head + epb(0, 2, b"0123456789abcdef0123")[:cut])
    got, err = read_until_error(path)
    assert got == [(1, linktypes.ETHERNET, b"kept")]
    assert str(err).startswith(f"{path}: truncated block")
    assert str(err).endswith(f"at offset {len(head)}")


@pytest.mark.parametrize(
    ("bad_block", "message", "at"),
    [
        (struct.pack("<II", 6, 8) + bytes(24), "corrupt block (type 0x6, length 8)", 0),
        (struct.pack("<II", 1, 22) + bytes(24), "corrupt block (type 0x1, length 22)", 0),
        (epb(0, 2, b"abcd")[:-4] + struct.pack("<I", 99), "trailing length differs", 0),
        (block(6, struct.pack("<IIIII", 0, 0, 0, 300_000, 300_000)), "packet block (caplen 300000)", 0),
        (block(6, struct.pack("<IIIII", 0, 0, 0, 8, 8) + b"abcd"), "enhanced packet block (caplen 8)", 0),
        (block(6, struct.pack("<IIII", 0, 0, 0, 0)), "corrupt block (type 0x6, length 28)", 0),
        (block(1, struct.pack("<HHI", 1, 0, 0) + option(9, bytes(40))[:8]), "interface option 9", 16),
        (
            block(2, struct.pack("<HHIIII", 3, 0, 0, 0, 1, 1) + b"x"),
            "packet block (caplen 1, interface 3)",
            0,
        ),
        (shb(major=2), "section header (major version not 1)", 0),
        (block(0x0A0D0D0A, b"\x01\x02\x03\x04" + bytes(12)), "section header (byte-order magic)", 0),
    ],
    ids=[
        "epb-length-8",
        "idb-length-unaligned",
        "trailer-mismatch",
        "epb-caplen-absurd",
        "epb-caplen-beyond-block",
        "epb-too-short",
        "idb-option-overrun",
        "pb-unknown-interface",
        "shb-version-2",
        "shb-bad-bom",
    ],
)
def test_pcapng_corrupt_block(tmp_path: Path, bad_block: bytes, message: str, at: int) -> None:
    head = shb() + idb(linktypes.ETHERNET) + epb(0, 1, b"kept")
    path = write(tmp_path, head + bad_block + epb(0, 3, b"never"))
    got, err = read_until_error(path)
    assert got == [(1, linktypes.ETHERNET, b"kept")]
    assert str(err).startswith(f"{path}: corrupt ")
    assert message in str(err)
    assert str(err).endswith(f"at offset {len(head) + at}")


def test_pcapng_section_header_cut(tmp_path: Path) -> None:
    path = write(tmp_path, shb()[:10])
    got, err = read_until_error(path)
    assert got == []
    assert str(err) == f"{path}: truncated block header (10 bytes left) at offset 0"


def test_pcapng_section_header_only(tmp_path: Path) -> None:
    src = open_capture(write(tmp_path, shb(">")))
    assert list(src) == []
    assert src.stats() == CaptureStats(0, 0)


# ---------------------------------------------------------------- scapy as a second opinion


def _scapy_packets() -> list[Packet]:
    from scapy.layers.inet import IP, TCP, UDP
    from scapy.layers.l2 import Ether
    from scapy.packet import Raw

    packets: list[Packet] = []
    for i in range(40):
        pkt = Ether() / IP(dst=f"10.0.0.{i}") / (TCP(dport=80) if i % 2 else UDP(dport=53)) / Raw(b"x" * i)
        pkt.time = TS0 + i * 0.25 + (i % 7) / 1_000_000
        packets.append(pkt)
    return packets


@pytest.mark.parametrize("nano", [False, True])
def test_matches_scapy_pcap(tmp_path: Path, nano: bool) -> None:
    from scapy.utils import PcapWriter, RawPcapReader

    path = tmp_path / "scapy.pcap"
    with PcapWriter(str(path), nano=nano, sync=True) as writer:
        for pkt in _scapy_packets():
            writer.write(pkt)
    divisor = 1000 if nano else 1
    with RawPcapReader(str(path)) as reader:
        expected = [(m.sec * 1_000_000 + m.usec // divisor, reader.linktype, d) for d, m in reader]
    assert read_all(path) == expected
    assert len(expected) == 40


def test_matches_scapy_pcapng(tmp_path: Path) -> None:
    from scapy.utils import PcapNgWriter, RawPcapNgReader

    path = tmp_path / "scapy.pcapng"
    writer = PcapNgWriter(str(path))
    for pkt in _scapy_packets():
        writer.write(pkt)
    writer.close()
    with RawPcapNgReader(str(path)) as reader:
        metadata: list[tuple[bytes, Any]] = list(reader)  # scapy types these as pcap, not pcapng, metadata
    expected = [(((m.tshigh << 32) | m.tslow) * 1_000_000 // m.tsresol, m.linktype, d) for d, m in metadata]
    assert read_all(path) == expected
    assert len(expected) == 40


# ---------------------------------------------------------------- suricata-verify corpus

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "suricata-verify" / "tests"
CORPUS_PCAPS = sorted(CORPUS.glob("*/*.pcap")) if CORPUS.is_dir() else []

# Files of the corpus that are genuinely corrupt: a record claims more than 256 KiB. libpcap
# (and so Suricata) and Wireshark stop there as well. Value: (records before it, message part).
CORPUS_CORRUPT = {
    "bug-1450-04/tls_DER-incomplete-header.pcap": (6, "corrupt record (caplen 4325376) at offset 5035"),
    "bug-1450-05/tls_DER-incomplete-content.pcap": (6, "corrupt record (caplen 4325376) at offset 5035"),
    "bug-6875-01/fuzz.pcap": (1, "corrupt record (caplen 1409179648) at offset 228"),
    "smtp-to-comma/10.7.29.101_49898-178.63.41.150_25.pcap": (
        18,
        "corrupt record (caplen 3925868813) at offset 3695",
    ),
}


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS_PCAPS, reason="suricata-verify corpus not present")
@pytest.mark.parametrize("path", CORPUS_PCAPS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_pcap_reads(path: Path) -> None:
    from scapy.utils import RawPcapReader

    name = f"{path.parent.name}/{path.name}"
    src: PacketSource = open_capture(path)
    got: list[RawPacket] = []
    if name in CORPUS_CORRUPT:
        count, message = CORPUS_CORRUPT[name]
        with pytest.raises(CaptureError, match=message.replace("(", r"\(").replace(")", r"\)")):
            got.extend(src)
        assert len(got) == count
        return
    got.extend(src)
    assert isinstance(src, PcapReader)  # the corpus holds classic pcap only
    divisor = 1000 if src.nanos else 1
    with RawPcapReader(str(path)) as reader:
        expected = [(m.sec * 1_000_000 + m.usec // divisor, reader.linktype, d) for d, m in reader]
    assert got == expected
    assert src.stats() == CaptureStats(len(got), sum(len(d) for _, _, d in got))
