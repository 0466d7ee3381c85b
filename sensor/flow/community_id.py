"""Community ID v1: the cross-tool flow hash carried on alerts ("1:" + base64 of SHA-1).

Step 6 of 10 (alert): `sensor.output` puts it in EVE's `community_id`, so Zeek, Suricata
and this sensor name one flow the same way. Follows the Community ID spec v1: hash
seed (2 bytes), the two addresses, protocol, a zero pad byte and, for TCP, UDP, SCTP,
ICMP and ICMPv6, the two ports, endpoints ordered so both directions hash alike. ICMP
"ports" are the type and its reply type (a type without one: type and code, and its
flow is one-way, not reordered), as Zeek maps them.
Per alert, not per packet: one SHA-1 over at most 40 bytes.
"""

from __future__ import annotations

import ipaddress
from base64 import b64encode
from hashlib import sha1
from struct import Struct
from typing import Any

from sensor.flow.flow import Flow

_PORTED = frozenset({6, 17, 132})
_ICMP4_PAIRS: dict[int, int] = {
    8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 9: 10, 17: 18, 18: 17,
}  # fmt: skip
_ICMP6_PAIRS: dict[int, int] = {
    128: 129, 129: 128, 130: 131, 131: 130, 133: 134, 134: 133,
    135: 136, 136: 135, 139: 140, 140: 139, 144: 145, 145: 144,
}  # fmt: skip
_head = Struct("!H")
_tail_ports = Struct("!BBHH")
_tail = Struct("!BB")


def community_id_v1(obj: Any, seed: int = 0) -> str:
    """Community ID v1 of a Packet, a Flow, or fields (proto, saddr, daddr, sport, dport).

    Addresses are raw bytes (4 or 16) or text. For ICMP/ICMPv6 fields, sport and dport
    are the message type and code. A Flow hashes as its first packet would (client to
    server); for a Packet, an ICMP error is hashed as ICMP, not as the flow it joined.
    """
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
            # a fragment carries no ICMP header: hash it as a port-less protocol
            sport, dport = (obj.icmp_type, obj.icmp_code) if obj.icmp_type >= 0 else (None, None)
        else:
            sport, dport = obj.sp, obj.dp
    return _community_id(proto, src, dst, sport, dport, seed)


def _community_id(proto: int, src: bytes, dst: bytes, sport: int | None, dport: int | None, seed: int) -> str:
    one_way = False
    ported = proto in _PORTED or proto == 1 or proto == 58
    if ported and sport is not None and dport is not None:
        if proto == 1 or proto == 58:
            pairs = _ICMP4_PAIRS if proto == 1 else _ICMP6_PAIRS
            reply = pairs.get(sport)
            if reply is None:
                one_way = True
            else:
                dport = reply
        if not one_way and (src > dst or (src == dst and sport > dport)):
            src, dst, sport, dport = dst, src, dport, sport
        tail = _tail_ports.pack(proto, 0, sport, dport)
    else:
        if src > dst:
            src, dst = dst, src
        tail = _tail.pack(proto, 0)
    digest = sha1(_head.pack(seed & 0xFFFF) + src + dst + tail, usedforsecurity=False).digest()
    return "1:" + b64encode(digest).decode("ascii")
