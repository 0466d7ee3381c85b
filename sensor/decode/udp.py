"""UDP header decoder.

Step 2 of 10 (decode), layer 4. Fills ports and the payload, which ends where the UDP
length field says (trailing bytes inside the IP datagram are ignored, as in Suricata 8).
Hot path: no exceptions for malformed input (named events), one slice (the payload).
"""

from __future__ import annotations

from struct import Struct

from sensor.decode.events import event_id
from sensor.decode.packet import Packet

UDP_HEADER_LEN = 8

_udp = Struct("!HHH").unpack_from

_HLEN_TOO_SMALL = event_id("decoder.udp.hlen_too_small")
_PKT_TOO_SMALL = event_id("decoder.udp.pkt_too_small")
_LEN_INVALID = event_id("decoder.udp.len_invalid")


def decode_udp(pkt: Packet, buf: bytes, off: int, end: int) -> None:
    """Decode a UDP header at `off`; the datagram's bytes end at `end`."""
    if end - off < UDP_HEADER_LEN:
        pkt.add_event(_HLEN_TOO_SMALL)
        return
    sp, dp, ulen = _udp(buf, off)
    if ulen > end - off:
        pkt.add_event(_PKT_TOO_SMALL)
        return
    if ulen < UDP_HEADER_LEN:
        pkt.add_event(_LEN_INVALID)
        return
    pkt.l4_off = off
    pkt.sp = sp
    pkt.dp = dp
    pkt.payload = buf[off + UDP_HEADER_LEN : off + ulen]
