"""Cisco HDLC link layer (LINKTYPE_C_HDLC, 104): address, control and an ethertype.

Step 2 of 10 (decode), the link layer of captures on Cisco serial links. The 4-byte header
ends with the ethertype of what follows, dispatched like Ethernet's (SLARP, CDP and other
Cisco protocols are `ethernet.unknown_ethertype`, as in Suricata 8).
Hot path: no exceptions for malformed input, no slicing.
"""

from __future__ import annotations

from struct import Struct

from sensor.decode.events import event_id
from sensor.decode.layers import add_layer
from sensor.decode.packet import Packet
from sensor.decode.tunnel import decode_counted_ethertype

CHDLC_HEADER_LEN = 4

_u16 = Struct("!H").unpack_from

_PKT_TOO_SMALL = event_id("decoder.chdlc.pkt_too_small")


def decode_chdlc(pkt: Packet, buf: bytes, off: int, end: int) -> None:
    """Decode a Cisco HDLC header at `off` and hand the rest to its ethertype's decoder."""
    if end - off < CHDLC_HEADER_LEN:
        pkt.add_event(_PKT_TOO_SMALL)
        return
    if not add_layer(pkt):
        return
    decode_counted_ethertype(pkt, buf, off + CHDLC_HEADER_LEN, end, _u16(buf, off + 2)[0])
