"""ICMPv4 decoder.

Step 2 of 10 (decode), layer 4. Fills type/code, id/seq for the query messages that carry
them (echo, timestamp, information, address mask) and the payload (bytes after the 8-byte
header). Unknown types and codes are events, as is a broken IPv4 header quoted by an
error message. ICMPv4 inside IPv6 is itself an event and is not decoded.
Hot path: no exceptions for malformed input (named events), one slice (the payload).
"""

from __future__ import annotations

from struct import Struct

from sensor.decode.events import event_id
from sensor.decode.packet import Packet

ICMPV4_HEADER_LEN = 8

# type -> highest valid code
_MAX_CODE: dict[int, int] = {
    0: 0,  # echo reply
    3: 15,  # destination unreachable
    4: 0,  # source quench
    5: 3,  # redirect
    8: 0,  # echo request
    9: 255,  # router advertisement (code not checked)
    11: 1,  # time exceeded
    12: 1,  # parameter problem (Suricata accepts codes 0 and 1)
    13: 0,  # timestamp
    14: 0,  # timestamp reply
    15: 0,  # information request
    16: 0,  # information reply
    17: 0,  # address mask request
    18: 0,  # address mask reply
}
# messages with identifier + sequence number
_QUERY_TYPES = frozenset({0, 8, 13, 14, 15, 16, 17, 18})
# error messages quoting the offending IPv4 header
_ERROR_TYPES = frozenset({3, 4, 5, 11, 12})

_icmp = Struct("!BB2xHH").unpack_from

_PKT_TOO_SMALL = event_id("decoder.icmpv4.pkt_too_small")
_UNKNOWN_TYPE = event_id("decoder.icmpv4.unknown_type")
_UNKNOWN_CODE = event_id("decoder.icmpv4.unknown_code")
_IPV4_TRUNC_PKT = event_id("decoder.icmpv4.ipv4_trunc_pkt")
_IPV4_UNKNOWN_VER = event_id("decoder.icmpv4.ipv4_unknown_ver")
_IPV6_WITH_ICMPV4 = event_id("decoder.ipv6.icmpv4")


def decode_icmpv4(pkt: Packet, buf: bytes, off: int, end: int) -> None:
    """Decode an ICMPv4 header at `off`."""
    if pkt.ip_version == 6:
        pkt.add_event(_IPV6_WITH_ICMPV4)
        pkt.payload = buf[off:end]
        return
    if end - off < ICMPV4_HEADER_LEN:
        pkt.add_event(_PKT_TOO_SMALL)
        return
    itype, code, ident, seq = _icmp(buf, off)
    pkt.l4_off = off
    pkt.icmp_type = itype
    pkt.icmp_code = code
    max_code = _MAX_CODE.get(itype)
    if max_code is None:
        pkt.add_event(_UNKNOWN_TYPE)
    elif code > max_code:
        pkt.add_event(_UNKNOWN_CODE)
    if itype in _QUERY_TYPES:
        pkt.icmp_id = ident
        pkt.icmp_seq = seq
    elif itype in _ERROR_TYPES:
        quoted = off + ICMPV4_HEADER_LEN
        if end - quoted >= 20:
            if buf[quoted] >> 4 != 4:
                pkt.add_event(_IPV4_UNKNOWN_VER)
        elif end > quoted:  # no quoted header at all is not an event
            pkt.add_event(_IPV4_TRUNC_PKT)
    # timestamp request/reply carry 12 bytes of timestamps in their header (Suricata: no payload)
    header_len = ICMPV4_HEADER_LEN + 12 if itype in (13, 14) else ICMPV4_HEADER_LEN
    pkt.payload = buf[off + header_len : end]
