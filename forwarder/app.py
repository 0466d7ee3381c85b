"""Composition root and loop of the forwarder (steps 8-9 of 10).

    SpoolReader.read → Batcher → Signer.sign → outbox (fsync) → Shipper.ship
        OK      → state.json advanced → SpoolReader.ack(last_seq) → outbox file deleted
        REJECT  → frame + reason to quarantine/ → state advanced → ack → outbox deleted
        RETRY   → full-jitter sleep (Retry-After honoured), then the same bytes again

One batch is in flight at a time, so the chain (batch_seq, prev_hash) is strictly ordered. The
POST runs on one shipping thread while the loop reads, batches and signs the next batch (its chain
position is known: OK and REJECT both advance the chain with the frame in flight); the next frame
enters the outbox, and so can be sent, only once the one in flight is settled.
structlog is configured once here; counters are logged in a periodic `stats` event and at
exit. The forwarder only reads the spool: it never blocks the sensor.
"""

from __future__ import annotations

import random
import ssl
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import httpx
import structlog

from alertwire import COMPRESSIONS, SpoolCorruption, SpoolError
from alertwire.clock import clock_state
from alertwire.spool import SpoolReader
from forwarder.batcher import Batch, Batcher
from forwarder.clock import Clock, RealClock
from forwarder.config import ForwarderConfig
from forwarder.errors import ConfigError, StateError
from forwarder.retry import RandomSource, RetryPolicy, next_delay
from forwarder.shipper import Outcome, Result, Shipper
from forwarder.signer import ChainPosition, Signer, load_signing_key
from forwarder.state import ChainState, OutboxEntry, StateStore

COUNTERS = (
    "forwarder_batches_shipped_total",
    "forwarder_batches_retried_total",
    "forwarder_batches_rejected_total",
    "forwarder_alerts_shipped_total",
    "forwarder_alerts_rejected_total",
    "forwarder_auth_failures_total",
    "forwarder_spool_corruptions_total",
)


@dataclass(slots=True)
class LoopSettings:
    read_limit: int = 1000
    poll_interval: float = 1.0
    stats_interval: float = 60.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)


class Abandoned(Exception):
    """Internal: the deadline passed or a stop was requested while a batch was undelivered."""


