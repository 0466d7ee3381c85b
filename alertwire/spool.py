"""The on-disk spool between the sensor and the forwarder (STYLE.md section 3, steps 7-8 of 10).

One writer process (the sensor's spool thread) appends opaque record bodies; one reader process
(the forwarder) reads sealed segments, acknowledges, and deletes what the collector accepted. Either
may die at any instant. This module owns the file format and the crash rules below. It must not
decode bodies (alertwire.codec does), batch, sign, or ship. Neither class is thread-safe. All
integers are big-endian. CRC is zlib.crc32.

Directory layout::

    spool.meta                        written once at creation (tmp, fsync, link, fsync dir)
    <first:020d>.open                 the writer's open segment (at most one while it runs)
    <first:020d>-<last:020d>.seg      sealed segments, immutable, first/last = seqs of its records
    ack.ledger                        the reader's acknowledged seq (tmp, fsync, rename, fsync dir)
    writer.lock, reader.lock          flock(2) files: one writer and one reader at a time
    corrupt/                          sealed segments the reader quarantined (never read again)

spool.meta (24 + n bytes)::

    0   8  magic  b"PHSPMETA"
    8   2  format version (1)
    10  8  epoch: random, 1..2**63-1, chosen at creation; identifies this spool generation
    18  2  n = length of sensor_id
    20  n  sensor_id, UTF-8
    20+n 4 crc32 of bytes [0, 20+n)

Segment header (34 + v + h bytes), then records back to back::

    0   8  magic  b"PHSPSEG1"
    8   2  format version (1)
    10  8  epoch (must equal the meta's)
    18  8  first seq (must equal the file name's)
    26  2  v = length of ruleset_version
    28  2  h = length of ruleset_hash
    30  v  ruleset_version, UTF-8
    30+v h ruleset_hash
    30+v+h 4 crc32 of bytes [0, 30+v+h)

Record (16 + n bytes)::

    0   4  crc32 of bytes [4, 16+n)   (covers length, seq and body)
    4   4  n = body length (at most MAX_BODY)
    8   8  seq
    16  n  body (opaque; alertwire.codec's msgpack)

ack.ledger (30 bytes): magic b"PHSPACK1", version u16 (1), epoch u64, acked seq u64, crc32 of [0, 26).

Invariants:

- Seqs are per epoch, start at 1, strictly increase through a segment and across segments, and are
  never reused for a record that became durable. A restarted writer continues at
  max(last seq of every segment name (including corrupt/), last record of a recovered .open, acked)+1.
  Seqs handed out by append() but lost uncommitted in a crash may be handed out again.
- A record is durable once commit() returns: one write + fsync of the open segment per commit
  (plus a directory fsync when the commit created the file).
- Sealing = fsync, atomic rename *.open -> *.seg, directory fsync. The reader lists only *.seg.
- Crash recovery (writer open): each *.open keeps its longest valid prefix (the first record with a
  short header, a length over MAX_BODY or past the end, a CRC mismatch, or a seq not above the previous
  one ends it), is truncated there and sealed; an .open with no valid record is deleted (a torn
  first write). One whose header is bad (CRC, other epoch) but has valid records behind it is moved
  to corrupt/, and its seqs are never reused.
- The ledger is made durable before any segment is deleted; a segment is deleted only when its last
  seq <= acked. Segments left behind by a crash in between are deleted at the next reader open or ack.
- Full spool (max_bytes over all *.open/*.seg files, corrupt/ excluded): append() drops the record,
  still consumes its seq (the collector sees a gap) and counts it in stats()["dropped_full"].
- Corruption in a sealed segment: read() returns the records before the bad offset, then raises
  SpoolCorruption naming file and offset. The forwarder decides: SpoolReader.quarantine_segment()
  moves the file into corrupt/ and counts it; reading then continues with the next segment.
"""

from __future__ import annotations

import bisect
import fcntl
import os
import re
import secrets
import struct
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Self

import structlog

from alertwire.durable import fsync_dir, replace_file, write_all
from alertwire.errors import SpoolCorruption, SpoolError

__all__ = [
    "FORMAT_VERSION",
    "MAX_BODY",
    "SpoolReader",
    "SpoolRecord",
    "SpoolWriter",
]

