"""Hands alerts to the on-disk spool (step 7 of 10), where the forwarder picks them up.

Offline replay writes synchronously: `emit` appends the encoded record and
commits (write + fsync) every `commit_every` alerts; `close` commits and seals,
so every alert of a finished replay is durable and visible to the forwarder.
Alerts dropped because the spool is full are counted by the spool itself
(`dropped_full`, each still consuming its sequence number so the collector
reports the gap) and reported here at close. The live sensor, when it lands,
puts a bounded channel and a writer thread in front of this, so that a slow
disk never stalls the packet loop.
"""

from __future__ import annotations

import structlog

from alertwire import Alert, encode_alert
from alertwire.spool import SpoolWriter

_log = structlog.get_logger(component="spool_sink")


class SpoolSink:
    """Appends alerts to a SpoolWriter, committing in groups."""

    def __init__(self, writer: SpoolWriter, commit_every: int = 1000) -> None:
        self._writer = writer
        self._commit_every = commit_every
        self._uncommitted = 0
        self.emitted = 0

    def emit(self, alert: Alert) -> None:
        self._writer.append(encode_alert(alert))
        self.emitted += 1
        self._uncommitted += 1
        if self._uncommitted >= self._commit_every:
            self._writer.commit()
            self._uncommitted = 0

    def close(self) -> dict[str, int]:
        """Commit and seal everything; returns the spool's counters."""
        self._writer.close()
        stats = self._writer.stats()
        if stats.get("dropped_full"):
            _log.warning("alerts_dropped", reason="spool_full", count=stats["dropped_full"])
        return stats