class Forwarder:
    """The loop over injected parts; `drain()` and `run()` are the two ways to drive it."""

    def __init__(
        self,
        reader: SpoolReader,
        store: StateStore,
        batcher: Batcher,
        signer: Signer,
        shipper: Shipper,
        clock: Clock,
        settings: LoopSettings | None = None,
        rng: RandomSource | None = None,
    ) -> None:
        self.reader = reader
        self.store = store
        self.batcher = batcher
        self.signer = signer
        self.shipper = shipper
        self.clock = clock
        self.settings = settings or LoopSettings()
        self.rng = rng or random.Random()
        self.counters = dict.fromkeys(COUNTERS, 0)
        self.log = structlog.get_logger().bind(component="forwarder")
        self.state = ChainState.start(reader.epoch, reader.acked_seq())
        self._cursor = 0
        self._deadline: float | None = None
        self._stop: Callable[[], bool] = lambda: False
        self._next_stats = 0.0
        self._started = False
        self._reader_lock = threading.Lock()  # the loop reads while the shipping thread acks
        self._shipping = ThreadPoolExecutor(max_workers=1, thread_name_prefix="forwarder-ship")
        self._inflight: Future[None] | None = None
        self._head_seq = 0  # batch_seq and hash of the newest signed frame (in flight or settled)
        self._head_hash = bytes(32)

    # -- start-up --------------------------------------------------------------------------------

    def start(self) -> None:
        """Load the chain, reconcile it with the spool, then settle the outbox (resend or drop)."""
        if self._started:
            return
        self._started = True
        saved = self.store.load()
        if saved is not None:
            self.state = saved
        else:
            self.state = ChainState.start(self.reader.epoch, self.reader.acked_seq())
        self.log.info(
            "forwarder_started", sensor_id=self.reader.sensor_id, epoch=self.reader.epoch, key_id=self.signer.key_id,
            collector=self.shipper.url, batch_seq=self.state.batch_seq, acked_seq=self.state.acked_seq,
            pending=self.reader.pending(),
        )
        self._next_stats = self.clock.monotonic() + self.settings.stats_interval
        self._settle_outbox()
        if self.state.epoch != self.reader.epoch:
            self.log.warning(
                "spool_epoch_changed", old_epoch=self.state.epoch, epoch=self.reader.epoch,
                old_batch_seq=self.state.batch_seq,
            )
            self.state = ChainState.start(self.reader.epoch, self.reader.acked_seq())
            self.store.save(self.state)
        if self.state.acked_seq > self.reader.acked_seq():
            # crashed between state.json and SpoolReader.ack: finish the ack
            self.reader.ack(self.state.acked_seq)
        self._cursor = max(self.state.acked_seq, self.reader.acked_seq())
        self._head_seq, self._head_hash = self.state.batch_seq, self.state.batch_hash

    def _settle_outbox(self) -> None:
        for path in self.store.outbox():
            try:
                entry = self.store.read_outbox(path)
            except StateError as e:
                self.log.error("outbox_unreadable", path=str(path), error=str(e))
                self.store.quarantine(path.read_bytes(), 0, 0, {"reason": "unreadable_outbox", "error": str(e)})
                self.store.delete(path)
                continue
            h = entry.header
            if h.epoch != self.state.epoch or h.batch_seq <= self.state.batch_seq:
                stale = h.epoch == self.state.epoch
                self.log.info("outbox_removed", path=str(path), batch_seq=h.batch_seq, epoch=h.epoch,
                              reason="stale" if stale else "other_epoch")
                if not stale and h.batch_seq > 0:
                    # a frame of an older epoch never acknowledged: keep it for the operator, never lose it
                    self.store.quarantine(entry.frame, h.epoch, h.batch_seq, {"reason": "outbox_of_other_epoch"})
                self.store.delete(path)
                continue
            if h.batch_seq != self.state.batch_seq + 1:
                raise StateError(
                    f"{path}: outbox batch_seq {h.batch_seq} does not follow the state's {self.state.batch_seq}"
                )
            self.log.info("outbox_resent", batch_seq=h.batch_seq, first_seq=h.first_seq, last_seq=h.last_seq)
            self._deliver(entry)

    # -- drivers ---------------------------------------------------------------------------------

    def drain(self, max_wait: float | None = None, stop: Callable[[], bool] | None = None) -> bool:
        """Ship until nothing is pending; False when max_wait passed or stop() first (nothing lost)."""
        self._deadline = None if max_wait is None else self.clock.monotonic() + max_wait
        self._stop = stop or (lambda: False)
        try:
            self.start()
            began = self.clock.monotonic()
            while True:
                before = self._cursor
                self._pump(final=True)
                self._settle_inflight()
                if not len(self.batcher) and self._pending() == 0:
                    self.log.info(
                        "drain_finished", batch_seq=self.state.batch_seq, acked_seq=self.state.acked_seq,
                        alerts=self.counters["forwarder_alerts_shipped_total"],
                        seconds=round(self.clock.monotonic() - began, 6),
                    )
                    return True
                if self._cursor == before:  # records pending but none readable yet: wait for them
                    self._idle(self.settings.poll_interval)
        except Abandoned:
            self._abandon_inflight()
            self.log.warning("drain_abandoned", pending=self._pending(), acked_seq=self.state.acked_seq)
            return False
        finally:
            self._abandon_inflight()
            self.log_stats()

    def run(self, stop: Callable[[], bool]) -> None:
        """Ship until stop() is true; partial batches wait up to max_age for more alerts."""
        self._deadline = None
        self._stop = stop
        try:
            self.start()
            while not stop():
                caught_up = self._pump(final=False)
                if caught_up:
                    self._settle_inflight()
                    wait = self.settings.poll_interval
                    due = self.batcher.time_to_due()
                    if due is not None:
                        wait = min(wait, due)
                    self._idle(wait)
        except Abandoned:
            pass
        finally:
            self._abandon_inflight()
            self.log.info("forwarder_stopped", batch_seq=self.state.batch_seq, acked_seq=self.state.acked_seq)
            self.log_stats()

    # -- the loop --------------------------------------------------------------------------------

    def _pump(self, final: bool) -> bool:
        """Read what the spool has, ship closed batches; True once caught up with the spool."""
        while True:
            self._check_stop()
            self._maybe_stats()
            try:
                with self._reader_lock:
                    records = self.reader.read(self._cursor, self.settings.read_limit)
            except SpoolCorruption as e:
                self._corrupted(e)
                continue
            fresh = [r for r in records if r.seq > self._cursor]  # defensive: read() is "seq > after_seq"
            for record in fresh:
                for closed in self.batcher.add(record):
                    self._ship(closed)
                self._cursor = record.seq
            if len(records) < self.settings.read_limit or not fresh:
                last = self.batcher.flush() if final else self.batcher.due()
                if last is not None:
                    self._ship(last)
                return True

    def _corrupted(self, error: SpoolCorruption) -> None:
        """Ship what was read before the damage, then move the bad segment aside and go on."""
        self.counters["forwarder_spool_corruptions_total"] += 1
        self.log.error("spool_corruption_found", error=str(error))
        batch = self.batcher.flush()
        if batch is not None:
            self._ship(batch)
        path = self.reader.corrupt_segment
        if path is not None:
            with self._reader_lock:
                self.reader.quarantine_segment(path)
        else:  # nothing to move aside: do not spin on it
            self._idle(self.settings.retry.cap)

    def _ship(self, batch: Batch) -> None:
        """Sign the batch at the chain's head (overlapping the POST in flight), then, once that one is
        settled, put it in the outbox and hand it to the shipping thread."""
        position = ChainPosition(
            sensor_id=self.reader.sensor_id, epoch=self.state.epoch,
            batch_seq=self._head_seq + 1, prev_hash=self._head_hash,
        )
        frame = self.signer.sign(batch, position, int(self.clock.time()))
        self._settle_inflight()
        entry = self.store.put_outbox(frame, position.epoch, position.batch_seq)
        self._head_seq, self._head_hash = position.batch_seq, entry.batch_hash
        self._inflight = self._shipping.submit(self._deliver, entry)

    def _settle_inflight(self) -> None:
        """Wait for the batch in flight to be acknowledged or quarantined; re-raise Abandoned."""
        inflight, self._inflight = self._inflight, None
        if inflight is not None:
            inflight.result()

    def _abandon_inflight(self) -> None:
        """On the way out: let the shipping thread finish or give up (the outbox keeps its frame)."""
        try:
            self._settle_inflight()
        except Abandoned:
            pass

    def _deliver(self, entry: OutboxEntry) -> None:
        """POST the outbox frame until OK or REJECT; then advance the chain, ack, clear the outbox."""
        h = entry.header
        attempt = 0
        while True:
            result = self.shipper.ship(entry.frame)
            if result.outcome is Outcome.OK:
                self._advance(entry)
                self.counters["forwarder_batches_shipped_total"] += 1
                self.counters["forwarder_alerts_shipped_total"] += h.count
                self.log.info(
                    "batch_shipped", batch_seq=h.batch_seq, first_seq=h.first_seq, last_seq=h.last_seq,
                    count=h.count, bytes=len(entry.frame), reason=result.reason, attempts=attempt + 1,
                    http_version=result.http_version,
                )
                return
            if result.outcome is Outcome.REJECT:
                self._reject(entry, result)
                return
            self.counters["forwarder_batches_retried_total"] += 1
            delay = next_delay(attempt, self.settings.retry, self.rng, auth=result.auth,
                               retry_after=result.retry_after)
            if result.auth:
                self.counters["forwarder_auth_failures_total"] += 1
                self.log.error(
                    "forwarder_auth_failed", reason=result.reason, status=result.status, key_id=self.signer.key_id,
                    batch_seq=h.batch_seq, attempt=attempt + 1, delay_s=round(delay, 3),
                    hint="enroll this key at the collector; nothing is lost meanwhile",
                )
            else:
                self.log.warning(
                    "batch_retry_scheduled", reason=result.reason, status=result.status, batch_seq=h.batch_seq,
                    attempt=attempt + 1, delay_s=round(delay, 3), detail=result.detail,
                )
            attempt += 1
            self._idle(delay)
            self._check_stop()

    def _advance(self, entry: OutboxEntry) -> None:
        h = entry.header
        self.state = ChainState(epoch=h.epoch, batch_seq=h.batch_seq, batch_hash=entry.batch_hash,
                                acked_seq=max(self.state.acked_seq, h.last_seq))
        self.store.save(self.state)
        if h.epoch == self.reader.epoch:
            with self._reader_lock:
                self.reader.ack(h.last_seq)
        self.store.delete(entry.path)

    def _reject(self, entry: OutboxEntry, result: Result) -> None:
        h = entry.header
        qpath = self.store.quarantine(entry.frame, h.epoch, h.batch_seq, {
            "reason": result.reason, "status": result.status, "detail": result.detail,
            "sensor_id": h.sensor_id, "epoch": h.epoch, "batch_seq": h.batch_seq, "first_seq": h.first_seq,
            "last_seq": h.last_seq, "count": h.count, "collector": self.shipper.url,
            "rejected_at": int(self.clock.time()),
        })
        self._advance(entry)
        self.counters["forwarder_batches_rejected_total"] += 1
        self.counters["forwarder_alerts_rejected_total"] += h.count
        self.log.error(
            "batch_rejected", reason=result.reason, status=result.status, batch_seq=h.batch_seq,
            first_seq=h.first_seq, last_seq=h.last_seq, count=h.count, quarantine=str(qpath), detail=result.detail,
        )

    # -- time, stop, stats -----------------------------------------------------------------------

    def _idle(self, seconds: float) -> None:
        self._check_stop()
        if self._deadline is not None:
            left = self._deadline - self.clock.monotonic()
            if left <= 0:
                raise Abandoned
            seconds = min(seconds, left)
        self.clock.sleep(seconds)
        self._maybe_stats()

    def _check_stop(self) -> None:
        if self._stop() or (self._deadline is not None and self.clock.monotonic() >= self._deadline):
            raise Abandoned

    def _maybe_stats(self) -> None:
        if self.clock.monotonic() >= self._next_stats:
            self._next_stats = self.clock.monotonic() + self.settings.stats_interval
            self.log_stats()

    def log_stats(self) -> None:
        self.log.info("stats", pending=self._pending_or_none(), batch_seq=self.state.batch_seq,
                      acked_seq=self.state.acked_seq, **self.counters)

    def close(self) -> None:
        """Stop the shipping thread (after drain/run returned, nothing is in flight)."""
        self._shipping.shutdown(wait=True)

    def _pending(self) -> int:
        with self._reader_lock:
            return self.reader.pending()

    def _pending_or_none(self) -> int | None:
        try:
            return self._pending()
        except OSError:
            return None


