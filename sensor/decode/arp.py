"""ARP (ethertype 0x0806): only the decoder events Suricata 8 raises for it.

Step 2 of 10 (decode). ARP carries no IP header, so nothing here is inspected by rules
except `decode-event:arp.*`. The checks run in Suricata's order and the first failing one
is the packet's only ARP event: too short for the fixed part, hardware type not Ethernet,
protocol type not IPv4, shorter than an Ethernet/IPv4 ARP message, address sizes not 6/4,
opcode outside request/reply and RARP request/reply. ARP is a decode layer.
Hot path: no exceptions for malformed input, no slicing.
"""

from __future__ import annotations

from struct import Struct

from sensor.decode.events import event_id
from sensor.decode.layers import add_layer
from sensor.decode.packet import Packet

ARP_FIXED_LEN = 8  # hardware type, protocol type, address sizes, opcode
ARP_ETHER_IPV4_LEN = 28  # the fixed part plus two MAC and two IPv4 addresses
_HW_ETHERNET = 1
_PROTO_IPV4 = 0x0800
_OPCODES = frozenset({1, 2, 3, 4})  # request, reply, RARP request, RARP reply

_arp = Struct("!HHBBH").unpack_from

_PKT_TOO_SMALL = event_id("decoder.arp.pkt_too_small")
_INVALID_PKT = event_id("decoder.arp.invalid_pkt")
_UNSUPPORTED_HARDWARE = event_id("decoder.arp.unsupported_hardware")
_UNSUPPORTED_PROTOCOL = event_id("decoder.arp.unsupported_protocol")
_INVALID_HARDWARE_SIZE = event_id("decoder.arp.invalid_hardware_size")
_INVALID_PROTOCOL_SIZE = event_id("decoder.arp.invalid_protocol_size")
_UNSUPPORTED_OPCODE = event_id("decoder.arp.unsupported_opcode")


def decode_arp(pkt: Packet, buf: bytes, off: int, end: int) -> None:
    """Check an ARP message at `off`; a malformed one gets its (single) event."""
    if end - off < ARP_FIXED_LEN:
        pkt.add_event(_PKT_TOO_SMALL)
        return
    if not add_layer(pkt):
        return
    htype, ptype, hlen, plen, opcode = _arp(buf, off)
    if htype != _HW_ETHERNET:
        pkt.add_event(_UNSUPPORTED_HARDWARE)
    elif ptype != _PROTO_IPV4:
        pkt.add_event(_UNSUPPORTED_PROTOCOL)
    elif end - off < ARP_ETHER_IPV4_LEN:
        pkt.add_event(_INVALID_PKT)
    elif hlen != 6:
        pkt.add_event(_INVALID_HARDWARE_SIZE)
    elif plen != 4:
        pkt.add_event(_INVALID_PROTOCOL_SIZE)
    elif opcode not in _OPCODES:
        pkt.add_event(_UNSUPPORTED_OPCODE)
