"""Sends each alert of the packet loop to the configured outputs (step 6 of 10).

The replay loop calls this with (packet, alerted rule, action); it writes the
EVE line and/or the compact spool record. Building each output's record only
when that output is on keeps the loop's cost per alert to what is asked for.
"""

from __future__ import annotations

from typing import Any

from sensor.output.alert import alert_from_match
from sensor.output.eve import EveWriter, alert_record
from sensor.output.spool_sink import SpoolSink


class AlertFanout:
    """The replay loop's alert callback."""

    def __init__(
        self,
        *,
        eve: EveWriter | None,
        spool: SpoolSink | None,
        host: str = "",
        ips_mode: bool = False,
        payload_excerpt: int = 0,
    ) -> None:
        self._eve = eve
        self._spool = spool
        self._host = host
        self._ips_mode = ips_mode
        self._payload_excerpt = payload_excerpt

    def __call__(self, pkt: Any, rule: Any, action: str) -> None:
        if self._eve is not None:
            self._eve.write(alert_record(pkt, rule, action, host=self._host, ips_mode=self._ips_mode))
        if self._spool is not None:
            self._spool.emit(
                alert_from_match(pkt, rule, action, ips_mode=self._ips_mode, payload_excerpt=self._payload_excerpt)
            )