def _user_agent() -> str:
    try:
        return f"pehredar-forwarder/{version('pehredar')}"
    except PackageNotFoundError:
        return "pehredar-forwarder"


def build_client(cfg: ForwarderConfig) -> httpx.Client:
    """The httpx.Client for the collector: pinned CA and client certificate when given, HTTP/2 on request."""
    verify: ssl.SSLContext | bool = True
    if cfg.ca is not None or cfg.client_cert is not None:
        try:
            ctx = ssl.create_default_context(cafile=cfg.ca)  # with cafile: only that CA, not the system store
            if cfg.client_cert is not None:
                ctx.load_cert_chain(cfg.client_cert, cfg.client_key)
        except (ssl.SSLError, OSError) as e:
            raise ConfigError(f"TLS files: {e}") from None
        verify = ctx
    http1 = not (cfg.http2 and cfg.collector_url.startswith("http://"))  # h2c needs prior knowledge
    return httpx.Client(
        verify=verify, http1=http1, http2=cfg.http2, timeout=cfg.timeout, follow_redirects=False,
        headers={"user-agent": _user_agent()},
    )


@contextmanager
def open_forwarder(cfg: ForwarderConfig, clock: RealClock) -> Iterator[Forwarder]:
    """Build the loop from a config: key first, then spool reader, state store and HTTP client."""
    key = load_signing_key(cfg.key)
    with ExitStack() as stack:
        reader = stack.enter_context(SpoolReader(cfg.spool))
        store = StateStore(cfg.spool)
        stack.callback(store.close)
        client = stack.enter_context(build_client(cfg))
        forwarder = Forwarder(
            reader=reader,
            store=store,
            batcher=Batcher(clock, cfg.batch_max_alerts, cfg.batch_max_bytes, cfg.batch_max_age),
            signer=Signer(key, COMPRESSIONS[cfg.compression], clock_state()),
            shipper=Shipper(client, cfg.collector_url),
            clock=clock,
            settings=LoopSettings(cfg.read_limit, cfg.poll_interval, cfg.stats_interval, cfg.retry),
        )
        stack.callback(forwarder.close)
        yield forwarder