FORMAT_VERSION = 1
MAX_BODY = 1 << 24  # 16 MiB: a longer length field is a torn or corrupt record

META_NAME = "spool.meta"
LEDGER_NAME = "ack.ledger"
WRITER_LOCK = "writer.lock"
READER_LOCK = "reader.lock"
CORRUPT_DIR = "corrupt"

_META_MAGIC = b"PHSPMETA"
_SEG_MAGIC = b"PHSPSEG1"
_ACK_MAGIC = b"PHSPACK1"

_META_HEAD = struct.Struct(">8sHQH")  # magic, version, epoch, len(sensor_id)
_SEG_HEAD = struct.Struct(">8sHQQHH")  # magic, version, epoch, first seq, len(version), len(hash)
_LEDGER = struct.Struct(">8sHQQ")  # magic, version, epoch, acked seq
_CRC = struct.Struct(">I")
_REC = struct.Struct(">IIQ")  # crc32, body length, seq
_LEN_SEQ = struct.Struct(">IQ")
_REC_HEAD = _REC.size
_CACHE_SEGMENTS = 4  # parsed sealed segments the reader keeps (sealed files never change)

_SEALED_RE = re.compile(r"^(\d{20})-(\d{20})\.seg$")
_OPEN_RE = re.compile(r"^(\d{20})\.open$")

_log = structlog.get_logger(component="spool")  # lazy: binds once the program has configured structlog


class SpoolRecord(NamedTuple):
    """One record read back from a sealed segment, with its segment's ruleset metadata.
    A NamedTuple: the forwarder reads thousands per batch."""

    seq: int
    body: bytes
    ruleset_version: str
    ruleset_hash: bytes


# --- format helpers ---------------------------------------------------------------------------


def _frame(seq: int, body: bytes) -> bytes:
    """One record's bytes (used by tests as well as by the writer's slow paths)."""
    n = len(body)
    crc = zlib.crc32(body, zlib.crc32(_LEN_SEQ.pack(n, seq)))
    return _REC.pack(crc, n, seq) + body


def _segment_header(epoch: int, first_seq: int, ruleset_version: str, ruleset_hash: bytes) -> bytes:
    rv = ruleset_version.encode("utf-8")
    head = _SEG_HEAD.pack(_SEG_MAGIC, FORMAT_VERSION, epoch, first_seq, len(rv), len(ruleset_hash))
    head += rv + ruleset_hash
    return head + _CRC.pack(zlib.crc32(head))


@dataclass(frozen=True, slots=True)
class _Header:
    epoch: int
    first_seq: int
    ruleset_version: str
    ruleset_hash: bytes
    size: int


def _parse_header(mv: memoryview) -> _Header | str:
    """The header, "short" when the bytes end inside it, or a reason string when it is invalid."""
    if len(mv) < _SEG_HEAD.size:
        return "short"
    magic, version, epoch, first, vlen, hlen = _SEG_HEAD.unpack_from(mv, 0)
    end = _SEG_HEAD.size + vlen + hlen
    if len(mv) < end + _CRC.size:
        return "short"
    (crc,) = _CRC.unpack_from(mv, end)
    if magic != _SEG_MAGIC or zlib.crc32(mv[:end]) != crc:
        return "bad segment header (magic or CRC)"
    if version != FORMAT_VERSION:
        return f"unknown segment format version {version}"
    try:
        rv = bytes(mv[_SEG_HEAD.size : _SEG_HEAD.size + vlen]).decode("utf-8")
    except UnicodeDecodeError:
        return "ruleset_version is not UTF-8"
    rh = bytes(mv[_SEG_HEAD.size + vlen : end])
    return _Header(epoch, first, rv, rh, end + _CRC.size)


