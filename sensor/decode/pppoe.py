"""PPPoE discovery (ethertype 0x8863) and session (0x8864) decoders.

Step 2 of 10 (decode), between Ethernet and PPP. Discovery frames carry no IP: only their
events are raised (too short, a code other than PADI/PADO/PADR/PADS/PADT, a length field
beyond the frame). Session frames carry a PPP protocol field (one byte when its first byte is
odd) and the PPP payload, decoded to the end of the frame; a session frame with length 0
carries nothing. Version, type and session id are not checked, and PPPoE is not a decode
layer, as in Suricata 8.
Hot path: no exceptions for malformed input, no slicing.
"""

from __future__ import annotations

from struct import Struct

from sensor.decode.events import event_id
from sensor.decode.packet import Packet
from sensor.decode.ppp import decode_ppp_protocol

PPPOE_HEADER_LEN = 6  # version/type, code, session id, length
PPPOE_CODES = frozenset({0x09, 0x07, 0x19, 0x65, 0xA7})  # PADI, PADO, PADR, PADS, PADT

_u16 = Struct("!H").unpack_from

_PKT_TOO_SMALL = event_id("decoder.pppoe.pkt_too_small")
_WRONG_CODE = event_id("decoder.pppoe.wrong_code")
_MALFORMED_TAGS = event_id("decoder.pppoe.malformed_tags")


def decode_pppoe_discovery(pkt: Packet, buf: bytes, off: int, end: int) -> None:
    """Check a PPPoE discovery header at `off` (its tags are not interpreted)."""
    if end - off < PPPOE_HEADER_LEN:
        pkt.add_event(_PKT_TOO_SMALL)
    elif buf[off + 1] not in PPPOE_CODES:
        pkt.add_event(_WRONG_CODE)
    elif _u16(buf, off + 4)[0] > end - off - PPPOE_HEADER_LEN:
        pkt.add_event(_MALFORMED_TAGS)


def decode_pppoe_session(pkt: Packet, buf: bytes, off: int, end: int) -> None:
    """Decode a PPPoE session header at `off` and the PPP packet it carries."""
    if end - off <= PPPOE_HEADER_LEN:
        pkt.add_event(_PKT_TOO_SMALL)
        return
    if _u16(buf, off + 4)[0] == 0:
        return
    off += PPPOE_HEADER_LEN
    proto = buf[off]
    if proto & 1:  # compressed one-byte protocol field
        off += 1
    elif end - off < 2:
        pkt.add_event(_PKT_TOO_SMALL)
        return
    else:
        proto = _u16(buf, off)[0]
        off += 2
    decode_ppp_protocol(pkt, buf, off, end, proto)
