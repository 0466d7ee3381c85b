"""The ingest pipeline: verify (steps 1-6), then replay check and store (steps 7-8).

Sans-IO apart from the Store it is handed: `Ingest.ingest(body)` returns an
`Accepted` or a `Refusal`; the HTTP edge (collector.app) only maps those to
status codes. Every outcome is one structlog event:

    batch_stored    sensor_id, epoch, batch_seq, stored, duplicates, key_id
    batch_refused   error (code word), reason, status, and what is known (key_id, sensor_id, batch_seq)
    gap_detected    sensor_id, epoch, kind (batch_seq | alert_seq | chain_break), first/last or batch_seq
    (step 7)        same (sensor_id, epoch, batch_seq) already stored: same Frame.batch_hash ->
                    409 replayed_batch (the forwarder's "already delivered"), else 409 batch_conflict

A refused batch leaves nothing behind in the store.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog

from collector.errors import StoreBusy
from collector.refusals import Refusal
from collector.store import BatchRecord, Store
from collector.verify import DEFAULT_MAX_BATCH_BYTES, KeyRing, VerifiedBatch, verify_batch


@dataclass(frozen=True, slots=True)
class Accepted:
    batch_seq: int
    stored: int
    duplicates: int

    status = 200

    def as_json(self) -> dict[str, Any]:
        return {"status": "stored", "batch_seq": self.batch_seq, "stored": self.stored, "duplicates": self.duplicates}


class Ingest:
    """Verify and store batches into one Store."""

    def __init__(
        self,
        store: Store,
        *,
        max_batch_bytes: int = DEFAULT_MAX_BATCH_BYTES,
        clock_us: Callable[[], int] = lambda: time.time_ns() // 1000,
        log: Any = None,
    ) -> None:
        self.store = store
        self.keys = KeyRing(store)
        self.max_batch_bytes = max_batch_bytes
        self._clock_us = clock_us
        self._log = log if log is not None else structlog.get_logger("collector.ingest")

    def ingest(self, raw: bytes) -> Accepted | Refusal:
        started = time.perf_counter()
        verified = verify_batch(raw, self.keys, max_bytes=self.max_batch_bytes)
        if isinstance(verified, Refusal):
            self._refused(verified, raw_len=len(raw))
            return verified
        return self._store(verified, started)

    def refuse_oversized(self, seen: int) -> Refusal:
        """For the HTTP edge, which stops reading a body at max_batch_bytes + 1."""
        r = Refusal("too_large", f"batch of at least {seen} bytes exceeds the limit of {self.max_batch_bytes} bytes")
        self._refused(r, raw_len=seen)
        return r

    def _store(self, v: VerifiedBatch, started: float) -> Accepted | Refusal:
        h = v.header
        batch_hash = v.frame.batch_hash
        ctx = {"sensor_id": h.sensor_id, "epoch": h.epoch, "batch_seq": h.batch_seq, "key_id": v.frame.key_id}
        try:
            result = self.store.store_batch(
                BatchRecord(header=h, key_id=v.frame.key_id, batch_hash=batch_hash, frame=v.raw, entries=v.entries,
                            received_us=self._clock_us())
            )  # fmt: skip
        except StoreBusy as e:
            busy = Refusal("store_busy", str(e))
            self._refused(busy, raw_len=len(v.raw), **ctx)
            return busy
        if result.existing_hash is not None:
            if result.existing_hash == batch_hash:
                r = Refusal("replayed_batch", f"batch {h.batch_seq} of epoch {h.epoch} is already stored")
            else:
                r = Refusal(
                    "batch_conflict",
                    f"a different batch {h.batch_seq} of epoch {h.epoch} is already stored for {h.sensor_id}",
                )
            self._refused(r, raw_len=len(v.raw), **ctx)
            return r
        log = self._log
        if result.batch_gap is not None:
            log.warning("gap_detected", sensor_id=h.sensor_id, epoch=h.epoch, kind="batch_seq",
                        first=result.batch_gap[0], last=result.batch_gap[1])  # fmt: skip
        for lo, hi in result.seq_gaps:
            log.warning("gap_detected", sensor_id=h.sensor_id, epoch=h.epoch, kind="alert_seq", first=lo, last=hi)
        for b in result.chain_breaks:
            log.warning("gap_detected", sensor_id=h.sensor_id, epoch=h.epoch, kind="chain_break",
                        batch_seq=b["batch_seq"], expected_prev_hash=b["expected_prev"].hex(),
                        prev_hash=b["prev_hash"].hex())  # fmt: skip
        log.info("batch_stored", **ctx, count=h.count, stored=result.stored, duplicates=result.duplicates,
                 ms=round((time.perf_counter() - started) * 1000, 1))
        return Accepted(batch_seq=h.batch_seq, stored=result.stored, duplicates=result.duplicates)

    def _refused(self, r: Refusal, *, raw_len: int, **ctx: Any) -> None:
        self._log.warning("batch_refused", error=r.code, reason=r.reason, status=r.status, bytes=raw_len, **ctx)
