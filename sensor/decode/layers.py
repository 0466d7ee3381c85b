"""Suricata's decode-layer count: how many headers a packet has decoded, against
`decoder.max-layers`.

Step 2 of 10 (decode). Suricata counts decoded headers per packet (a tunnel packet starts from
its parent's count plus one) and stops at the limit (16) with the event too_many_layers.
Ethernet, VLAN and IP, the headers of nearly every packet, do not count themselves here:
`layer_count` derives them from the packet (root Ethernet link type, VLAN ids, IP version); the
other counted headers (SLL, Cisco HDLC, PPP, MPLS, NSH, VN-Tag, DCE, 802.1ah, ARP, GRE, ERSPAN,
VXLAN, Geneve) call `add_layer`, and `sensor.decode.tunnel` counts tunnel packets. PPPoE, the BSD
loopback and raw link types, UDP and Teredo are not layers, as in Suricata 8.
Hot path: called only off the Ethernet/VLAN/IP path; no exceptions.
"""

from __future__ import annotations

from sensor.capture import linktypes
from sensor.decode.config import LIMITS
from sensor.decode.events import event_id
from sensor.decode.packet import Packet

_TOO_MANY_LAYERS = event_id("decoder.too_many_layers")


def layer_count(pkt: Packet) -> int:
    """Decode layers counted on `pkt` so far, its tunnel parents' included."""
    count = pkt.layers + len(pkt.vlan)
    if pkt.ip_version:
        count += 1
    if pkt.tunnel_depth == 0 and pkt.linktype == linktypes.ETHERNET:
        count += 1
    return count


def add_layer(pkt: Packet) -> bool:
    """Count one more decoded header; False, with too_many_layers, when that reaches the limit."""
    if layer_count(pkt) + 1 >= LIMITS.max_layers:
        pkt.add_event(_TOO_MANY_LAYERS)
        return False
    pkt.layers += 1
    return True


def at_limit(pkt: Packet) -> bool:
    """True, with too_many_layers, when one more header would reach the limit (it is not counted)."""
    if layer_count(pkt) + 1 >= LIMITS.max_layers:
        pkt.add_event(_TOO_MANY_LAYERS)
        return True
    return False
