"""pcapng capture files (IETF draft-ietf-opsawg-pcapng): blocks in, (ts_us, linktype, frame) out.

Step 1 of the data flow (README), reached through `sensor.capture.pcapfile.open_capture`.
Reads sections (SHB, either byte order, repeatable), interfaces (IDB: link type,
snaplen, if_tsresol, if_tsoffset) and packets (EPB, SPB, obsolete PB); every other
block type is skipped by its length. Each packet carries its own interface's link
type and a timestamp converted to integer microseconds. Hot path: module-level
structs over the mapped file, one `bytes` slice per frame. Corruption (bad block
length, unknown interface, cut file) raises `CaptureError` after the good packets.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from sensor.capture.base import MAX_CAPLEN, CaptureStats, FileSource, RawPacket
from sensor.errors import CaptureError

__all__ = ["PCAPNG_MAGIC", "PcapNgReader"]

PCAPNG_MAGIC = 0x0A0D0D0A  # SHB block type; a palindrome, so byte-order independent

_SHB = PCAPNG_MAGIC
_IDB = 1
_PB = 2  # obsolete Packet Block
_SPB = 3
_EPB = 6

_SHB_BYTES = PCAPNG_MAGIC.to_bytes(4, "big")
_BOM_BE = b"\x1a\x2b\x3c\x4d"
_BOM_LE = b"\x4d\x3c\x2b\x1a"

_OPT_ENDOFOPT = 0
_OPT_IF_TSRESOL = 9
_OPT_IF_TSOFFSET = 14

_BLOCK_MIN_LEN = 12  # type, total length, trailing total length
_SHB_MIN_LEN = 28
_IDB_MIN_LEN = 20
_SPB_MIN_LEN = 16  # also the SPB's overhead around its data: header, original length, trailer
_EPB_MIN_LEN = 32  # also the obsolete PB: both have 20 bytes of fields before the data
_EPB_DATA = 28  # offset of the packet data from the start of an EPB or PB
_SPB_DATA = 12


@dataclass(frozen=True, slots=True)
class _Layout:
    """The structs of one byte order; a section header picks which one is in force."""

    block: struct.Struct  # block type, block total length
    u32: struct.Struct  # trailing block total length; SPB original length
    shb: struct.Struct  # byte-order magic, major, minor (after type and length)
    idb: struct.Struct  # link type, reserved, snaplen
    option: struct.Struct  # option code, option length
    i64: struct.Struct  # if_tsoffset
    epb_head: struct.Struct  # block type, block total length, interface id, ts high, ts low, caplen
    pb: struct.Struct  # interface id (16 bits), drops, ts high, ts low, caplen


def _layout(order: str) -> _Layout:
    return _Layout(
        block=struct.Struct(order + "II"),
        u32=struct.Struct(order + "I"),
        shb=struct.Struct(order + "IHH"),
        idb=struct.Struct(order + "HHI"),
        option=struct.Struct(order + "HH"),
        i64=struct.Struct(order + "q"),
        epb_head=struct.Struct(order + "IIIIII"),
        pb=struct.Struct(order + "HHIII"),
    )


_LITTLE = _layout("<")
_BIG = _layout(">")

# How an interface's raw timestamps become microseconds: (multiplier, divisor, offset in us),
# ts_us = raw * multiplier // divisor + offset; None when the raw value already is microseconds.
_Scale = tuple[int, int, int] | None
# One interface: (linktype, timestamp scale, snaplen)
_Interface = tuple[int, _Scale, int]


def _timestamp_scale(tsresol: int, offset_us: int) -> _Scale:
    """The scale for an if_tsresol byte (bit 7: power of 2, else power of 10) and if_tsoffset."""
    exponent = tsresol & 0x7F
    if tsresol & 0x80:
        return 1000000, 1 << exponent, offset_us
    if exponent == 6 and offset_us == 0:
        return None
    if exponent <= 6:
        return 10 ** (6 - exponent), 1, offset_us
    return 1, 10 ** (exponent - 6), offset_us


class PcapNgReader(FileSource):
    """A pcapng file as a `PacketSource`; each iteration reads the file from the start."""

    def __init__(self, path: str, buf: mmap.mmap | bytes) -> None:
        if buf[0:4] != _SHB_BYTES:
            raise CaptureError(f"{path}: not a pcapng capture (no section header) at offset 0")
        if len(buf) >= 12 and buf[8:12] not in (_BOM_BE, _BOM_LE):
            raise CaptureError(f"{path}: not a pcapng capture (bad byte-order magic) at offset 8")
        super().__init__(path, buf)

    def _error(self, kind: str, what: str, off: int) -> CaptureError:
        return CaptureError(f"{self.path}: {kind} {what} at offset {off}")

    def _check_block(self, lay: _Layout, off: int, btype: int, blen: int, min_len: int) -> None:
        """Raise unless the block at `off` has a sane length, fits the file and ends with its length."""
        what = f"block (type {btype:#x}, length {blen}"
        if blen < min_len or blen & 3:
            raise self._error("corrupt", what + ")", off)
        if off + blen > len(self._buf):
            raise self._error("truncated", what + f", {len(self._buf) - off} bytes left)", off)
        if lay.u32.unpack_from(self._buf, off + blen - 4)[0] != blen:
            raise self._error("corrupt", what + ", trailing length differs)", off)

    def _interface(self, lay: _Layout, off: int, blen: int) -> _Interface:
        """Parse an IDB whose length is already checked."""
        buf = self._buf
        linktype, _, snaplen = lay.idb.unpack_from(buf, off + 8)
        tsresol, offset_us = 6, 0
        pos = off + 16
        stop = off + blen - 4
        while pos + 4 <= stop:
            code, olen = lay.option.unpack_from(buf, pos)
            if code == _OPT_ENDOFOPT:
                break
            value = pos + 4
            if value + olen > stop:
                raise self._error("corrupt", f"interface option {code} (length {olen})", pos)
            if code == _OPT_IF_TSRESOL and olen >= 1:
                tsresol = buf[value]
            elif code == _OPT_IF_TSOFFSET and olen >= 8:
                offset_us = lay.i64.unpack_from(buf, value)[0] * 1000000
            pos = value + ((olen + 3) & ~3)
        return linktype, _timestamp_scale(tsresol, offset_us), snaplen

    def __iter__(self) -> Iterator[RawPacket]:
        buf = self._buf
        end = len(buf)
        st = self._stats = CaptureStats()
        lay = _LITTLE
        u32, head = lay.u32.unpack_from, lay.epb_head.unpack_from
        interfaces: list[_Interface] = []
        last_ts = 0
        off = 0
        while off < end:
            if off + _EPB_DATA <= end:  # an EPB's fields come with its header: one call per packet
                btype, blen, ifid, ts_high, ts_low, caplen = head(buf, off)
            elif off + _BLOCK_MIN_LEN <= end:
                btype, blen = lay.block.unpack_from(buf, off)
                ifid = ts_high = ts_low = caplen = 0  # a block this short is no valid EPB
            else:
                raise self._error("truncated", f"block header ({end - off} bytes left)", off)
            nxt = off + blen
            if btype == _EPB:
                if (
                    blen < _EPB_MIN_LEN
                    or blen & 3
                    or nxt > end
                    or u32(buf, nxt - 4)[0] != blen
                    or caplen > MAX_CAPLEN
                    or _EPB_MIN_LEN + caplen > blen
                ):
                    self._check_block(lay, off, btype, blen, _EPB_MIN_LEN)
                    raise self._error("corrupt", f"enhanced packet block (caplen {caplen})", off)
                try:
                    linktype, scale, _ = interfaces[ifid]
                except IndexError:
                    raise self._error("corrupt", f"enhanced packet block (interface {ifid})", off) from None
                last_ts = (ts_high << 32) | ts_low
                if scale is not None:
                    last_ts = last_ts * scale[0] // scale[1] + scale[2]
                st.records += 1
                st.bytes += caplen
                start = off + _EPB_DATA
                yield last_ts, linktype, buf[start : start + caplen]
                off = nxt
                continue
            if btype == _SHB:
                bom = buf[off + 8 : off + 12]
                if bom not in (_BOM_LE, _BOM_BE):
                    raise self._error("corrupt", "section header (byte-order magic)", off)
                lay = _LITTLE if bom == _BOM_LE else _BIG
                u32, head = lay.u32.unpack_from, lay.epb_head.unpack_from
                blen = lay.block.unpack_from(buf, off)[1]
                self._check_block(lay, off, btype, blen, _SHB_MIN_LEN)
                if lay.shb.unpack_from(buf, off + 8)[1] != 1:
                    raise self._error("corrupt", "section header (major version not 1)", off)
                interfaces = []
            elif btype == _IDB:
                self._check_block(lay, off, btype, blen, _IDB_MIN_LEN)
                interfaces.append(self._interface(lay, off, blen))
            elif btype == _SPB:
                self._check_block(lay, off, btype, blen, _SPB_MIN_LEN)
                if not interfaces:
                    raise self._error("corrupt", "simple packet block (no interface yet)", off)
                linktype, _, snaplen = interfaces[0]
                caplen = min(u32(buf, off + 8)[0], blen - _SPB_MIN_LEN)
                if snaplen:
                    caplen = min(caplen, snaplen)
                if caplen > MAX_CAPLEN:
                    raise self._error("corrupt", f"simple packet block (caplen {caplen})", off)
                st.records += 1
                st.bytes += caplen
                start = off + _SPB_DATA
                yield last_ts, linktype, buf[start : start + caplen]
            elif btype == _PB:
                self._check_block(lay, off, btype, blen, _EPB_MIN_LEN)
                ifid, _, ts_high, ts_low, caplen = lay.pb.unpack_from(buf, off + 8)
                if caplen > MAX_CAPLEN or _EPB_MIN_LEN + caplen > blen or ifid >= len(interfaces):
                    raise self._error("corrupt", f"packet block (caplen {caplen}, interface {ifid})", off)
                linktype, scale, _ = interfaces[ifid]
                last_ts = (ts_high << 32) | ts_low
                if scale is not None:
                    last_ts = last_ts * scale[0] // scale[1] + scale[2]
                st.records += 1
                st.bytes += caplen
                start = off + _EPB_DATA
                yield last_ts, linktype, buf[start : start + caplen]
            else:
                self._check_block(lay, off, btype, blen, _BLOCK_MIN_LEN)
            off = off + blen
