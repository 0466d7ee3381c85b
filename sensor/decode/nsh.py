"""Network Service Header (RFC 8300, ethertype 0x894f).

Step 2 of 10 (decode), between Ethernet and what the service path carries. The base and
service path headers (8 bytes) are checked as Suricata 8 does: version 0, a header length
(in 4-byte words) that leaves payload behind it, MD type 1 with its fixed 24-byte header or
MD type 2 with any context, types 0 and 15 reserved and the others unsupported (the
reserved bits above the type count as part of it, as in Suricata). The next
protocol picks IPv4 (1), IPv6 (2), Ethernet (3) or MPLS (5); any other, NSH included, is
`nsh.unknown_payload`.
Hot path: no exceptions for malformed input, no slicing.
"""

from __future__ import annotations

from sensor.decode.ethernet import DecodeFn, decode_ethernet
from sensor.decode.events import event_id
from sensor.decode.ipv4 import decode_ipv4
from sensor.decode.ipv6 import decode_ipv6
from sensor.decode.layers import add_layer
from sensor.decode.mpls import decode_mpls
from sensor.decode.packet import Packet
from sensor.decode.tunnel import decode_counted

NSH_HEADER_LEN = 8
NSH_MD1_HEADER_LEN = 24
_MD_TYPE_1 = 1
_MD_TYPE_2 = 2
_MD_TYPES_RESERVED = frozenset({0x0, 0xF})

NEXT_PROTOCOL_DECODERS: dict[int, DecodeFn] = {
    1: decode_ipv4,
    2: decode_ipv6,
    3: decode_ethernet,
    5: decode_mpls,
}

_HEADER_TOO_SMALL = event_id("decoder.nsh.header_too_small")
_UNSUPPORTED_VERSION = event_id("decoder.nsh.unsupported_version")
_BAD_HEADER_LENGTH = event_id("decoder.nsh.bad_header_length")
_RESERVED_TYPE = event_id("decoder.nsh.reserved_type")
_UNSUPPORTED_TYPE = event_id("decoder.nsh.unsupported_type")
_UNKNOWN_PAYLOAD = event_id("decoder.nsh.unknown_payload")


def decode_nsh(pkt: Packet, buf: bytes, off: int, end: int) -> None:
    """Decode an NSH header at `off` and the packet it carries."""
    if end - off < NSH_HEADER_LEN:
        pkt.add_event(_HEADER_TOO_SMALL)
        return
    if not add_layer(pkt):
        return
    if buf[off] >> 6:
        pkt.add_event(_UNSUPPORTED_VERSION)
        return
    hlen = (buf[off + 1] & 0x3F) << 2
    if hlen >= end - off:
        pkt.add_event(_BAD_HEADER_LENGTH)
        return
    md_type = buf[off + 2]  # the whole byte: set reserved bits make the type unsupported
    if md_type == _MD_TYPE_1:
        if hlen != NSH_MD1_HEADER_LEN:
            pkt.add_event(_BAD_HEADER_LENGTH)
            return
    elif md_type != _MD_TYPE_2:
        pkt.add_event(_RESERVED_TYPE if md_type in _MD_TYPES_RESERVED else _UNSUPPORTED_TYPE)
        return
    fn = NEXT_PROTOCOL_DECODERS.get(buf[off + 3])
    if fn is None:
        pkt.add_event(_UNKNOWN_PAYLOAD)
    else:
        decode_counted(pkt, buf, off + hlen, end, fn)
