"""BSD loopback link layers: LINKTYPE_NULL (0, address family in the capturing host's byte
order) and LINKTYPE_LOOP (108, OpenBSD, network byte order).

Step 2 of 10 (decode). The 4-byte address family selects IPv4 (AF_INET = 2) or IPv6 (the
BSDs' AF_INET6 values 24, 28 and 30). The capturing host's byte order is not recorded, so
NULL accepts either: a value above 0xFFFF is read byte-swapped.
Hot path: no exceptions for malformed input, no slicing.
"""

from __future__ import annotations

from struct import Struct

from sensor.decode.ethernet import ETHERTYPE_DECODERS, ETHERTYPE_IPV4, ETHERTYPE_IPV6
from sensor.decode.events import event_id
from sensor.decode.packet import Packet

NULL_HEADER_LEN = 4

# address family -> ethertype of the header that follows
AF_TO_ETHERTYPE: dict[int, int] = {
    2: ETHERTYPE_IPV4,
    24: ETHERTYPE_IPV6,  # NetBSD, OpenBSD
    28: ETHERTYPE_IPV6,  # FreeBSD
    30: ETHERTYPE_IPV6,  # Darwin
}

_le32 = Struct("<I").unpack_from
_be32 = Struct(">I").unpack_from

_PKT_TOO_SMALL = event_id("decoder.ltnull.pkt_too_small")
_UNSUPPORTED_TYPE = event_id("decoder.ltnull.unsupported_type")


def _decode_family(pkt: Packet, buf: bytes, off: int, end: int, family: int) -> None:
    etype = AF_TO_ETHERTYPE.get(family)
    if etype is None:
        pkt.add_event(_UNSUPPORTED_TYPE)
        return
    ETHERTYPE_DECODERS[etype](pkt, buf, off + NULL_HEADER_LEN, end)


def decode_null(pkt: Packet, buf: bytes, off: int, end: int) -> None:
    """Decode a LINKTYPE_NULL header (address family in either byte order)."""
    if end - off < NULL_HEADER_LEN:
        pkt.add_event(_PKT_TOO_SMALL)
        return
    family = _le32(buf, off)[0]
    if family > 0xFFFF:
        family = _be32(buf, off)[0]
    _decode_family(pkt, buf, off, end, family)


def decode_loop(pkt: Packet, buf: bytes, off: int, end: int) -> None:
    """Decode a LINKTYPE_LOOP header (address family in network byte order)."""
    if end - off < NULL_HEADER_LEN:
        pkt.add_event(_PKT_TOO_SMALL)
        return
    _decode_family(pkt, buf, off, end, _be32(buf, off)[0])