def _scan_records(mv: memoryview, off: int, prev_seq: int) -> tuple[list[int], list[int], int, str]:
    """Walk records from off: (seqs, record offsets, end of the valid prefix, why it stopped or "")."""
    seqs: list[int] = []
    offs: list[int] = []
    end = len(mv)
    unpack = _REC.unpack_from
    crc32 = zlib.crc32
    while off < end:
        if end - off < _REC_HEAD:
            return seqs, offs, off, "short record header"
        crc, n, seq = unpack(mv, off)
        if n > MAX_BODY or off + _REC_HEAD + n > end:
            return seqs, offs, off, f"bad record length {n}"
        if crc32(mv[off + 4 : off + _REC_HEAD + n]) != crc:
            return seqs, offs, off, "record CRC mismatch"
        if seq <= prev_seq:
            return seqs, offs, off, f"seq {seq} not above {prev_seq}"
        seqs.append(seq)
        offs.append(off)
        prev_seq = seq
        off += _REC_HEAD + n
    return seqs, offs, off, ""


def _read_file(path: Path) -> bytes:
    with open(path, "rb", buffering=0) as f:
        return f.read()


def _lock(path: Path, role: str) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise SpoolError(f"spool {path.parent}: another {role} holds {path.name}") from None
    return fd


@dataclass(frozen=True, slots=True)
class _Meta:
    version: int
    epoch: int
    sensor_id: str


def _encode_meta(epoch: int, sensor_id: str) -> bytes:
    sid = sensor_id.encode("utf-8")
    body = _META_HEAD.pack(_META_MAGIC, FORMAT_VERSION, epoch, len(sid)) + sid
    return body + _CRC.pack(zlib.crc32(body))


def _read_meta(directory: Path) -> _Meta | None:
    path = directory / META_NAME
    try:
        data = _read_file(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SpoolError(f"spool meta {path}: {exc}") from exc
    if len(data) < _META_HEAD.size or data[:8] != _META_MAGIC:
        raise SpoolCorruption(f"spool meta {path}: not a spool meta file (bad magic or too short)")
    _, version, epoch, n = _META_HEAD.unpack_from(data, 0)
    if version != FORMAT_VERSION:
        raise SpoolError(
            f"spool meta {path}: unknown format version {version} (this build reads {FORMAT_VERSION})"
        )
    end = _META_HEAD.size + n
    if len(data) != end + _CRC.size or zlib.crc32(data[:end]) != _CRC.unpack_from(data, end)[0]:
        raise SpoolCorruption(f"spool meta {path}: CRC mismatch")
    return _Meta(version, epoch, data[_META_HEAD.size : end].decode("utf-8", "replace"))


def _create_meta(directory: Path, sensor_id: str, fsync: bool) -> _Meta:
    """Create spool.meta once; if another process won the race, use theirs."""
    epoch = secrets.randbits(63) or 1
    tmp = directory / f"{META_NAME}.tmp.{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    try:
        write_all(fd, _encode_meta(epoch, sensor_id))
        if fsync:
            os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, directory / META_NAME)  # no-clobber, unlike rename
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    if fsync:
        fsync_dir(directory)
    meta = _read_meta(directory)
    assert meta is not None
    return meta


def _read_ledger(directory: Path, epoch: int) -> int:
    path = directory / LEDGER_NAME
    try:
        data = _read_file(path)
    except FileNotFoundError:
        return 0
    if len(data) != _LEDGER.size + _CRC.size:
        raise SpoolCorruption(f"ack ledger {path}: length {len(data)} at offset 0")
    magic, version, ledger_epoch, acked = _LEDGER.unpack_from(data, 0)
    if magic != _ACK_MAGIC or zlib.crc32(data[: _LEDGER.size]) != _CRC.unpack_from(data, _LEDGER.size)[0]:
        raise SpoolCorruption(f"ack ledger {path}: bad magic or CRC at offset 0")
    if version != FORMAT_VERSION:
        raise SpoolError(f"ack ledger {path}: unknown format version {version}")
    if ledger_epoch != epoch:
        raise SpoolError(f"ack ledger {path}: epoch {ledger_epoch} is not this spool's ({epoch})")
    return int(acked)


def _sealed_segments(directory: Path) -> list[tuple[int, int, Path]]:
    """(first, last, path) of every *.seg in directory, ordered by first seq."""
    out = []
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return []
    for name in names:
        m = _SEALED_RE.match(name)
        if m:
            out.append((int(m.group(1)), int(m.group(2)), directory / name))
    out.sort()
    return out


def _sealed_name(first: int, last: int) -> str:
    return f"{first:020d}-{last:020d}.seg"


