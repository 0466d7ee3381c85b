"""Alert records for the spool: (packet, alerted rule, action) -> alertwire.Alert.

Step 6 of 10 (alert), the compact twin of sensor.output.eve: the same facts as
the EVE alert line, as the record the spool stores and the collector receives.
Rule text stays home (the collector resolves gid/sid/rev). For ICMP the ports
carry type and code, as Community ID does. No payload unless `payload_excerpt`
bytes are asked for (configuration, off by default): CII traffic carries
citizen data.
"""

from __future__ import annotations

from typing import Any

from alertwire import Alert, Direction

_BLOCKING = frozenset(("drop", "reject", "rejectsrc", "rejectdst", "rejectboth"))


def alert_from_match(pkt: Any, rule: Any, action: str, *, ips_mode: bool, payload_excerpt: int = 0) -> Alert:
    """The Alert of one alerted rule on one packet (`rule` is a sensor.detect.build.CompiledRule)."""
    flow = pkt.flow
    if pkt.icmp_type >= 0:
        sp, dp = pkt.icmp_type, pkt.icmp_code  # the ICMP decoders set type and code together
    else:
        sp, dp = pkt.sp, pkt.dp
    r = rule.rule
    src, dst = (pkt.src, pkt.dst) if pkt.ip_version else (b"", b"")
    return Alert(
        ts_us=pkt.ts_us,
        gid=r.gid,
        sid=r.sid,
        rev=r.rev,
        proto=pkt.proto if pkt.ip_version else 0,
        src_ip=bytes(src),
        src_port=sp,
        dest_ip=bytes(dst),
        dest_port=dp,
        flow_id=flow.flow_id if flow is not None else 0,
        direction=Direction.NONE if flow is None else Direction.TO_SERVER if pkt.to_server else Direction.TO_CLIENT,
        blocked=ips_mode and action in _BLOCKING,
        app_proto=(flow.app_proto or "") if flow is not None else "",
        payload=bytes(pkt.payload[:payload_excerpt]) if payload_excerpt > 0 else b"",
    )
