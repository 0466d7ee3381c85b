"""Verify stored batches again: every stored alert can be traced to a signed frame.

A stored alert row counts as verified when the original frame of the batch that
stored it still verifies against the key enrolled under the frame's key id
(revoked or not: it was valid when the batch arrived), hashes to the stored batch
hash, decodes, names the same (sensor, epoch, batch_seq), and carries an alert at
that seq whose fields equal the row. `collector verify` runs this over every
frame; `collector alerts` and GET /v1/alerts use it per alert (one check per batch).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from alertwire import (
    Alert,
    AlertWireError,
    decode_body,
    decode_payload,
    decompress,
    parse_frame,
    parse_public_key,
)
from collector.store import Store, StoredFrame


class FrameCheckFailed(Exception):
    """A stored frame does not verify; the message says why."""


def check_frame(store: Store, stored: StoredFrame) -> dict[int, Alert]:
    """The alerts of a stored frame by seq, after checking it end to end; FrameCheckFailed otherwise."""
    try:
        frame = parse_frame(stored.frame)
        if frame.key_id != stored.key_id:
            raise FrameCheckFailed(f"frame names key {frame.key_id}, the batch row says {stored.key_id}")
        enrolled = store.lookup_key(frame.key_id)
        if enrolled is None:
            raise FrameCheckFailed(f"key {frame.key_id} is no longer enrolled")
        frame.verify(parse_public_key(enrolled.public_key_pem, source=f"enrolled key {frame.key_id}"))
        if hashlib.sha256(frame.signed).digest() != stored.batch_hash:
            raise FrameCheckFailed("frame does not hash to the stored batch hash")
        header, body = decode_payload(frame.payload)
        if (header.sensor_id, header.epoch, header.batch_seq) != (stored.sensor_id, stored.epoch, stored.batch_seq):
            raise FrameCheckFailed("frame header names another sensor, epoch or batch_seq than its row")
        if enrolled.sensor_id != header.sensor_id:
            raise FrameCheckFailed(f"key {frame.key_id} is enrolled for {enrolled.sensor_id}")
        return dict(decode_body(decompress(body, header.compression), header))
    except AlertWireError as e:
        raise FrameCheckFailed(str(e)) from None


def row_matches(row: dict[str, Any], a: Alert) -> bool:
    return (
        row["ts_us"] == a.ts_us and row["gid"] == a.gid and row["sid"] == a.sid and row["rev"] == a.rev
        and row["proto"] == a.proto and row["src_ip"] == a.src_ip and row["src_port"] == a.src_port
        and row["dest_ip"] == a.dest_ip and row["dest_port"] == a.dest_port and row["flow_id"] == a.flow_id
        and row["direction"] == int(a.direction) and row["blocked"] == a.blocked
        and row["app_proto"] == a.app_proto and row["payload"] == a.payload
    )  # fmt: skip


class AlertVerifier:
    """`verified` for alert rows, checking each batch's frame once."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._cache: dict[tuple[str, int, int], dict[int, Alert] | None] = {}

    def __call__(self, row: dict[str, Any]) -> bool:
        key = (row["sensor_id"], row["epoch"], row["batch_seq"])
        if key not in self._cache:
            stored = self._store.frame(*key)
            try:
                self._cache[key] = None if stored is None else check_frame(self._store, stored)
            except FrameCheckFailed:
                self._cache[key] = None
        alerts = self._cache[key]
        a = None if alerts is None else alerts.get(row["seq"])
        return a is not None and row_matches(row, a)


@dataclass(slots=True)
class VerifyReport:
    frames_ok: int = 0
    frames_failed: int = 0
    alerts_ok: int = 0
    alerts_failed: int = 0

    @property
    def ok(self) -> bool:
        return self.frames_failed == 0 and self.alerts_failed == 0


def verify_store(store: Store, on_failure: Any = None) -> VerifyReport:
    """Check every stored frame and the alert rows it stored."""
    report = VerifyReport()
    for stored in store.frames():
        where = f"{stored.sensor_id} epoch {stored.epoch} batch {stored.batch_seq}"
        rows = store.stored_seqs(stored.sensor_id, stored.epoch, stored.batch_seq)
        try:
            alerts = check_frame(store, stored)
        except FrameCheckFailed as e:
            report.frames_failed += 1
            report.alerts_failed += len(rows)
            if on_failure:
                on_failure(f"{where}: {e}")
            continue
        report.frames_ok += 1
        for seq, row in rows.items():
            a = alerts.get(seq)
            if a is not None and row_matches(row, a):
                report.alerts_ok += 1
            else:
                report.alerts_failed += 1
                if on_failure:
                    on_failure(f"{where}: stored alert seq {seq} differs from its signed frame")
    return report