# --- writer -----------------------------------------------------------------------------------


class SpoolWriter:
    """Appends record bodies to the spool; the sensor's side (step 7 of 10). One per spool."""

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        sensor_id: str,
        ruleset_version: str = "",
        ruleset_hash: bytes = b"",
        max_bytes: int = 1 << 30,
        segment_bytes: int = 4 << 20,
        fsync: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not sensor_id:
            raise SpoolError("SpoolWriter needs a non-empty sensor_id")
        self._dir = Path(directory)
        self._fsync = fsync
        self._clock = clock
        self._max_bytes = max_bytes
        self._segment_bytes = segment_bytes
        self._rv = ruleset_version
        self._rh = bytes(ruleset_hash)
        self._check_ruleset(ruleset_version, self._rh)
        try:
            self._dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SpoolError(f"spool {self._dir}: cannot create directory: {exc}") from exc
        # size cap bookkeeping
        self._disk_bytes = 0  # sealed + open bytes as of the last scan (+ our writes since)
        self._scan_mtime = -1
        self._scan_time = 0.0
        self._lock_fd = _lock(self._dir / WRITER_LOCK, "writer")
        try:
            meta = _read_meta(self._dir) or _create_meta(self._dir, sensor_id, fsync)
            if meta.sensor_id != sensor_id:
                raise SpoolError(
                    f"spool {self._dir} belongs to sensor {meta.sensor_id!r}, not {sensor_id!r};"
                    " use another directory or remove this one"
                )
            self._epoch = meta.epoch
            self._sensor_id = sensor_id
            self._stats = {
                "records": 0,
                "bytes": 0,
                "dropped_full": 0,
                "segments_sealed": 0,
                "segments_recovered": 0,
                "torn_bytes": 0,
            }
            last = self._recover()
            self._next_seq = max(last, _read_ledger(self._dir, self._epoch)) + 1
            self._rescan()
        except BaseException:
            os.close(self._lock_fd)
            raise
        # open segment: created lazily by the first commit that has records
        self._fd: int | None = None
        self._open_path: Path | None = None
        self._open_first = 0
        self._open_last = 0
        self._open_size = 0  # bytes on disk
        self._open_born = 0.0  # clock() when its first record was appended
        # appended, not yet written
        self._buf = bytearray()
        self._buf_first = 0
        self._buf_last = 0
        self._full = False
        self._closed = False

    # properties -----------------------------------------------------------------------------

    @property
    def epoch(self) -> int:
        return self._epoch

    @property
    def sensor_id(self) -> str:
        return self._sensor_id

    @property
    def next_seq(self) -> int:
        """The seq the next append() will assign."""
        return self._next_seq

    def stats(self) -> dict[str, int]:
        """records/bytes appended and kept, dropped_full, segments_sealed, plus recovery counters."""
        return dict(self._stats)

    # public operations ------------------------------------------------------------------------

    def append(self, body: bytes) -> int | None:
        """Assign the next seq to body and buffer it until commit(); None if the spool is full."""
        if self._closed:
            raise SpoolError(f"spool {self._dir}: writer is closed")
        n = len(body)
        if n > MAX_BODY:
            raise SpoolError(f"spool record of {n} bytes exceeds the {MAX_BODY}-byte limit")
        seq = self._next_seq
        self._next_seq = seq + 1
        size = _REC_HEAD + n
        pending = len(self._buf)
        if self._fd is None and not pending:
            size += self._header_size()
        elif (self._open_size or self._header_size()) + pending + size > self._segment_bytes:
            self.seal()  # roll: the segment is full; its records become durable now
            size += self._header_size()
        if self._disk_bytes + len(self._buf) + size > self._max_bytes and not self._has_room(size):
            self._stats["dropped_full"] += 1
            if not self._full:
                self._full = True
                _log.warning("spool_full", path=str(self._dir), seq=seq, max_bytes=self._max_bytes)
            return None
        if self._full:
            self._full = False
            _log.info("spool_room_again", path=str(self._dir), dropped_full=self._stats["dropped_full"])
        if not self._buf:
            self._buf_first = seq
            if self._fd is None:
                self._open_born = self._clock()
        self._buf_last = seq
        self._buf += _REC.pack(zlib.crc32(body, zlib.crc32(_LEN_SEQ.pack(n, seq))), n, seq)
        self._buf += body
        self._stats["records"] += 1
        self._stats["bytes"] += _REC_HEAD + n
        return seq

    def commit(self) -> None:
        """Write and fsync everything appended; afterwards those records survive a crash."""
        if not self._buf:
            return
        created = self._fd is None
        if created:
            first = self._buf_first
            path = self._dir / f"{first:020d}.open"
            header = _segment_header(self._epoch, first, self._rv, self._rh)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o640)
            except OSError as exc:
                raise SpoolError(f"spool segment {path}: cannot create: {exc}") from exc
            self._fd, self._open_path, self._open_first = fd, path, first
            self._open_size = 0
            data: bytes | bytearray = header + self._buf
        else:
            data = self._buf
        assert self._fd is not None and self._open_path is not None
        try:
            write_all(self._fd, data)
            if self._fsync:
                os.fsync(self._fd)
                if created:
                    fsync_dir(self._dir)
        except OSError as exc:
            raise SpoolError(f"spool segment {self._open_path}: write failed: {exc}") from exc
        self._open_size += len(data)
        self._disk_bytes += len(data)
        self._open_last = self._buf_last
        self._buf = bytearray()

    def seal(self) -> None:
        """Commit, then seal the open segment (fsync, rename to *.seg, fsync dir) if it has records."""
        self.commit()
        if self._fd is None or self._open_path is None:
            return
        sealed = self._dir / _sealed_name(self._open_first, self._open_last)
        try:
            os.close(self._fd)
            self._fd = None
            os.rename(self._open_path, sealed)
            if self._fsync:
                fsync_dir(self._dir)
        except OSError as exc:
            raise SpoolError(f"spool segment {self._open_path}: seal failed: {exc}") from exc
        self._open_path = None
        self._stats["segments_sealed"] += 1
        _log.debug("segment_sealed", path=str(sealed), bytes=self._open_size)
        self._open_size = 0

    def set_ruleset(self, version: str, hash: bytes) -> None:
        """Seal the open segment so the records appended next carry this ruleset metadata."""
        self._check_ruleset(version, hash)
        if version == self._rv and hash == self._rh:
            return
        self.seal()
        self._rv, self._rh = version, bytes(hash)

    def seal_if_older(self, seconds: float) -> bool:
        """Seal when the open segment's first record was appended at least `seconds` ago."""
        if (self._fd is not None or self._buf) and self._clock() - self._open_born >= seconds:
            self.seal()
            return True
        return False

    def close(self) -> None:
        """Commit and seal; release the writer lock."""
        if self._closed:
            return
        try:
            self.seal()
        finally:
            self._closed = True
            os.close(self._lock_fd)

    def __enter__(self) -> Self:
        return self

    def __del__(self) -> None:
        # dropped without close(): behave like a dead process (nothing committed, locks released)
        if not getattr(self, "_closed", True):
            self._closed = True
            if self._fd is not None:
                os.close(self._fd)
            os.close(self._lock_fd)

    def _simulate_crash(self, write_pending: bool) -> tuple[Path | None, int, list[int]]:
        """Test hook: die now. Optionally let the OS write the uncommitted bytes first (no fsync).

        Returns (open segment path or None, its committed size, end offsets of the pending records
        in that file if they were written), so a test can truncate anywhere in the torn tail.
        """
        path, committed, ends = self._open_path, self._open_size, []
        if write_pending and self._buf:
            if self._fd is None:
                path = self._dir / f"{self._buf_first:020d}.open"
                self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o640)
                data = _segment_header(self._epoch, self._buf_first, self._rv, self._rh) + self._buf
                committed = 0
            else:
                data = bytes(self._buf)
            base = len(data) - len(self._buf) + committed
            _, offs, end, _ = _scan_records(memoryview(self._buf), 0, 0)
            ends = [base + o for o in offs[1:]] + [base + end]
            write_all(self._fd, data)
        self._buf = bytearray()
        self._closed = True
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        os.close(self._lock_fd)
        return path, committed, ends

    def __exit__(self, *exc: object) -> None:
        self.close()

    # internals --------------------------------------------------------------------------------

    @staticmethod
    def _check_ruleset(version: str, hash: bytes) -> None:
        if len(version.encode("utf-8")) > 0xFFFF or len(hash) > 0xFFFF:
            raise SpoolError("ruleset_version and ruleset_hash must each fit in 65535 bytes")

    def _header_size(self) -> int:
        return _SEG_HEAD.size + len(self._rv.encode("utf-8")) + len(self._rh) + _CRC.size

    def _has_room(self, size: int) -> bool:
        """Slow path when the cap seems reached: re-scan if the directory changed (reader deletes)."""
        try:
            mtime = os.stat(self._dir).st_mtime_ns
        except OSError:
            mtime = -2
        now = self._clock()
        if mtime != self._scan_mtime or now - self._scan_time >= 1.0:
            self._rescan()
        return self._disk_bytes + len(self._buf) + size <= self._max_bytes

    def _rescan(self) -> None:
        """Bytes of every *.open and *.seg in the directory (corrupt/ is not counted)."""
        total = 0
        try:
            self._scan_mtime = os.stat(self._dir).st_mtime_ns
            with os.scandir(self._dir) as it:
                for entry in it:
                    if entry.name.endswith((".seg", ".open")):
                        try:
                            total += entry.stat().st_size
                        except FileNotFoundError:
                            pass
        except OSError as exc:
            raise SpoolError(f"spool {self._dir}: cannot scan: {exc}") from exc
        self._scan_time = self._clock()
        self._disk_bytes = total

    def _recover(self) -> int:
        """Seal or drop every leftover *.open; return the highest seq found on disk."""
        last = 0
        for _, seg_last, _ in _sealed_segments(self._dir):
            last = max(last, seg_last)
        for _, seg_last, _ in _sealed_segments(self._dir / CORRUPT_DIR):
            last = max(last, seg_last)
        opens = sorted(name for name in os.listdir(self._dir) if _OPEN_RE.match(name))
        for name in opens:
            last = max(last, self._recover_open(self._dir / name))
        return last

    def _recover_open(self, path: Path) -> int:
        data = _read_file(path)
        mv = memoryview(data)
        first_from_name = int(path.name[:20])
        header = _parse_header(mv)
        if header == "short":
            self._drop_file(path, "spool_open_segment_dropped", reason="incomplete header")
            self._stats["torn_bytes"] += len(data)
            return 0
        if isinstance(header, str) or header.epoch != self._epoch or header.first_seq != first_from_name:
            why = header if isinstance(header, str) else "epoch or first seq does not match"
            # a torn first write (zeros or junk where the header should be) holds no record; one that
            # does hold valid records behind a bad header is kept aside, and its seqs never reused
            start = _SEG_HEAD.size + _CRC.size + sum(_SEG_HEAD.unpack_from(mv, 0)[4:])
            seqs, _, _, _ = _scan_records(mv, start, 0)
            if isinstance(header, str) and not seqs:
                self._drop_file(path, "spool_open_segment_dropped", reason=why)
                self._stats["torn_bytes"] += len(data)
                return 0
            corrupt = self._dir / CORRUPT_DIR
            corrupt.mkdir(exist_ok=True)
            os.rename(path, corrupt / path.name)
            if self._fsync:
                fsync_dir(corrupt)
                fsync_dir(self._dir)
            _log.error("spool_open_segment_quarantined", path=str(path), reason=why)
            return max(seqs, default=first_from_name)
        seqs, _, end, why = _scan_records(mv, header.size, header.first_seq - 1)
        if seqs and seqs[0] != header.first_seq:
            seqs, end = [], header.size
        torn = len(data) - end
        if not seqs:
            self._drop_file(path, "spool_open_segment_dropped", reason="no complete record")
            self._stats["torn_bytes"] += len(data)
            return 0
        if torn:
            with open(path, "r+b") as f:
                f.truncate(end)
                if self._fsync:
                    os.fsync(f.fileno())
            self._stats["torn_bytes"] += torn
        sealed = self._dir / _sealed_name(seqs[0], seqs[-1])
        os.rename(path, sealed)
        if self._fsync:
            fsync_dir(self._dir)
        self._stats["segments_recovered"] += 1
        _log.info(
            "spool_open_segment_recovered", path=str(sealed), records=len(seqs), torn_bytes=torn, reason=why
        )
        return seqs[-1]

    def _drop_file(self, path: Path, event: str, **kw: object) -> None:
        path.unlink()
        if self._fsync:
            fsync_dir(self._dir)
        _log.info(event, path=str(path), **kw)


