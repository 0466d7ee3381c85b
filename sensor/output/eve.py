"""EVE-JSON alert records with Suricata's field names and meaning.

Step 6 of 10 (alert): turns (packet, flow, alerted rule) into the dict that
Suricata's `eve.json` would hold for the same alert, so tools that read
Suricata's EVE read ours unchanged (validated against Suricata's own schema in
the tests). Timestamps are the packet's, in UTC.
"""

from __future__ import annotations

import ipaddress
import json
from datetime import UTC, datetime
from typing import IO, Any

from sensor.flow.community_id import community_id_v1

_PROTO_NAMES = {1: "ICMP", 2: "IGMP", 6: "TCP", 17: "UDP", 41: "IPv6", 47: "GRE", 50: "ESP", 51: "AH", 58: "IPv6-ICMP",
                132: "SCTP", 4: "IPIP", 0: "HOPOPT"}
_PORTED = (6, 17, 132)


def format_timestamp(ts_us: int) -> str:
    """Suricata's EVE timestamp: local ISO time with microseconds and +HHMM offset (UTC here)."""
    sec, usec = divmod(ts_us, 1_000_000)
    dt = datetime.fromtimestamp(sec, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + f".{usec:06d}+0000"


def ip_text(raw: bytes) -> str:
    return str(ipaddress.ip_address(raw)) if raw else ""


def proto_name(proto: int) -> str:
    return _PROTO_NAMES.get(proto, str(proto))


def alert_record(pkt: Any, rule: Any, action: str, *, host: str, ips_mode: bool) -> dict[str, Any]:
    """The EVE alert event for one alerted rule on one packet."""
    rec: dict[str, Any] = {"timestamp": format_timestamp(pkt.ts_us)}
    flow = pkt.flow
    if flow is not None:
        rec["flow_id"] = flow.flow_id
    if not pkt.is_pseudo:
        rec["pcap_cnt"] = pkt.pcap_cnt  # pseudo packets have none in Suricata's EVE
    rec["event_type"] = "alert"
    if pkt.ip_version:
        rec["src_ip"] = ip_text(pkt.src)
        if pkt.proto in _PORTED:
            rec["src_port"] = pkt.sp
        rec["dest_ip"] = ip_text(pkt.dst)
        if pkt.proto in _PORTED:
            rec["dest_port"] = pkt.dp
        rec["ip_v"] = pkt.ip_version
        rec["proto"] = proto_name(pkt.proto)
    if pkt.icmp_type >= 0:
        rec["icmp_type"] = pkt.icmp_type
        rec["icmp_code"] = pkt.icmp_code
    if pkt.vlan:
        rec["vlan"] = list(pkt.vlan)
    rec["pkt_src"] = "stream (flow timeout)" if pkt.stream_eof else pkt.pkt_src
    if flow is not None:
        rec["direction"] = "to_server" if pkt.to_server else "to_client"
    r = rule.rule
    alert: dict[str, Any] = {
        "action": "blocked" if ips_mode and action in ("drop", "reject", "rejectsrc", "rejectdst", "rejectboth")
        else "allowed",
        "gid": r.gid,
        "signature_id": r.sid,
        "rev": r.rev,
        "signature": r.msg,
        "category": rule.category,
        "severity": rule.severity,
    }
    if rule.target and pkt.ip_version:
        src = {"ip": ip_text(pkt.src)}
        dst = {"ip": ip_text(pkt.dst)}
        if pkt.proto in _PORTED:
            src["port"], dst["port"] = pkt.sp, pkt.dp
        alert["source"], alert["target"] = (src, dst) if rule.target == "dest_ip" else (dst, src)
    if rule.metadata:
        alert["metadata"] = rule.metadata
    rec["alert"] = alert
    if flow is not None and flow.app_proto:
        rec["app_proto"] = flow.app_proto
    if pkt.ip_version:
        rec["community_id"] = community_id_v1(pkt)
    if flow is not None:
        rec["flow"] = {
            "pkts_toserver": flow.pkts_toserver,
            "pkts_toclient": flow.pkts_toclient,
            "bytes_toserver": flow.bytes_toserver,
            "bytes_toclient": flow.bytes_toclient,
            "start": format_timestamp(flow.start_us),
            "src_ip": ip_text(flow.client_addr),
            "dest_ip": ip_text(flow.server_addr),
        }
        if flow.proto in _PORTED:
            rec["flow"]["src_port"] = flow.client_port
            rec["flow"]["dest_port"] = flow.server_port
    if host:
        rec["host"] = host
    return rec


class EveWriter:
    """Writes EVE records as JSON lines to a text stream."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self.written = 0

    def write(self, record: dict[str, Any]) -> None:
        self._stream.write(json.dumps(record, separators=(",", ":")) + "\n")
        self.written += 1

    def flush(self) -> None:
        self._stream.flush()
