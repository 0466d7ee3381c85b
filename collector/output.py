"""Stored alert rows as the query API's JSON and as Suricata EVE-JSON lines.

EVE (`eve_record`) follows Suricata's field names so SIEMs that already read
Suricata's eve.json take these unchanged: timestamp (+0000), flow_id, event_type
"alert", src/dest ip and port, proto name, community_id, alert{action, gid,
signature_id, rev, signature, category, severity}, host (the sensor id), plus a
`pehredar` object with sector, epoch and seq. For ICMP the wire's src_port and
dest_port are the ICMP type and code, exported as icmp_type/icmp_code.
"""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from alertwire.community_id import community_id_v1

_PROTO_NAMES = {1: "ICMP", 2: "IGMP", 6: "TCP", 17: "UDP", 47: "GRE", 50: "ESP", 51: "AH", 58: "IPv6-ICMP",
                132: "SCTP"}  # fmt: skip
_PORTED = (6, 17, 132)
_ICMP = (1, 58)
_DIRECTIONS = {1: "to_server", 2: "to_client"}


def iso_utc(ts_us: int) -> str:
    sec, usec = divmod(ts_us, 1_000_000)
    return datetime.fromtimestamp(sec, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{usec:06d}Z"


def eve_timestamp(ts_us: int) -> str:
    sec, usec = divmod(ts_us, 1_000_000)
    return datetime.fromtimestamp(sec, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{usec:06d}+0000"


def ip_text(raw: bytes) -> str | None:
    return str(ipaddress.ip_address(raw)) if len(raw) in (4, 16) else None


def proto_name(proto: int) -> str:
    return _PROTO_NAMES.get(proto, str(proto))


def alert_json(row: dict[str, Any], verified: Callable[[dict[str, Any]], bool] | None = None) -> dict[str, Any]:
    """One stored alert for the query API and `collector alerts --json`."""
    out: dict[str, Any] = {
        "sensor_id": row["sensor_id"], "sector": row["sector"], "epoch": row["epoch"], "seq": row["seq"],
        "batch_seq": row["batch_seq"], "timestamp": iso_utc(row["ts_us"]), "ts_us": row["ts_us"],
        "gid": row["gid"], "sid": row["sid"], "rev": row["rev"], "signature": row["msg"],
        "category": row["category"], "severity": row["severity"],
        "src_ip": ip_text(row["src_ip"]), "src_port": row["src_port"],
        "dest_ip": ip_text(row["dest_ip"]), "dest_port": row["dest_port"],
        "proto": proto_name(row["proto"]), "flow_id": row["flow_id"],
        "direction": _DIRECTIONS.get(row["direction"]), "action": "blocked" if row["blocked"] else "allowed",
        "app_proto": row["app_proto"] or None,
        "payload": base64.b64encode(row["payload"]).decode("ascii") if row["payload"] else None,
    }  # fmt: skip
    if verified is not None:
        out["verified"] = verified(row)
    return out


def signature_text(row: dict[str, Any]) -> str:
    return row["msg"] if row["msg"] else f"sid {row['sid']}"


def eve_record(row: dict[str, Any]) -> dict[str, Any]:
    """One stored alert as a Suricata EVE `alert` event."""
    proto = row["proto"]
    rec: dict[str, Any] = {"timestamp": eve_timestamp(row["ts_us"])}
    if row["flow_id"]:
        rec["flow_id"] = row["flow_id"]
    rec["event_type"] = "alert"
    src, dst = row["src_ip"], row["dest_ip"]
    if src:
        rec["src_ip"] = ip_text(src)
        if proto in _PORTED:
            rec["src_port"] = row["src_port"]
        rec["dest_ip"] = ip_text(dst)
        if proto in _PORTED:
            rec["dest_port"] = row["dest_port"]
        rec["ip_v"] = 4 if len(src) == 4 else 6
        rec["proto"] = proto_name(proto)
        if proto in _ICMP:
            rec["icmp_type"], rec["icmp_code"] = row["src_port"], row["dest_port"]
    if row["direction"] in _DIRECTIONS:
        rec["direction"] = _DIRECTIONS[row["direction"]]
    rec["alert"] = {
        "action": "blocked" if row["blocked"] else "allowed",
        "gid": row["gid"], "signature_id": row["sid"], "rev": row["rev"],
        "signature": signature_text(row),
        "category": row["category"] or "", "severity": row["severity"] if row["severity"] is not None else 3,
    }  # fmt: skip
    if row["app_proto"]:
        rec["app_proto"] = row["app_proto"]
    if src:
        ported = proto in _PORTED or proto in _ICMP
        rec["community_id"] = community_id_v1(
            proto, src, dst, row["src_port"] if ported else None, row["dest_port"] if ported else None
        )
    if row["payload"]:
        rec["payload"] = base64.b64encode(row["payload"]).decode("ascii")
    rec["host"] = row["sensor_id"]
    rec["pehredar"] = {"sector": row["sector"], "epoch": row["epoch"], "seq": row["seq"]}
    return rec