# --- reader -----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Parsed:
    """A sealed segment parsed once (sealed files never change): record offsets and seqs."""

    key: tuple[int, int]  # (st_ino, st_size)
    data: bytes
    header: _Header
    seqs: list[int]
    offs: list[int]
    valid_end: int  # end of the last good record
    bad_offset: int  # -1 when the whole file is valid
    why: str


class SpoolReader:
    """Reads sealed segments and acknowledges; the forwarder's side (step 8 of 10). One per spool."""

    def __init__(self, directory: str | os.PathLike[str], *, fsync: bool = True) -> None:
        self._dir = Path(directory)
        self._fsync = fsync
        meta = _read_meta(self._dir)
        if meta is None:
            raise SpoolError(f"spool {self._dir}: no {META_NAME}; the sensor has not created this spool yet")
        self._meta = meta
        self._lock_fd = _lock(self._dir / READER_LOCK, "reader")
        try:
            self._acked = _read_ledger(self._dir, meta.epoch)
        except BaseException:
            os.close(self._lock_fd)
            raise
        self._cache: dict[Path, _Parsed] = {}
        self._corrupt: Path | None = None
        self._stats = {"records_read": 0, "segments_deleted": 0, "segments_quarantined": 0}
        self._closed = False
        self._delete_acked()

    @property
    def sensor_id(self) -> str:
        return self._meta.sensor_id

    @property
    def epoch(self) -> int:
        return self._meta.epoch

    @property
    def corrupt_segment(self) -> Path | None:
        """The sealed segment whose bad record made the last read() raise SpoolCorruption."""
        return self._corrupt

    def acked_seq(self) -> int:
        return self._acked

    def stats(self) -> dict[str, int]:
        return dict(self._stats)

    def read(self, after_seq: int, limit: int) -> list[SpoolRecord]:
        """Up to limit records with seq > after_seq, in seq order, from sealed segments only.

        Raises SpoolCorruption (and sets corrupt_segment) when the next record to return is bad.
        """
        out: list[SpoolRecord] = []
        if limit <= 0:
            return out
        segments = _sealed_segments(self._dir)
        live = {path for _, _, path in segments}
        for stale in [p for p in self._cache if p not in live]:
            del self._cache[stale]
        for _, last, path in segments:
            if last <= after_seq:
                continue
            try:
                parsed = self._parse(path)
            except FileNotFoundError:
                continue  # quarantined or deleted under us
            seqs = parsed.seqs
            i = bisect.bisect_right(seqs, after_seq)
            j = min(len(seqs), i + limit - len(out))
            if i < j:
                data, offs = parsed.data, parsed.offs
                rv, rh = parsed.header.ruleset_version, parsed.header.ruleset_hash
                ends = offs[i + 1 : j + 1]  # records are contiguous: one ends where the next starts
                if len(ends) < j - i:
                    ends.append(parsed.valid_end)
                out.extend(
                    [
                        SpoolRecord(s, data[o + _REC_HEAD : e], rv, rh)
                        for s, o, e in zip(seqs[i:j], offs[i:j], ends)
                    ]
                )
            if len(out) >= limit:
                break
            if parsed.bad_offset >= 0:
                if out:
                    break  # hand over the good prefix first; the next call raises
                self._corrupt = path
                raise SpoolCorruption(
                    f"spool segment {path}: {parsed.why} at offset {parsed.bad_offset}"
                    f" (after seq {seqs[-1] if seqs else after_seq}); quarantine it to continue"
                )
        self._stats["records_read"] += len(out)
        return out

    def ack(self, seq: int) -> None:
        """Durably record that every seq <= seq is acknowledged; delete segments wholly acknowledged."""
        if seq <= self._acked:
            return
        highest = max(
            [last for _, last, _ in _sealed_segments(self._dir)]
            + [last for _, last, _ in _sealed_segments(self._dir / CORRUPT_DIR)]
            + [self._acked]
        )
        if seq > highest:
            raise SpoolError(f"spool {self._dir}: cannot ack seq {seq}; the highest sealed seq is {highest}")
        body = _LEDGER.pack(_ACK_MAGIC, FORMAT_VERSION, self._meta.epoch, seq)
        data = body + _CRC.pack(zlib.crc32(body))
        try:
            replace_file(self._dir / LEDGER_NAME, data, fsync=self._fsync)
        except OSError as exc:
            raise SpoolError(f"ack ledger {self._dir / LEDGER_NAME}: write failed: {exc}") from exc
        self._acked = seq
        self._delete_acked()

    def pending(self) -> int:
        """Unacknowledged records in sealed segments: exact for parsed segments, else by seq range."""
        total = 0
        for first, last, path in _sealed_segments(self._dir):
            if last <= self._acked:
                continue
            parsed = self._cache.get(path)
            if parsed is not None:
                total += len(parsed.seqs) - bisect.bisect_right(parsed.seqs, self._acked)
            else:
                total += last - max(first, self._acked + 1) + 1
        return total

    def quarantine_segment(self, path: str | os.PathLike[str]) -> Path:
        """Move a sealed segment into corrupt/ (never read again) and count it; returns the new path."""
        src = Path(path)
        if src.parent.resolve() != self._dir.resolve() or not _SEALED_RE.match(src.name):
            raise SpoolError(f"spool {self._dir}: {src} is not a sealed segment of this spool")
        dest_dir = self._dir / CORRUPT_DIR
        dest_dir.mkdir(exist_ok=True)
        dest = dest_dir / src.name
        try:
            os.rename(src, dest)
            if self._fsync:
                fsync_dir(dest_dir)
                fsync_dir(self._dir)
        except OSError as exc:
            raise SpoolError(f"spool segment {src}: cannot quarantine: {exc}") from exc
        self._cache.pop(src, None)
        if self._corrupt == src:
            self._corrupt = None
        self._stats["segments_quarantined"] += 1
        _log.error("segment_quarantined", path=str(dest))
        return dest

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._cache.clear()
            os.close(self._lock_fd)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # internals --------------------------------------------------------------------------------

    def _parse(self, path: Path) -> _Parsed:
        st = os.stat(path)
        key = (st.st_ino, st.st_size)
        parsed = self._cache.get(path)
        if parsed is not None and parsed.key == key:
            return parsed
        data = _read_file(path)
        mv = memoryview(data)
        first, last = int(path.name[:20]), int(path.name[21:41])
        header = _parse_header(mv)
        if isinstance(header, str):
            why = "truncated segment header" if header == "short" else header
            empty = _Header(self._meta.epoch, first, "", b"", 0)
            parsed = _Parsed(key, data, empty, [], [], 0, 0, why)
        elif header.epoch != self._meta.epoch or header.first_seq != first:
            parsed = _Parsed(key, data, header, [], [], 0, 0, "segment epoch or first seq does not match")
        else:
            seqs, offs, end, why = _scan_records(mv, header.size, first - 1)
            bad = end if why else -1
            if seqs and seqs[-1] > last:
                cut = bisect.bisect_right(seqs, last)
                bad, why, end = offs[cut], f"seq {seqs[cut]} beyond the name's last seq {last}", offs[cut]
                seqs, offs = seqs[:cut], offs[:cut]
            elif not why and (not seqs or seqs[0] != first or seqs[-1] != last):
                bad, why = end, f"records do not span the name's seqs {first}..{last}"
            parsed = _Parsed(key, data, header, seqs, offs, end, bad, why)
        while len(self._cache) >= _CACHE_SEGMENTS:
            del self._cache[next(iter(self._cache))]
        self._cache[path] = parsed
        return parsed

    def _delete_acked(self) -> None:
        deleted = 0
        for _, last, path in _sealed_segments(self._dir):
            if last > self._acked:
                break
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            self._cache.pop(path, None)
            deleted += 1
            _log.debug("segment_deleted", path=str(path))
        if deleted:
            self._stats["segments_deleted"] += deleted
            if self._fsync:
                fsync_dir(self._dir)
