"""VXLAN (RFC 7348): Ethernet frames inside UDP, on the destination ports `decoder.vxlan.ports`.

Step 2 of 10 (decode), called by the UDP decoder on a configured destination port
(`sensor.decode.config`). The 8-byte header must have the I flag and a zero last byte;
then, as Suricata 8 does, the carried Ethernet header is read but not decoded: its IPv4 or
IPv6 datagram, or its VLAN tag, becomes the tunnel packet, ARP is ignored, and any other
ethertype is `vxlan.unknown_payload_type` on the outer packet.
Hot path: runs only on VXLAN ports; no exceptions for malformed input.
"""

from __future__ import annotations

from struct import Struct

from sensor.capture import linktypes
from sensor.decode.ethernet import (
    ETH_HEADER_LEN,
    ETHERTYPE_8021AD,
    ETHERTYPE_ARP,
    ETHERTYPE_DECODERS,
    ETHERTYPE_IPV4,
    ETHERTYPE_IPV6,
    ETHERTYPE_QINQ,
    ETHERTYPE_VLAN,
)
from sensor.decode.events import event_id
from sensor.decode.layers import add_layer
from sensor.decode.packet import Packet
from sensor.decode.tunnel import PKT_SRC_VXLAN, ip_decoded, spawn_inner, vlan_decoded
from sensor.decode.vlan import decode_vlan

VXLAN_HEADER_LEN = 8
VXLAN_DEFAULT_PORT = 4789
_FLAG_I = 0x08  # a valid VNI is present

_u16 = Struct("!H").unpack_from

_UNKNOWN_PAYLOAD_TYPE = event_id("decoder.vxlan.unknown_payload_type")


def decode_vxlan(pkt: Packet, buf: bytes, off: int, end: int) -> bool:
    """Decode the UDP payload buf[off:end] as VXLAN; False when it is not VXLAN."""
    if end - off < VXLAN_HEADER_LEN + ETH_HEADER_LEN or not buf[off] & _FLAG_I or buf[off + 7]:
        return False
    if not add_layer(pkt):
        return True
    etype = _u16(buf, off + VXLAN_HEADER_LEN + 12)[0]
    off += VXLAN_HEADER_LEN + ETH_HEADER_LEN
    if etype == ETHERTYPE_IPV4 or etype == ETHERTYPE_IPV6:
        spawn_inner(pkt, buf, off, end, ETHERTYPE_DECODERS[etype], linktypes.RAW, ip_decoded, PKT_SRC_VXLAN)
    elif etype == ETHERTYPE_VLAN or etype == ETHERTYPE_8021AD or etype == ETHERTYPE_QINQ:
        spawn_inner(pkt, buf, off, end, decode_vlan, linktypes.RAW, vlan_decoded, PKT_SRC_VXLAN)
    elif etype != ETHERTYPE_ARP:
        pkt.add_event(_UNKNOWN_PAYLOAD_TYPE)
    return True
