"""The forwarder's durable state in <spool>/forwarder/ (step 9 of 10, the bookkeeping).

    <spool>/forwarder/
    ├── lock                         flock'd by the one running forwarder (inspect does not lock)
    ├── state.json                   {"format": 1, "epoch", "batch_seq", "batch_hash" (hex), "acked_seq"}
    ├── outbox/<epoch>-<batch_seq>.frame     the sealed frame being delivered, exactly as POSTed
    └── quarantine/<epoch>-<batch_seq>.frame + .json   rejected frames and the collector's reason

Every write is tmp file + fsync + rename + fsync of the directory, so each file is either
its old or its new content after a crash. The order the app keeps (app.py):
  seal → outbox written → POST → (OK) state.json advanced → SpoolReader.ack → outbox deleted.
A frame is POSTed only once it is durable in the outbox, so any batch the collector may
have seen is either recorded in state.json or still in the outbox, byte for byte.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alertwire import AlertWireError, BatchHeader, decode_payload, parse_frame
from alertwire.durable import fsync_dir, replace_file
from forwarder.errors import SpoolLocked, StateError

STATE_DIR = "forwarder"
STATE_FILE = "state.json"
OUTBOX_DIR = "outbox"
QUARANTINE_DIR = "quarantine"
LOCK_FILE = "lock"
STATE_FORMAT = 1
ZERO_HASH = bytes(32)
_FRAME_NAME = re.compile(r"^(\d+)-(\d+)\.frame$")


@dataclass(frozen=True, slots=True)
class ChainState:
    """The last batch the collector acknowledged (or that was quarantined) in this epoch."""

    epoch: int
    batch_seq: int
    batch_hash: bytes
    acked_seq: int

    @classmethod
    def start(cls, epoch: int, acked_seq: int) -> ChainState:
        """A fresh chain: the first batch will be batch_seq 1 with prev_hash of 32 zero bytes."""
        return cls(epoch=epoch, batch_seq=0, batch_hash=ZERO_HASH, acked_seq=acked_seq)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": STATE_FORMAT, "epoch": self.epoch, "batch_seq": self.batch_seq,
            "batch_hash": self.batch_hash.hex(), "acked_seq": self.acked_seq,
        }


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    path: Path
    frame: bytes
    header: BatchHeader
    batch_hash: bytes


class StateStore:
    """Files under <spool>/forwarder/. `lock=True` for the process that ships; inspect reads without it."""

    def __init__(self, spool_dir: str | os.PathLike[str], *, lock: bool = True, create: bool = True) -> None:
        self.root = Path(spool_dir) / STATE_DIR
        self.outbox_dir = self.root / OUTBOX_DIR
        self.quarantine_dir = self.root / QUARANTINE_DIR
        self._lock_fd: int | None = None
        if create:
            try:
                for d in (self.root, self.outbox_dir, self.quarantine_dir):
                    d.mkdir(mode=0o750, exist_ok=True)
            except OSError as e:
                raise StateError(f"{self.root}: cannot create forwarder state directory: {e.strerror}") from None
        if lock:
            self._take_lock()

    def _take_lock(self) -> None:
        path = self.root / LOCK_FILE
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o640)
        except OSError as e:
            raise StateError(f"{path}: cannot open lock file: {e.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise SpoolLocked(f"{self.root.parent}: another forwarder is already shipping this spool") from None
        self._lock_fd = fd

    def close(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    # -- chain state ---------------------------------------------------------------------------

    def load(self) -> ChainState | None:
        path = self.root / STATE_FILE
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as e:
            raise StateError(f"{path}: cannot read: {e.strerror}") from None
        try:
            obj = json.loads(raw)
            if obj.get("format") != STATE_FORMAT:
                raise ValueError(f"unknown format {obj.get('format')!r}")
            state = ChainState(
                epoch=_nonneg(obj["epoch"]), batch_seq=_nonneg(obj["batch_seq"]),
                batch_hash=bytes.fromhex(obj["batch_hash"]), acked_seq=_nonneg(obj["acked_seq"]),
            )
            if len(state.batch_hash) != 32:
                raise ValueError("batch_hash must be 32 bytes")
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise StateError(f"{path}: unreadable forwarder state: {e}") from None
        return state

    def save(self, state: ChainState) -> None:
        data = json.dumps(state.to_json(), sort_keys=True).encode() + b"\n"
        self._write_atomic(self.root / STATE_FILE, data)

    # -- outbox ----------------------------------------------------------------------------------

    def put_outbox(self, frame: bytes, epoch: int, batch_seq: int) -> OutboxEntry:
        """Make the frame durable in the outbox (before it is ever POSTed); the entry is parsed from
        the bytes in hand, not read back."""
        path = self.outbox_dir / _frame_name(epoch, batch_seq)
        self._write_atomic(path, frame)
        return _outbox_entry(path, frame)

    def outbox(self) -> list[Path]:
        """Outbox frame files in (epoch, batch_seq) order; stray temp files are removed."""
        found: list[tuple[int, int, Path]] = []
        for path in self.outbox_dir.iterdir() if self.outbox_dir.is_dir() else ():
            m = _FRAME_NAME.match(path.name)
            if m:
                found.append((int(m.group(1)), int(m.group(2)), path))
        return [p for _, _, p in sorted(found)]

    def read_outbox(self, path: Path) -> OutboxEntry:
        """Parse an outbox frame (no signature check: we signed it). StateError when unreadable."""
        try:
            frame = path.read_bytes()
        except OSError as e:
            raise StateError(f"{path}: unreadable outbox frame: {e}") from None
        return _outbox_entry(path, frame)

    def delete(self, path: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        fsync_dir(path.parent)

    # -- quarantine ------------------------------------------------------------------------------

    def quarantine(self, frame: bytes, epoch: int, batch_seq: int, sidecar: dict[str, Any]) -> Path:
        """Keep a rejected frame and why (the sidecar is written first; the .frame marks completion)."""
        name = _frame_name(epoch, batch_seq)
        path = self.quarantine_dir / name
        side = path.with_suffix(".json")
        self._write_atomic(side, json.dumps(sidecar, sort_keys=True, indent=1).encode() + b"\n")
        self._write_atomic(path, frame)
        return path

    def quarantined(self) -> list[tuple[Path, dict[str, Any]]]:
        out: list[tuple[Path, dict[str, Any]]] = []
        if not self.quarantine_dir.is_dir():
            return out
        for path in sorted(self.quarantine_dir.glob("*.frame")):
            try:
                meta = json.loads(path.with_suffix(".json").read_bytes())
            except (OSError, ValueError):
                meta = {}
            out.append((path, meta))
        return out

    # -- files -----------------------------------------------------------------------------------

    def _write_atomic(self, path: Path, data: bytes) -> None:
        try:
            replace_file(path, data)
        except OSError as e:
            raise StateError(f"{path}: cannot write: {e.strerror}") from None


def _outbox_entry(path: Path, frame: bytes) -> OutboxEntry:
    try:
        parsed = parse_frame(frame)
        header, _ = decode_payload(parsed.payload)
    except AlertWireError as e:
        raise StateError(f"{path}: unreadable outbox frame: {e}") from None
    return OutboxEntry(path=path, frame=frame, header=header, batch_hash=parsed.batch_hash)


def _frame_name(epoch: int, batch_seq: int) -> str:
    return f"{epoch}-{batch_seq:012d}.frame"


def _nonneg(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise ValueError(f"{value!r} is not a non-negative integer")
    return value
