"""Linux "cooked" capture headers: SLL (LINKTYPE_LINUX_SLL, 113) and SLL2 (LINKTYPE_LINUX_SLL2, 276).

Step 2 of 10 (decode), the link layer of `any`-interface captures. Both carry the
ethertype of the following header, dispatched through the shared ethertype table
(an ethertype Suricata does not decode is `ethernet.unknown_ethertype`, as there).
Hot path: no exceptions for malformed input, no slicing.
"""

from __future__ import annotations

from struct import Struct

from sensor.decode.events import event_id
from sensor.decode.layers import add_layer
from sensor.decode.packet import Packet
from sensor.decode.tunnel import decode_counted_ethertype

SLL_HEADER_LEN = 16  # packet type, ARPHRD, address length, address[8], protocol
SLL2_HEADER_LEN = 20  # protocol, reserved, ifindex, ARPHRD, packet type, address length, address[8]

_u16 = Struct("!H").unpack_from

_SLL_TOO_SMALL = event_id("decoder.sll.pkt_too_small")
_SLL2_TOO_SMALL = event_id("decoder.sll2.pkt_too_small")


def decode_sll(pkt: Packet, buf: bytes, off: int, end: int) -> None:
    """Decode a 16-byte SLL header; its last field is the ethertype."""
    if end - off < SLL_HEADER_LEN:
        pkt.add_event(_SLL_TOO_SMALL)
        return
    if not add_layer(pkt):
        return
    decode_counted_ethertype(pkt, buf, off + SLL_HEADER_LEN, end, _u16(buf, off + 14)[0])


def decode_sll2(pkt: Packet, buf: bytes, off: int, end: int) -> None:
    """Decode a 20-byte SLL2 header; its first field is the ethertype."""
    if end - off < SLL2_HEADER_LEN:
        pkt.add_event(_SLL2_TOO_SMALL)
        return
    if not add_layer(pkt):
        return
    decode_counted_ethertype(pkt, buf, off + SLL2_HEADER_LEN, end, _u16(buf, off)[0])
