"""Community ID v1 from an alert's fields: the cross-tool flow hash ("1:" + base64 of SHA-1).

Corelight's Community ID spec v1, so Zeek, Suricata and Pehredar name one flow the
same way. Hashed: seed (2 bytes, big-endian), the two addresses, protocol, a zero
pad byte and, for TCP, UDP, SCTP, ICMP and ICMPv6, the two ports, with the endpoints
ordered so both directions of a flow hash alike. For ICMP and ICMPv6 the "ports" are
the message type and code: the code is replaced by the type's reply type (echo 8 and
echo reply 0, ...); a type without a reply partner is a one-way flow, hashed as
(type, code) and never reordered. Everything else hashes without ports.

Works on the raw address bytes an Alert carries (4 or 16 bytes), so the collector
computes it for EVE export without rebuilding packets.
"""

from __future__ import annotations

from base64 import b64encode
from hashlib import sha1
from struct import Struct

__all__ = ["community_id_v1"]

_PORTED = frozenset({6, 17, 132})
_ICMP4_PAIRS: dict[int, int] = {
    8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 9: 10, 17: 18, 18: 17,
}  # fmt: skip
_ICMP6_PAIRS: dict[int, int] = {
    128: 129, 129: 128, 130: 131, 131: 130, 133: 134, 134: 133,
    135: 136, 136: 135, 139: 140, 140: 139, 144: 145, 145: 144,
}  # fmt: skip
_SEED = Struct("!H")
_TAIL_PORTS = Struct("!BBHH")
_TAIL = Struct("!BB")


def community_id_v1(
    proto: int, src_ip: bytes, dest_ip: bytes, src_port: int | None, dest_port: int | None, seed: int = 0
) -> str:
    """The Community ID v1 string of one flow tuple.

    For ICMP (1) and ICMPv6 (58), src_port is the message type and dest_port its code.
    Ports are ignored for protocols that have none; pass None for an ICMP packet whose
    header is absent (a fragment) to hash it as a port-less protocol.
    """
    src, dst = src_ip, dest_ip
    if (proto in _PORTED or proto == 1 or proto == 58) and src_port is not None and dest_port is not None:
        sport, dport = src_port, dest_port
        one_way = False
        if proto == 1 or proto == 58:
            reply = (_ICMP4_PAIRS if proto == 1 else _ICMP6_PAIRS).get(sport)
            if reply is None:
                one_way = True
            else:
                dport = reply
        if not one_way and (src > dst or (src == dst and sport > dport)):
            src, dst, sport, dport = dst, src, dport, sport
        tail = _TAIL_PORTS.pack(proto, 0, sport, dport)
    else:
        if src > dst:
            src, dst = dst, src
        tail = _TAIL.pack(proto, 0)
    digest = sha1(_SEED.pack(seed & 0xFFFF) + src + dst + tail, usedforsecurity=False).digest()
    return "1:" + b64encode(digest).decode("ascii")
