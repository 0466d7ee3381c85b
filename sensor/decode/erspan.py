"""ERSPAN (GRE protocol 0x88be): mirrored Ethernet frames, type II with its 8-byte header and
type I (no GRE sequence number) with none.

Step 2 of 10 (decode). GRE spawns the mirrored frame as a tunnel packet (`sensor.decode.tunnel`):
type II starts at the ERSPAN header, whose VLAN id (when not 0) becomes the packet's first VLAN
and whose version must be 1; type I is bare Ethernet. Suricata 8 decodes both (type I is no
longer configurable) and does not decode type III (protocol 0x22eb).
Hot path: no exceptions for malformed input, no slicing.
"""

from __future__ import annotations

from struct import Struct

from sensor.decode.ethernet import ETH_HEADER_LEN, decode_ethernet
from sensor.decode.events import event_id
from sensor.decode.layers import add_layer
from sensor.decode.packet import Packet
from sensor.decode.tunnel import decode_counted

GRE_PROTO_ERSPAN = 0x88BE
ERSPAN_HEADER_LEN = 8
ERSPAN_VERSION_II = 1

_u16 = Struct("!H").unpack_from

_HEADER_TOO_SMALL = event_id("decoder.erspan.header_too_small")
_UNSUPPORTED_VERSION = event_id("decoder.erspan.unsupported_version")


def decode_erspan(pkt: Packet, buf: bytes, off: int, end: int) -> None:
    """Decode an ERSPAN type II header at `off` and the Ethernet frame behind it."""
    if end - off < ERSPAN_HEADER_LEN:
        pkt.add_event(_HEADER_TOO_SMALL)
        return
    if not add_layer(pkt):
        return
    ver_vlan = _u16(buf, off)[0]
    if ver_vlan >> 12 != ERSPAN_VERSION_II:
        pkt.add_event(_UNSUPPORTED_VERSION)
        return
    if ver_vlan & 0x0FFF:
        pkt.vlan += (ver_vlan & 0x0FFF,)
        pkt.layers -= 1  # a VLAN id from the ERSPAN header, not a decoded VLAN header
    decode_counted(pkt, buf, off + ERSPAN_HEADER_LEN, end, decode_ethernet)


def erspan_decoded(inner: Packet) -> bool:
    """A type II tunnel packet counts when its ERSPAN header and the Ethernet header decoded."""
    data = inner.data
    return len(data) >= ERSPAN_HEADER_LEN + ETH_HEADER_LEN and data[0] >> 4 == ERSPAN_VERSION_II