def describe(spool: str | Path) -> dict[str, Any]:
    """What `inspect` prints: pending records, chain state, outbox and quarantine, read-only."""
    out: dict[str, Any] = {"spool": str(spool)}
    try:
        with SpoolReader(spool) as reader:
            out.update(sensor_id=reader.sensor_id, epoch=reader.epoch, spool_acked_seq=reader.acked_seq(),
                       pending=reader.pending())
    except SpoolError as e:
        if "reader.lock" not in str(e):
            raise
        out.update(pending=None, note="a forwarder is running (it holds the spool's reader lock)")
    store = StateStore(spool, lock=False, create=False)
    state = store.load()
    out["chain"] = None if state is None else {
        "epoch": state.epoch, "batch_seq": state.batch_seq, "batch_hash": state.batch_hash.hex(),
        "acked_seq": state.acked_seq,
    }
    outbox = []
    for path in store.outbox():
        try:
            h = store.read_outbox(path).header
            outbox.append({"path": str(path), "epoch": h.epoch, "batch_seq": h.batch_seq, "first_seq": h.first_seq,
                           "last_seq": h.last_seq, "count": h.count})
        except StateError as e:
            outbox.append({"path": str(path), "error": str(e)})
    out["outbox"] = outbox
    out["quarantine"] = [{"path": str(p), **meta} for p, meta in store.quarantined()]
    return out
