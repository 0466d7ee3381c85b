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

_ANY_CODE = frozenset(range(256))
_CODE_0 = frozenset({0})

# type -> valid codes (Suricata 8's checks: RFC codes, a few types with any code)
_CODES: dict[int, frozenset[int]] = {
    1: frozenset(range(7)),  # destination unreachable
    2: _CODE_0,  # packet too big
    3: frozenset({0, 1}),  # time exceeded
    4: frozenset({0, 1, 2}),  # parameter problem
    128: _CODE_0,  # echo request
    129: _CODE_0,  # echo reply
    130: _CODE_0,  # MLD query
    131: _CODE_0,  # MLD report
    132: _CODE_0,  # MLD done
    133: _CODE_0,  # router solicitation
    134: _CODE_0,  # router advertisement
    135: _CODE_0,  # neighbour solicitation
    136: _CODE_0,  # neighbour advertisement
    137: _CODE_0,  # redirect
    138: frozenset({0, 1, 2, 255}),  # router renumbering
    139: frozenset({0, 1, 2}),  # node information query
    140: frozenset({0, 1, 2}),  # node information response
    141: _CODE_0,  # inverse ND solicitation
    142: _CODE_0,  # inverse ND advertisement
    143: _CODE_0,  # MLDv2 report
    144: _CODE_0,  # home agent address discovery request
    145: _CODE_0,  # home agent address discovery reply
    146: _CODE_0,  # mobile prefix solicitation
    147: _CODE_0,  # mobile prefix advertisement
    148: _CODE_0,  # certification path solicitation
    149: _CODE_0,  # certification path advertisement
    150: _ANY_CODE,  # experimental mobility (subtype in the code field)
    151: _ANY_CODE,  # multicast router advertisement (interval in the code field)
    152: _CODE_0,  # multicast router solicitation
    153: _CODE_0,  # multicast router termination
    154: _CODE_0,  # FMIPv6
    155: _ANY_CODE,  # RPL control (message kind in the code field)
    156: _CODE_0,  # ILNPv6 locator update
    157: _CODE_0,  # duplicate address request
    158: _CODE_0,  # duplicate address confirmation
    159: _CODE_0,  # MPL control
}
_ECHO_TYPES = frozenset({128, 129})
_ERROR_TYPES = frozenset({1, 2, 3, 4})
_MLD_TYPES = frozenset({130, 131, 132})
_EXPERIMENTATION_TYPES = frozenset({100, 101, 200, 201})


def _unassigned(itype: int) -> bool:
    """Type ranges Suricata 8 calls unassigned (others without a decoder are unknown)."""
    return 5 <= itype <= 99 or 102 <= itype <= 126 or 160 <= itype <= 199 or itype >= 202


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
        if end - quoted < 40:  # unlike ICMPv4, an absent quoted header is an event too
            pkt.add_event(_IPV6_TRUNC_PKT)
        elif buf[quoted] >> 4 != 6:
            pkt.add_event(_IPV6_UNKNOWN_VERSION)
    elif itype in _MLD_TYPES and pkt.ttl != 1:
        pkt.add_event(_MLD_INVALID_HL)
    pkt.payload = buf[off + ICMPV6_HEADER_LEN : end]
