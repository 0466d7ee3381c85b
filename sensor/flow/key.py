"""The symmetric flow key: which packets belong to one flow, and which way each one goes.

Step 3 of 10 (flow). A key is the tuple
``(proto, vlan ids, tunnel depth, lo_addr, lo_port, hi_addr, hi_port)`` where the two
(address, port) endpoints are ordered, so both directions of a conversation give the
same key; the caller learns whether the packet's source is the low endpoint. As in
Suricata: VLAN ids and tunnel depth are part of the key, ICMP "ports" are the message
type and its reply type (echo and echo reply share a flow, the ICMP id does not count),
an ICMPv4 destination-unreachable belongs to the flow of the datagram it quotes, ESP is
keyed one-way by SPI, IP-in-IP and 6in4 outer packets by addresses alone, and other IP
protocols (IGMP, GRE outer, RSVP, ...) get no flow at all.
Hot path: plain tuples and dict lookups, no allocation beyond the key itself.
"""

from __future__ import annotations

from struct import Struct
from typing import Any

IPPROTO_ICMP = 1
IPPROTO_IPIP = 4
IPPROTO_TCP = 6
IPPROTO_UDP = 17
IPPROTO_IPV6 = 41
IPPROTO_ESP = 50
IPPROTO_ICMPV6 = 58
IPPROTO_SCTP = 132

# protocols keyed by source and destination port
PORT_PROTOS = frozenset({IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP})

# The reply type of each ICMP request type and back (Suricata's counterpart tables); a
# message type without one is keyed with NO_COUNTERPART.
ICMP4_COUNTERPART: dict[int, int] = {
    8: 0, 0: 8,  # echo
    13: 14, 14: 13,  # timestamp
    15: 16, 16: 15,  # information
    17: 18, 18: 17,  # address mask
    10: 9, 9: 10,  # router solicitation / advertisement
}  # fmt: skip
ICMP6_COUNTERPART: dict[int, int] = {
    128: 129, 129: 128,  # echo
    130: 131, 131: 130,  # multicast listener query / report
    133: 134, 134: 133,  # router solicitation / advertisement
    135: 136, 136: 135,  # neighbour solicitation / advertisement
    139: 140, 140: 139,  # node information query / reply
    144: 145, 145: 144,  # home agent address discovery
}  # fmt: skip
NO_COUNTERPART = 256

# ICMPv4 error messages: they never start a flow of their own (Suricata's rule)
ICMP4_ERROR_TYPES = frozenset({3, 4, 5, 11, 12})
ICMP4_DEST_UNREACH = 3

_ports = Struct("!HH").unpack_from

Key = tuple[Any, ...]


def flow_key(
    proto: int, vlan: tuple[int, ...], depth: int, src: bytes, sp: int, dst: bytes, dp: int
) -> tuple[Key, bool]:
    """The key of a packet's flow and whether the packet's source is the key's low endpoint.

    Addresses of one family have one length, so byte order is numeric order. When both
    endpoints are equal (a host talking to itself on one port) the source is "low".
    """
    if src < dst or (src == dst and sp <= dp):
        return (proto, vlan, depth, src, sp, dst, dp), True
    return (proto, vlan, depth, dst, dp, src, sp), False


def key_ports(pkt: Any) -> tuple[int, int] | None:
    """The (source, destination) "ports" of a packet's flow key; None: the packet gets no flow.

    TCP/UDP/SCTP: the ports (SCTP without a decoded header: the first 4 payload bytes).
    ICMP/ICMPv6: the type and its reply type. ESP: (SPI, -1), which no packet of the
    other direction can share, so ESP flows are one-way as in Suricata. ICMPv4 errors
    and transports that failed to decode: None (the table handles ICMPv4 errors first).
    IP-in-IP / 6in4 outer packets: (0, 0). Any other protocol: None, as in Suricata.
    """
    proto = pkt.proto
    if proto == IPPROTO_TCP or proto == IPPROTO_UDP:
        return (pkt.sp, pkt.dp) if pkt.l4_off >= 0 else None
    if proto == IPPROTO_ICMP:
        itype = pkt.icmp_type
        if pkt.l4_off < 0 or itype in ICMP4_ERROR_TYPES:
            return None
        return itype, ICMP4_COUNTERPART.get(itype, NO_COUNTERPART)
    if proto == IPPROTO_ICMPV6:
        if pkt.l4_off < 0:
            return None
        return pkt.icmp_type, ICMP6_COUNTERPART.get(pkt.icmp_type, NO_COUNTERPART)
    if proto == IPPROTO_SCTP:
        if pkt.l4_off >= 0:
            return pkt.sp, pkt.dp
        payload = pkt.payload
        return _ports(payload, 0) if len(payload) >= 4 else None
    if proto == IPPROTO_ESP:
        payload = pkt.payload
        return (int.from_bytes(payload[:4], "big"), -1) if len(payload) >= 4 else None
    if proto == IPPROTO_IPIP or proto == IPPROTO_IPV6:
        return 0, 0
    return None


def quoted_flow_key(pkt: Any) -> Key | None:
    """Key of the TCP/UDP/SCTP flow whose datagram an ICMPv4 destination-unreachable quotes.

    Reads the quoted IPv4 header and the first 4 bytes of its transport header from
    ``pkt.data`` after the 8-byte ICMP header. None when the message is another type,
    or the quote is short, not IPv4, a non-first fragment, or of another protocol.
    """
    if pkt.icmp_type != ICMP4_DEST_UNREACH or pkt.l4_off < 0:
        return None
    data = pkt.data
    off = pkt.l4_off + 8
    if len(data) < off + 20:
        return None
    vihl = data[off]
    ihl = (vihl & 0x0F) << 2
    if vihl >> 4 != 4 or ihl < 20:
        return None
    proto = data[off + 9]
    if proto not in PORT_PROTOS or (int.from_bytes(data[off + 6 : off + 8], "big") & 0x1FFF):
        return None
    l4 = off + ihl
    if len(data) < l4 + 4:
        return None
    sp, dp = _ports(data, l4)
    key, _ = flow_key(
        proto, pkt.vlan, pkt.tunnel_depth, data[off + 12 : off + 16], sp, data[off + 16 : off + 20], dp
    )
    return key
