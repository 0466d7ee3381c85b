"""Ethernet II decoder and the ethertype dispatch table shared by every layer-2 decoder.

Step 2 of 10 (decode). `ETHERTYPE_DECODERS` maps an ethertype to the decoder of the
header that follows; it is filled once by `sensor.decode.dispatch` (so that this module
imports no layer-3 code) and read by Ethernet, VLAN, SLL, VNTAG, DCE, Cisco HDLC, GRE and
the tunnels. It holds exactly the ethertypes Suricata 8 decodes (its DecodeNetworkLayer):
any other is `unknown_ethertype`. Every decoder here has the signature
`(pkt, buf, off, end) -> None`: decode `buf[off:end]`.
Hot path: no exceptions for malformed input (a named event instead), no slicing, no logging.
"""

from __future__ import annotations

from collections.abc import Callable
from struct import Struct

from sensor.decode.events import event_id
from sensor.decode.packet import Packet

DecodeFn = Callable[[Packet, bytes, int, int], None]

ETH_HEADER_LEN = 14

ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_ARP = 0x0806
ETHERTYPE_TEB = 0x6558  # transparent Ethernet bridging (Ethernet inside GRE and Geneve)
ETHERTYPE_VLAN = 0x8100
ETHERTYPE_IPV6 = 0x86DD
ETHERTYPE_PPPOE_DISC = 0x8863
ETHERTYPE_PPPOE_SESS = 0x8864
ETHERTYPE_MPLS_UC = 0x8847
ETHERTYPE_MPLS_MC = 0x8848
ETHERTYPE_8021AD = 0x88A8
ETHERTYPE_8021AH = 0x88E7
ETHERTYPE_DCE = 0x8903
ETHERTYPE_VNTAG = 0x8926
ETHERTYPE_NSH = 0x894F
ETHERTYPE_QINQ = 0x9100

# ethertype -> decoder of what follows; filled by sensor.decode.dispatch.
ETHERTYPE_DECODERS: dict[int, DecodeFn] = {}

_u16 = Struct("!H").unpack_from

_PKT_TOO_SMALL = event_id("decoder.ethernet.pkt_too_small")
_UNKNOWN_ETHERTYPE = event_id("decoder.ethernet.unknown_ethertype")


def decode_ethernet(pkt: Packet, buf: bytes, off: int, end: int) -> None:
    """Decode an Ethernet II header at `off` and hand the rest to the ethertype's decoder."""
    if end - off < ETH_HEADER_LEN:
        pkt.add_event(_PKT_TOO_SMALL)
        return
    fn = ETHERTYPE_DECODERS.get(_u16(buf, off + 12)[0])
    if fn is not None:
        fn(pkt, buf, off + ETH_HEADER_LEN, end)
    else:
        pkt.add_event(_UNKNOWN_ETHERTYPE)


def decode_ethertype(pkt: Packet, buf: bytes, off: int, end: int, etype: int) -> bool:
    """Hand buf[off:end] to the decoder of `etype`; False, with unknown_ethertype, when there is none."""
    fn = ETHERTYPE_DECODERS.get(etype)
    if fn is None:
        pkt.add_event(_UNKNOWN_ETHERTYPE)
        return False
    fn(pkt, buf, off, end)
    return True
