"""ICMPv6 decoder.

Step 2 of 10 (decode), layer 4. Fills type/code, id/seq for echo request/reply and the
payload (bytes after the 8-byte header). Unknown, unassigned and experimental types,
invalid codes, MLD messages with a hop limit other than 1, and a broken IPv6 header quoted
by an error message are events. ICMPv6 inside IPv4 is itself an event and is not decoded.
Hot path: no exceptions for malformed input (named events), one slice (the payload).
"""

from __future__ import annotations

from struct import Struct

from sensor.decode.events import event_id
from sensor.decode.packet import Packet

ICMPV6_HEADER_LEN = 8

# type -> valid codes
_CODES: dict[int, frozenset[int]] = {
    1: frozenset(range(7)),  # destination unreachable
    2: frozenset({0}),  # packet too big
    3: frozenset({0, 1}),  # time exceeded
    4: frozenset({0, 1, 2}),  # parameter problem
    128: frozenset({0}),  # echo request
    129: frozenset({0}),  # echo reply
    130: frozenset({0}),  # MLD query
    131: frozenset({0}),  # MLD report
    132: frozenset({0}),  # MLD done
    133: frozenset({0}),  # router solicitation
    134: frozenset({0}),  # router advertisement
    135: frozenset({0}),  # neighbour solicitation
    136: frozenset({0}),  # neighbour advertisement
    137: frozenset({0}),  # redirect
    138: frozenset({0, 1, 255}),  # router renumbering
    139: frozenset({0, 1, 2}),  # node information query
    140: frozenset({0, 1, 2}),  # node information response
    141: frozenset({0}),  # inverse ND solicitation
    142: frozenset({0}),  # inverse ND advertisement
    143: frozenset({0}),  # MLDv2 report
    144: frozenset({0}),  # home agent address discovery request
    145: frozenset({0}),  # home agent address discovery reply
    146: frozenset({0}),  # mobile prefix solicitation
    147: frozenset({0}),  # mobile prefix advertisement
    148: frozenset({0}),  # certification path solicitation
    149: frozenset({0}),  # certification path advertisement
    151: frozenset({0}),  # multicast router advertisement
    152: frozenset({0}),  # multicast router solicitation
    153: frozenset({0}),  # multicast router termination
}
_ECHO_TYPES = frozenset({128, 129})
_ERROR_TYPES = frozenset({1, 2, 3, 4})
_MLD_TYPES = frozenset({130, 131, 132, 143})
_EXPERIMENTATION_TYPES = frozenset({100, 101, 200, 201})


def _unassigned(itype: int) -> bool:
    """IANA's unassigned ICMPv6 type ranges."""
    return 5 <= itype <= 99 or 102 <= itype <= 126 or 162 <= itype <= 199 or 202 <= itype <= 254


_icmp = Struct("!BB2xHH").unpack_from

_PKT_TOO_SMALL = event_id("decoder.icmpv6.pkt_too_small")
_UNKNOWN_TYPE = event_id("decoder.icmpv6.unknown_type")
_UNKNOWN_CODE = event_id("decoder.icmpv6.unknown_code")
_UNASSIGNED_TYPE = event_id("decoder.icmpv6.unassigned_type")
_EXPERIMENTATION_TYPE = event_id("decoder.icmpv6.experimentation_type")
_MLD_INVALID_HL = event_id("decoder.icmpv6.mld_message_with_invalid_hl")
_IPV6_TRUNC_PKT = event_id("decoder.icmpv6.ipv6_trunc_pkt")
_IPV6_UNKNOWN_VERSION = event_id("decoder.icmpv6.ipv6_unknown_version")
_IPV4_WITH_ICMPV6 = event_id("decoder.ipv4.icmpv6")


def decode_icmpv6(pkt: Packet, buf: bytes, off: int, end: int) -> None:
    """Decode an ICMPv6 header at `off`."""
    if pkt.ip_version == 4:
        pkt.add_event(_IPV4_WITH_ICMPV6)
        pkt.payload = buf[off:end]
        return
    if end - off < ICMPV6_HEADER_LEN:
        pkt.add_event(_PKT_TOO_SMALL)
        return
    itype, code, ident, seq = _icmp(buf, off)
    pkt.l4_off = off
    pkt.icmp_type = itype
    pkt.icmp_code = code
    codes = _CODES.get(itype)
    if codes is None:
        if itype in _EXPERIMENTATION_TYPES:
            pkt.add_event(_EXPERIMENTATION_TYPE)
        elif _unassigned(itype):
            pkt.add_event(_UNASSIGNED_TYPE)
        else:
            pkt.add_event(_UNKNOWN_TYPE)
    elif code not in codes:
        pkt.add_event(_UNKNOWN_CODE)
    if itype in _ECHO_TYPES:
        pkt.icmp_id = ident
        pkt.icmp_seq = seq
    elif itype in _ERROR_TYPES:
        quoted = off + ICMPV6_HEADER_LEN
        if end - quoted < 40:
            pkt.add_event(_IPV6_TRUNC_PKT)
        elif buf[quoted] >> 4 != 6:
            pkt.add_event(_IPV6_UNKNOWN_VERSION)
    elif itype in _MLD_TYPES and pkt.ttl != 1:
        pkt.add_event(_MLD_INVALID_HL)
    pkt.payload = buf[off + ICMPV6_HEADER_LEN : end]
