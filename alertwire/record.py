"""The Alert record: what the sensor hands to the spool and the collector stores.

Step 6 of 10 (alert) ends in one of these. Field names follow Suricata's EVE
(`src_ip`, `dest_port`, `alert.signature_id` as `sid`, ...). Addresses are raw
bytes (4 for IPv4, 16 for IPv6, empty for non-IP), time is the packet's, in
integer microseconds since the Unix epoch. No rule text travels: the collector
resolves (gid, sid, rev) through the rule set it knows. `payload` is empty
unless the sensor's configuration asks for a size-capped excerpt: CII traffic
carries citizen data, so by default no payload byte leaves the sensor.
"""

from __future__ import annotations

import ipaddress
from enum import IntEnum
from typing import NamedTuple


class Direction(IntEnum):
    """Suricata's EVE `direction` of the alerting packet within its flow."""

    NONE = 0
    TO_SERVER = 1
    TO_CLIENT = 2


class Alert(NamedTuple):
    """One alert of one rule on one packet. A NamedTuple: immutable, and cheap to build by the
    thousand, which the collector does for every batch it receives."""

    ts_us: int
    gid: int
    sid: int
    rev: int
    proto: int
    src_ip: bytes
    src_port: int
    dest_ip: bytes
    dest_port: int
    flow_id: int = 0
    direction: Direction = Direction.NONE
    blocked: bool = False
    app_proto: str = ""
    payload: bytes = b""

    @property
    def src_ip_text(self) -> str:
        return _ip_text(self.src_ip)

    @property
    def dest_ip_text(self) -> str:
        return _ip_text(self.dest_ip)


def _ip_text(raw: bytes) -> str:
    return str(ipaddress.ip_address(raw)) if len(raw) in (4, 16) else ""
