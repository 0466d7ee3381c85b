"""802.1Q / 802.1ad (QinQ) VLAN tags.

Step 2 of 10 (decode), between Ethernet and layer 3. Each tag appends its VLAN id to
`pkt.vlan` (outermost first); more than MAX_VLAN_LAYERS tags is an event, as in Suricata.
Hot path: no exceptions for malformed input, no slicing.
"""

from __future__ import annotations

from struct import Struct

from sensor.decode.ethernet import decode_ethertype
from sensor.decode.events import event_id
from sensor.decode.packet import Packet

VLAN_HEADER_LEN = 4
MAX_VLAN_LAYERS = 3

_tci_type = Struct("!HH").unpack_from

_HEADER_TOO_SMALL = event_id("decoder.vlan.header_too_small")
_UNKNOWN_TYPE = event_id("decoder.vlan.unknown_type")
_TOO_MANY_LAYERS = event_id("decoder.vlan.too_many_layers")


def decode_vlan(pkt: Packet, buf: bytes, off: int, end: int) -> None:
    """Decode one VLAN tag (TCI + inner ethertype) at `off`."""
    if end - off < VLAN_HEADER_LEN:
        pkt.add_event(_HEADER_TOO_SMALL)
        return
    if len(pkt.vlan) >= MAX_VLAN_LAYERS:
        pkt.add_event(_TOO_MANY_LAYERS)
        return
    tci, etype = _tci_type(buf, off)
    pkt.vlan += (tci & 0x0FFF,)
    if not decode_ethertype(pkt, buf, off + VLAN_HEADER_LEN, end, etype):
        pkt.add_event(_UNKNOWN_TYPE)
