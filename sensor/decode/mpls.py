"""MPLS label stacks (ethertypes 0x8847 unicast and 0x8848 multicast).

Step 2 of 10 (decode), between Ethernet and layer 3. The stack is walked to its bottom
label; what follows is chosen as Suricata 8 does: label 0 is IPv4 and label 2 IPv6 (explicit
null), labels 1 (router alert), 3 (implicit null) and 4-14 (reserved) are events, and any
other label is a guess on the payload's first nibble: 4 is IPv4, 6 IPv6, 0 an Ethernet
pseudowire behind its 4-byte control word, anything else `mpls.unknown_payload_type`.
Hot path: no exceptions for malformed input, no slicing.
"""

from __future__ import annotations

from struct import Struct

from sensor.decode.ethernet import decode_ethernet
from sensor.decode.events import event_id
from sensor.decode.ipv4 import decode_ipv4
from sensor.decode.ipv6 import decode_ipv6
from sensor.decode.layers import add_layer
from sensor.decode.packet import Packet
from sensor.decode.tunnel import decode_counted

MPLS_HEADER_LEN = 4
MPLS_PW_LEN = 4  # pseudowire control word before an Ethernet payload
MPLS_LABEL_IPV4 = 0
MPLS_LABEL_ROUTER_ALERT = 1
MPLS_LABEL_IPV6 = 2
MPLS_LABEL_NULL = 3
MPLS_MAX_RESERVED_LABEL = 15
_BOTTOM_OF_STACK = 0x100

_u32 = Struct("!I").unpack_from

_HEADER_TOO_SMALL = event_id("decoder.mpls.header_too_small")
_PKT_TOO_SMALL = event_id("decoder.mpls.pkt_too_small")
_BAD_LABEL_ROUTER_ALERT = event_id("decoder.mpls.bad_label_router_alert")
_BAD_LABEL_IMPLICIT_NULL = event_id("decoder.mpls.bad_label_implicit_null")
_BAD_LABEL_RESERVED = event_id("decoder.mpls.bad_label_reserved")
_UNKNOWN_PAYLOAD_TYPE = event_id("decoder.mpls.unknown_payload_type")


def decode_mpls(pkt: Packet, buf: bytes, off: int, end: int) -> None:
    """Decode an MPLS label stack at `off` and the packet under its bottom label."""
    if not add_layer(pkt):  # the stack is one layer, whatever its depth
        return
    while True:
        if end - off < MPLS_HEADER_LEN:
            pkt.add_event(_HEADER_TOO_SMALL)
            return
        shim = _u32(buf, off)[0]
        off += MPLS_HEADER_LEN
        if shim & _BOTTOM_OF_STACK:
            break
    label = shim >> 12
    if label == MPLS_LABEL_IPV4:
        decode_counted(pkt, buf, off, end, decode_ipv4)
    elif label == MPLS_LABEL_IPV6:
        decode_counted(pkt, buf, off, end, decode_ipv6)
    elif label == MPLS_LABEL_ROUTER_ALERT:
        pkt.add_event(_BAD_LABEL_ROUTER_ALERT)
    elif label == MPLS_LABEL_NULL:
        pkt.add_event(_BAD_LABEL_IMPLICIT_NULL)
    elif label < MPLS_MAX_RESERVED_LABEL:
        pkt.add_event(_BAD_LABEL_RESERVED)
    elif end - off < MPLS_PW_LEN:
        pkt.add_event(_PKT_TOO_SMALL)
    else:
        nibble = buf[off] >> 4
        if nibble == 4:
            decode_counted(pkt, buf, off, end, decode_ipv4)
        elif nibble == 6:
            decode_counted(pkt, buf, off, end, decode_ipv6)
        elif nibble == 0:
            decode_counted(pkt, buf, off + MPLS_PW_LEN, end, decode_ethernet)
        else:
            pkt.add_event(_UNKNOWN_PAYLOAD_TYPE)
