"""What every packet source gives the packet loop: (ts_us, linktype, frame) triples.

Step 1 of the data flow (README): offline readers (`sensor.capture.pcapfile`)
and live rings implement `PacketSource`; `sensor.loop` iterates it and sets the
packet clock from `ts_us`. A source yields plain tuples, not objects, because it
runs once per packet. It raises only `CaptureError`, and only for the capture
itself (unreadable, truncated, corrupt), never for what is inside a frame.
"""

from __future__ import annotations

import mmap
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol, Self

__all__ = ["MAX_CAPLEN", "CaptureStats", "FileSource", "PacketSource", "RawPacket"]

# (timestamp in integer microseconds since the epoch, LINKTYPE_* value, frame bytes)
RawPacket = tuple[int, int, bytes]

# A captured length above this is treated as corruption, not as a packet (libpcap's
# largest snapshot length; no link type we decode produces bigger frames).
MAX_CAPLEN = 262144


@dataclass(slots=True)
class CaptureStats:
    """Counters of one source: packet records yielded and the sum of their captured lengths."""

    records: int = 0
    bytes: int = 0


class PacketSource(Protocol):
    """Anything the packet loop can read frames from."""

    def __iter__(self) -> Iterator[RawPacket]:
        """Yield (ts_us, linktype, frame bytes) in capture order."""
        ...

    def stats(self) -> CaptureStats:
        """Return a snapshot of the counters so far."""
        ...


class FileSource(ABC):
    """Plumbing shared by the offline readers: the file's bytes (mapped or read), stats, close."""

    def __init__(self, path: str, buf: mmap.mmap | bytes) -> None:
        self.path = path
        self._buf = buf
        self._stats = CaptureStats()

    @abstractmethod
    def __iter__(self) -> Iterator[RawPacket]:
        """Read the file from its start; replace `_stats` with fresh counters for the pass."""

    def stats(self) -> CaptureStats:
        """Return a copy of the counters of the current (or last) pass."""
        return CaptureStats(self._stats.records, self._stats.bytes)

    def close(self) -> None:
        """Release the file mapping; the reader cannot be iterated afterwards."""
        if isinstance(self._buf, mmap.mmap):
            self._buf.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
