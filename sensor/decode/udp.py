"""UDP header decoder, and the UDP tunnels (Teredo, Geneve, VXLAN) on their configured ports.

Step 2 of 10 (decode), layer 4. Fills ports and the payload, which ends where the UDP
length field says (trailing bytes inside the IP datagram are ignored, as in Suricata 8).
On a port of `sensor.decode.config` the payload is tried as Teredo, then Geneve, then VXLAN
(Suricata's order); when one spawns a tunnel packet (`pkt.inner`) the outer payload is
emptied, as Suricata stops payload inspection of a tunnel's outer packet.
Hot path: no exceptions for malformed input (named events), one slice (the payload), two
table lookups for the tunnel ports.
"""

from __future__ import annotations

from struct import Struct

from sensor.decode.config import GENEVE_PORTS, TEREDO_PORTS, TUNNEL_PORTS, VXLAN_PORTS
from sensor.decode.events import event_id
from sensor.decode.geneve import decode_geneve
from sensor.decode.packet import Packet
from sensor.decode.teredo import decode_teredo
from sensor.decode.vxlan import decode_vxlan

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
    if TUNNEL_PORTS[sp] or TUNNEL_PORTS[dp]:
        _decode_tunnel(pkt, buf, off + UDP_HEADER_LEN, off + ulen, sp, dp)


def _decode_tunnel(pkt: Packet, buf: bytes, off: int, end: int, sp: int, dp: int) -> None:
    """Try the UDP payload buf[off:end] as each tunnel configured for these ports, in order."""
    if (
        ((TEREDO_PORTS[sp] or TEREDO_PORTS[dp]) and decode_teredo(pkt, buf, off, end))
        or ((GENEVE_PORTS[sp] or GENEVE_PORTS[dp]) and decode_geneve(pkt, buf, off, end))
        or (VXLAN_PORTS[dp] and decode_vxlan(pkt, buf, off, end))
    ) and pkt.inner is not None:
        pkt.payload = b""
