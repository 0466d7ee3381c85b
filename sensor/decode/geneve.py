"""Geneve (RFC 8926): Ethernet or IP inside UDP, on the ports `decoder.geneve.ports` (either side).

Step 2 of 10 (decode), called by the UDP decoder on a configured port
(`sensor.decode.config`). The header must be version 0 with no reserved bits set and its
options must fit the header length; the protocol type then picks the tunnel packet:
Ethernet (0x6558), IPv4 or IPv6. ARP is ignored; any other type is
`geneve.unknown_payload_type` on the outer packet.
Hot path: runs only on Geneve ports; no exceptions for malformed input.
"""

from __future__ import annotations

from struct import Struct

from sensor.capture import linktypes
from sensor.decode.ethernet import (
    ETHERTYPE_ARP,
    ETHERTYPE_DECODERS,
    ETHERTYPE_IPV4,
    ETHERTYPE_IPV6,
    ETHERTYPE_TEB,
    decode_ethernet,
)
from sensor.decode.events import event_id
from sensor.decode.layers import add_layer
from sensor.decode.packet import Packet
from sensor.decode.tunnel import PKT_SRC_GENEVE, ethernet_decoded, ip_decoded, spawn_inner

GENEVE_HEADER_LEN = 8
GENEVE_OPTION_HEADER_LEN = 4
GENEVE_DEFAULT_PORT = 6081
_RESERVED_FLAGS = 0x3F  # the flags byte minus O (control) and C (critical options)

_geneve = Struct("!BBH").unpack_from

_UNKNOWN_PAYLOAD_TYPE = event_id("decoder.geneve.unknown_payload_type")


def decode_geneve(pkt: Packet, buf: bytes, off: int, end: int) -> bool:
    """Decode the UDP payload buf[off:end] as Geneve; False when it is not Geneve."""
    if end - off < GENEVE_HEADER_LEN:
        return False
    ver_optlen, flags, proto = _geneve(buf, off)
    if ver_optlen >> 6 or flags & _RESERVED_FLAGS or buf[off + 7]:
        return False
    hend = off + GENEVE_HEADER_LEN + ((ver_optlen & 0x3F) << 2)
    if hend > end:
        return False
    pos = off + GENEVE_HEADER_LEN
    while pos < hend:
        if hend - pos < GENEVE_OPTION_HEADER_LEN:
            return False
        pos += GENEVE_OPTION_HEADER_LEN + ((buf[pos + 3] & 0x1F) << 2)
        if pos > hend:
            return False
    if not add_layer(pkt):
        return True
    if proto == ETHERTYPE_IPV4 or proto == ETHERTYPE_IPV6:
        spawn_inner(pkt, buf, hend, end, ETHERTYPE_DECODERS[proto], linktypes.RAW, ip_decoded, PKT_SRC_GENEVE)
    elif proto == ETHERTYPE_TEB:
        spawn_inner(
            pkt, buf, hend, end, decode_ethernet, linktypes.ETHERNET, ethernet_decoded, PKT_SRC_GENEVE
        )
    elif proto != ETHERTYPE_ARP:
        pkt.add_event(_UNKNOWN_PAYLOAD_TYPE)
    return True
