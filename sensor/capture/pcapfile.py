"""Offline capture files: `open_capture` detects classic pcap or pcapng and returns a reader.

Step 1 of the data flow (README) for `pehredar sensor replay`: yields
(ts_us, linktype, frame) from a file, deterministically. Classic pcap is read
here (both byte orders, microsecond and nanosecond magic); pcapng lives in
`sensor.capture.pcapng`. Hot path: the file is mmapped, record headers are read
with module-level `struct.Struct.unpack_from`, and each frame is one `bytes`
slice. A file that is not a capture raises `CaptureError` at open; a truncated or
corrupt one yields every good record first, then raises `CaptureError` naming the
file and the offset.
"""

from __future__ import annotations

import mmap
import os
import struct
from collections.abc import Iterator

from sensor.capture.base import MAX_CAPLEN, CaptureStats, FileSource, PacketSource, RawPacket
from sensor.capture.pcapng import PCAPNG_MAGIC, PcapNgReader
from sensor.errors import CaptureError

__all__ = ["PcapReader", "open_capture"]

_PCAP_US_MAGIC = 0xA1B2C3D4
_PCAP_NS_MAGIC = 0xA1B23C4D
_MAGIC = struct.Struct("<I")

# global header: magic, version major, minor, thiszone, sigfigs, snaplen (not used), linktype (+ FCS bits)
_GLOBAL_HDR = {order: struct.Struct(order + "IHHiIII") for order in "<>"}
# record header, first three fields: ts_sec, ts_usec (or ts_nsec), caplen (orig_len is not read)
_RECORD_HDR = {order: struct.Struct(order + "III") for order in "<>"}
_GLOBAL_HDR_LEN = 24
_RECORD_HDR_LEN = 16
_LINKTYPE_MASK = 0xFFFF  # upper bits carry the FCS length and its flag, not the link type


class PcapReader(FileSource):
    """A classic pcap file as a `PacketSource`; each iteration reads the file from the start."""

    def __init__(self, path: str, buf: mmap.mmap | bytes, byte_order: str, nanos: bool) -> None:
        if len(buf) < _GLOBAL_HDR_LEN:
            raise CaptureError(f"{path}: truncated pcap global header ({len(buf)} bytes) at offset 0")
        super().__init__(path, buf)
        fields = _GLOBAL_HDR[byte_order].unpack_from(buf, 0)
        self.linktype: int = fields[6] & _LINKTYPE_MASK
        self.nanos = nanos
        self._record = _RECORD_HDR[byte_order]

    def __iter__(self) -> Iterator[RawPacket]:
        buf = self._buf
        end = len(buf)
        unpack = self._record.unpack_from
        linktype = self.linktype
        divisor = 1000 if self.nanos else 1
        st = self._stats = CaptureStats()
        off = _GLOBAL_HDR_LEN
        while off + _RECORD_HDR_LEN <= end:
            sec, frac, caplen = unpack(buf, off)
            start = off + _RECORD_HDR_LEN
            nxt = start + caplen
            if caplen > MAX_CAPLEN:
                raise CaptureError(f"{self.path}: corrupt record (caplen {caplen}) at offset {off}")
            if nxt > end:
                raise CaptureError(
                    f"{self.path}: truncated record data (caplen {caplen}, "
                    f"{end - start} bytes left) at offset {off}"
                )
            st.records += 1
            st.bytes += caplen
            yield sec * 1000000 + frac // divisor, linktype, buf[start:nxt]
            off = nxt
        if off != end:
            raise CaptureError(
                f"{self.path}: truncated record header ({end - off} bytes left) at offset {off}"
            )


def _read_file(path: str) -> mmap.mmap | bytes:
    """Map the whole file read-only; read it into memory when it cannot be mapped (pipes)."""
    try:
        with open(path, "rb") as f:
            try:
                mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            except (ValueError, OSError):  # empty file, pipe, or a file system without mmap
                return f.read()
    except OSError as e:
        raise CaptureError(f"{path}: cannot read: {e.strerror or e}") from e
    mm.madvise(mmap.MADV_SEQUENTIAL)
    return mm


def open_capture(path: str | os.PathLike[str]) -> PacketSource:
    """Open a classic pcap or pcapng file, chosen by its magic number."""
    name = os.fspath(path)
    buf = _read_file(name)
    if len(buf) == 0:
        raise CaptureError(f"{name}: empty file, not a pcap or pcapng capture")
    if len(buf) < 4:
        raise CaptureError(f"{name}: too short to be a pcap or pcapng capture ({len(buf)} bytes)")
    (magic_le,) = _MAGIC.unpack_from(buf, 0)
    if magic_le == PCAPNG_MAGIC:
        return PcapNgReader(name, buf)
    magic_be = int.from_bytes(buf[0:4], "big")
    for order, magic in (("<", magic_le), (">", magic_be)):
        if magic in (_PCAP_US_MAGIC, _PCAP_NS_MAGIC):
            return PcapReader(name, buf, order, nanos=magic == _PCAP_NS_MAGIC)
    raise CaptureError(f"{name}: not a pcap or pcapng capture (magic {bytes(buf[0:4]).hex()})")
