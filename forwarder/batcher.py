"""Group spool records into batches (step 8 of 10). Pure: no I/O, no logging, no wall clock.

`add(record)` returns the batches it closed; `due()` returns the open batch once it is
`max_age` old by the injected Clock; `flush()` closes whatever is open. A batch closes at
`max_count` records or when the next record would take its body past `max_bytes`, and never
mixes records of different (ruleset_version, ruleset_hash): the header names one rule set.
A record that alone exceeds `max_bytes` travels alone (a batch of one); records are never
split, reordered, dropped or repeated (tests/property/test_batcher.py).

Body size is counted as alertwire.build_body lays it out: 5 bytes of array header plus, per
record, 1 byte of entry header, at most 9 bytes of seq delta and the encoded alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from forwarder.clock import Clock

BODY_HEADER_BYTES = 5
ENTRY_OVERHEAD_BYTES = 10


class Record(Protocol):
    """What the batcher needs of a spool record (alertwire.spool.SpoolRecord has it)."""

    @property
    def seq(self) -> int: ...

    @property
    def body(self) -> bytes: ...

    @property
    def ruleset_version(self) -> str: ...

    @property
    def ruleset_hash(self) -> bytes: ...


@dataclass(frozen=True, slots=True)
class Batch:
    """Records in ascending seq order, all of one rule set; `size` bounds the body's bytes."""

    records: tuple[Record, ...]
    ruleset_version: str
    ruleset_hash: bytes
    size: int

    @property
    def first_seq(self) -> int:
        return self.records[0].seq

    @property
    def last_seq(self) -> int:
        return self.records[-1].seq

    @property
    def count(self) -> int:
        return len(self.records)


def record_size(record: Record) -> int:
    return len(record.body) + ENTRY_OVERHEAD_BYTES


class Batcher:
    def __init__(self, clock: Clock, max_count: int = 5000, max_bytes: int = 1 << 20, max_age: float = 1.0) -> None:
        if max_count < 1 or max_bytes < 1 or max_age < 0:
            raise ValueError("batcher limits must be positive (max_age >= 0)")
        self._clock = clock
        self.max_count = max_count
        self.max_bytes = max_bytes
        self.max_age = max_age
        self._records: list[Record] = []
        self._size = BODY_HEADER_BYTES
        self._opened = 0.0
        self._last_seq: int | None = None

    def __len__(self) -> int:
        return len(self._records)

    @property
    def last_seq(self) -> int | None:
        """The seq of the last record accepted (open or closed), None before any."""
        return self._last_seq

    def add(self, record: Record) -> list[Batch]:
        """Accept one record (seqs must ascend); return the batches this closed, oldest first."""
        if self._last_seq is not None and record.seq <= self._last_seq:
            raise ValueError(f"record seq {record.seq} does not follow {self._last_seq}")
        closed: list[Batch] = []
        if self._records:
            head = self._records[0]
            same_rules = (head.ruleset_version, head.ruleset_hash) == (record.ruleset_version, record.ruleset_hash)
            if not same_rules or self._size + record_size(record) > self.max_bytes:
                closed.append(self._close())
        if not self._records:
            self._opened = self._clock.monotonic()
        self._records.append(record)
        self._size += record_size(record)
        self._last_seq = record.seq
        if len(self._records) >= self.max_count or self._size >= self.max_bytes:
            closed.append(self._close())
        return closed

    def due(self) -> Batch | None:
        """The open batch if it is at least max_age old, else None."""
        if self._records and self._clock.monotonic() - self._opened >= self.max_age:
            return self._close()
        return None

    def time_to_due(self) -> float | None:
        """Seconds until the open batch is due (0 if overdue), None when nothing is open."""
        if not self._records:
            return None
        return max(0.0, self.max_age - (self._clock.monotonic() - self._opened))

    def flush(self) -> Batch | None:
        """Close the open batch whatever its age (drain with nothing more to read, shutdown)."""
        return self._close() if self._records else None

    def _close(self) -> Batch:
        records = tuple(self._records)
        batch = Batch(records, records[0].ruleset_version, records[0].ruleset_hash, self._size)
        self._records = []
        self._size = BODY_HEADER_BYTES
        return batch
