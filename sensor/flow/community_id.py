"""Community ID v1 of a sensor Packet or Flow (the cross-tool flow hash on EVE alerts).

Step 6 of 10 (alert): `sensor.output` puts it in EVE's `community_id`, so Zeek, Suricata
and this sensor name one flow the same way. The hash itself lives in
alertwire.community_id (the collector computes it from stored alerts too); this module
only picks the tuple: a Flow hashes as its first packet would (client to server), and a
Packet's ICMP type and code stand in for ports (a fragment, with no ICMP header, hashes
as a port-less protocol). Per alert, not per packet.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from alertwire.community_id import community_id_v1 as _community_id
from sensor.flow.flow import Flow


def community_id_v1(obj: Any, seed: int = 0) -> str:
    """Community ID v1 of a Packet, a Flow, or fields (proto, saddr, daddr, sport, dport).

    Addresses are raw bytes (4 or 16) or text. For ICMP/ICMPv6 fields, sport and dport
    are the message type and code.
    """
    sport: int | None
    dport: int | None
    if isinstance(obj, tuple):
        proto, saddr, daddr, sport, dport = obj
        src = saddr if isinstance(saddr, bytes) else ipaddress.ip_address(saddr).packed
        dst = daddr if isinstance(daddr, bytes) else ipaddress.ip_address(daddr).packed
    elif isinstance(obj, Flow):
        proto, src, dst = obj.proto, obj.client_addr, obj.server_addr
        if proto == 1 or proto == 58:
            sport, dport = obj.icmp_type, obj.icmp_code
        else:
            sport, dport = obj.client_port, obj.server_port
    else:
        proto, src, dst = obj.proto, obj.src, obj.dst
        if proto == 1 or proto == 58:
            sport, dport = (obj.icmp_type, obj.icmp_code) if obj.icmp_type >= 0 else (None, None)
        else:
            sport, dport = obj.sp, obj.dp
    return _community_id(proto, bytes(src), bytes(dst), sport, dport, seed)
