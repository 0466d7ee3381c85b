"""Headers that sit in front of an ethertype: VN-Tag (0x8926), Cisco DCE (0x8903) and the
802.1ah provider backbone I-TAG (0x88e7).

Step 2 of 10 (decode), between Ethernet and layer 3. A VN-Tag is 4 bytes of virtual
interface ids followed by the ethertype of the rest (unknown: `vntag.unknown_type` as well,
as VLAN does). A DCE frame carries a 2-byte header and a whole customer Ethernet header, an
I-TAG 4 bytes (flags, I-SID) and a whole customer Ethernet header. Each is a decode layer.
Hot path: no exceptions for malformed input, no slicing.
"""

from __future__ import annotations

from struct import Struct

from sensor.decode.events import event_id
from sensor.decode.layers import add_layer
from sensor.decode.packet import Packet
from sensor.decode.tunnel import decode_counted_ethertype

VNTAG_HEADER_LEN = 6  # tag (4) + ethertype (2)
DCE_HEADER_LEN = 16  # DCE header (2) + customer DA, SA (12) + ethertype (2)
IEEE8021AH_HEADER_LEN = 18  # I-TAG (4) + customer DA, SA (12) + ethertype (2)

_u16 = Struct("!H").unpack_from

_VNTAG_TOO_SMALL = event_id("decoder.vntag.header_too_small")
_VNTAG_UNKNOWN_TYPE = event_id("decoder.vntag.unknown_type")
_DCE_TOO_SMALL = event_id("decoder.dce.pkt_too_small")
_8021AH_TOO_SMALL = event_id("decoder.ieee8021ah.header_too_small")


def decode_vntag(pkt: Packet, buf: bytes, off: int, end: int) -> None:
    """Decode a VN-Tag at `off` and hand the rest to its ethertype's decoder."""
    if end - off < VNTAG_HEADER_LEN:
        pkt.add_event(_VNTAG_TOO_SMALL)
        return
    if not add_layer(pkt):
        return
    if not decode_counted_ethertype(pkt, buf, off + VNTAG_HEADER_LEN, end, _u16(buf, off + 4)[0]):
        pkt.add_event(_VNTAG_UNKNOWN_TYPE)


def decode_dce(pkt: Packet, buf: bytes, off: int, end: int) -> None:
    """Decode a DCE header and its customer Ethernet header at `off`."""
    if end - off < DCE_HEADER_LEN:
        pkt.add_event(_DCE_TOO_SMALL)
        return
    if not add_layer(pkt):
        return
    decode_counted_ethertype(pkt, buf, off + DCE_HEADER_LEN, end, _u16(buf, off + 14)[0])


def decode_8021ah(pkt: Packet, buf: bytes, off: int, end: int) -> None:
    """Decode an 802.1ah I-TAG and the customer Ethernet header it carries."""
    if end - off < IEEE8021AH_HEADER_LEN:
        pkt.add_event(_8021AH_TOO_SMALL)
        return
    if not add_layer(pkt):
        return
    decode_counted_ethertype(pkt, buf, off + IEEE8021AH_HEADER_LEN, end, _u16(buf, off + 16)[0])
