"""Property: a cut or damaged capture file never yields garbage and never raises a foreign exception.

For generated classic pcap and pcapng files (sensor.capture.pcapfile / pcapng), cutting
the file at every byte offset yields exactly the records wholly before the cut, then
stops cleanly when the cut falls on a record (block) boundary and raises CaptureError
otherwise. Overwriting bytes anywhere may end the read early, but only with
CaptureError. The files are built with struct here; nothing binary is committed.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sensor.capture.base import CaptureStats, RawPacket
from sensor.capture.pcapfile import open_capture
from sensor.errors import CaptureError

TS0_US = 1_700_000_000 * 1_000_000
LINKTYPES = [0, 1, 101, 113, 228, 229, 276]
# if_tsresol byte (None: option absent) -> timestamp units per second
RESOLUTIONS: dict[int | None, int] = {None: 10**6, 6: 10**6, 9: 10**9, 0x80 | 20: 2**20}


@dataclass
class Capture:
    """A generated file: its bytes, the packets it holds, and where each record or block ends."""

    content: bytes
    packets: list[RawPacket] = field(default_factory=list)
    # (offset just past a record or block, packets wholly before that offset)
    boundaries: dict[int, int] = field(default_factory=dict)


frames = st.binary(max_size=40)
timestamps = st.integers(min_value=0, max_value=10**12).map(lambda d: TS0_US + d)


@st.composite
def pcaps(draw: st.DrawFn) -> Capture:
    order = draw(st.sampled_from("<>"))
    nanos = draw(st.booleans())
    linktype = draw(st.sampled_from(LINKTYPES))
    magic = 0xA1B23C4D if nanos else 0xA1B2C3D4
    cap = Capture(struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, 65535, linktype))
    cap.boundaries[len(cap.content)] = 0
    for ts, data in draw(st.lists(st.tuples(timestamps, frames), max_size=8)):
        sec, usec = divmod(ts, 1_000_000)
        frac = usec * 1000 + draw(st.integers(0, 999)) if nanos else usec
        cap.content += struct.pack(order + "IIII", sec, frac, len(data), len(data) + 7) + data
        cap.packets.append((ts, linktype, data))
        cap.boundaries[len(cap.content)] = len(cap.packets)
    return cap


def _block(order: str, btype: int, body: bytes) -> bytes:
    body += b"\0" * (-len(body) % 4)
    return struct.pack(order + "II", btype, len(body) + 12) + body + struct.pack(order + "I", len(body) + 12)


@st.composite
def pcapngs(draw: st.DrawFn) -> Capture:
    cap = Capture(b"")
    last_ts = 0
    for _ in range(draw(st.integers(1, 3))):  # sections
        order = draw(st.sampled_from("<>"))
        interfaces: list[tuple[int, int | None]] = []
        blocks = [_block(order, 0x0A0D0D0A, struct.pack(order + "IHHq", 0x1A2B3C4D, 1, 0, -1))]
        packets: list[RawPacket | None] = [None]
        for kind in draw(st.lists(st.sampled_from(["idb", "epb", "epb", "spb", "other"]), max_size=8)):
            if kind == "idb" or (kind in ("epb", "spb") and not interfaces):
                linktype = draw(st.sampled_from(LINKTYPES))
                tsresol = draw(st.sampled_from(list(RESOLUTIONS)))
                opts = b""
                if tsresol is not None:
                    opts = struct.pack(order + "HHB3x", 9, 1, tsresol) + struct.pack(order + "HH", 0, 0)
                interfaces.append((linktype, tsresol))
                blocks.append(_block(order, 1, struct.pack(order + "HHI", linktype, 0, 0) + opts))
                packets.append(None)
            if kind == "epb":
                ifid = draw(st.integers(0, len(interfaces) - 1))
                linktype, tsresol = interfaces[ifid]
                ts, data = draw(timestamps), draw(frames)
                units = RESOLUTIONS[tsresol]
                raw = ts * units // 10**6
                ts = raw * 10**6 // units
                body = struct.pack(order + "IIIII", ifid, raw >> 32, raw & 0xFFFFFFFF, len(data), len(data))
                blocks.append(_block(order, 6, body + data))
                packets.append((ts, linktype, data))
                last_ts = ts
            elif kind == "spb":
                data = draw(frames)
                blocks.append(_block(order, 3, struct.pack(order + "I", len(data)) + data))
                packets.append((last_ts, interfaces[0][0], data))
            elif kind == "other":
                btype = draw(st.sampled_from([4, 5, 0x0A, 0xBAD, 0x40000BAD]))
                blocks.append(_block(order, btype, draw(st.binary(max_size=12))))
                packets.append(None)
        for raw_block, packet in zip(blocks, packets):
            cap.content += raw_block
            if packet is not None:
                cap.packets.append(packet)
            cap.boundaries[len(cap.content)] = len(cap.packets)
    return cap


def _read(path: Path) -> tuple[list[RawPacket], CaptureError | None, CaptureStats | None]:
    """Read everything; return the packets, the CaptureError that ended the read, and the stats."""
    got: list[RawPacket] = []
    try:
        src = open_capture(path)
    except CaptureError as e:
        return got, e, None
    try:
        got.extend(src)  # keeps the packets yielded before an error
    except CaptureError as e:
        return got, e, src.stats()
    return got, None, src.stats()


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("truncation") / "capture"


def _check_every_cut(path: Path, cap: Capture) -> None:
    path.write_bytes(cap.content)
    got, err, _ = _read(path)
    assert err is None
    assert got == cap.packets
    for cut in range(len(cap.content), -1, -1):
        os.truncate(path, cut)
        got, err, stats = _read(path)
        if cut in cap.boundaries:
            assert err is None, f"cut at boundary {cut}: {err}"
            assert got == cap.packets[: cap.boundaries[cut]]
        else:
            assert err is not None, f"cut at {cut} stopped cleanly"
            assert str(err).startswith(f"{path}: ")
            assert got == cap.packets[: max((n for end, n in cap.boundaries.items() if end < cut), default=0)]
        if stats is not None:
            assert stats == CaptureStats(len(got), sum(len(p[2]) for p in got))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cap=pcaps())
def test_pcap_cut_anywhere(scratch: Path, cap: Capture) -> None:
    _check_every_cut(scratch, cap)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cap=pcapngs())
def test_pcapng_cut_anywhere(scratch: Path, cap: Capture) -> None:
    _check_every_cut(scratch, cap)


@settings(max_examples=300, deadline=None)
@given(
    cap=st.one_of(pcaps(), pcapngs()),
    edits=st.lists(
        st.tuples(st.integers(min_value=0), st.binary(min_size=1, max_size=4)), min_size=1, max_size=4
    ),
)
def test_damaged_bytes_raise_only_capture_error(
    scratch: Path, cap: Capture, edits: list[tuple[int, bytes]]
) -> None:
    content = bytearray(cap.content)
    for pos, value in edits:
        pos %= len(content)
        content[pos : pos + len(value)] = value
    scratch.write_bytes(bytes(content))
    got, err, stats = _read(scratch)  # any exception other than CaptureError fails the test
    if err is not None:
        assert str(err).startswith(f"{scratch}: ")
    if stats is not None:
        assert stats == CaptureStats(len(got), sum(len(p[2]) for p in got))
