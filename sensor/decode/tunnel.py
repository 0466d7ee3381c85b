"""Tunnel plumbing and Suricata's decode-layer limit: spawning the carried packet, counting
layers, and when a carried packet counts as decoded.

Step 2 of 10 (decode). A tunnel decoder (GRE, IP-in-IP, ERSPAN, PPTP, VXLAN, Geneve, Teredo)
hands the carried bytes to `spawn_inner`, which decodes them into a new pseudo-packet (same
ts/pcap_cnt, `tunnel_depth` + 1, Suricata's `pkt_src` name for the tunnel, no VLAN ids of its
own yet: Suricata 8 does not copy the outer VLANs into a tunnel packet) and stores it in
`pkt.inner`, but only when the carried packet's first decoder succeeded. As in Suricata, a
tunnel packet whose first header does not decode is dropped together with its events; what
fails after that header stays on the kept packet. Each tunnel kind states its success test
(`*_decoded` predicates).

Layers (`sensor.decode.layers`): a tunnel packet is a layer of its own, and starts from its
parent's count. Ethernet, VLAN and IP headers do not count themselves; where the limit is within
their reach, `decode_counted` walks them header by header, counting.
Hot path: no exceptions for malformed input; the carried bytes are the one copy a tunnel makes.
"""

from __future__ import annotations

from collections.abc import Callable
from struct import Struct

from sensor.decode.config import LIMITS
from sensor.decode.ethernet import (
    ETH_HEADER_LEN,
    ETHERTYPE_8021AD,
    ETHERTYPE_DECODERS,
    ETHERTYPE_IPV4,
    ETHERTYPE_IPV6,
    ETHERTYPE_QINQ,
    ETHERTYPE_VLAN,
    DecodeFn,
    decode_ethernet,
    decode_ethertype,
)
from sensor.decode.events import event_id
from sensor.decode.layers import add_layer, at_limit, layer_count
from sensor.decode.packet import Packet
from sensor.decode.vlan import MAX_VLAN_LAYERS, VLAN_HEADER_LEN, decode_vlan

# EVE pkt_src of a tunnel packet, after the layer that carried it (as Suricata names them)
PKT_SRC_GRE = "gre tunnel"
PKT_SRC_IPV4 = "ipv4 tunnel"
PKT_SRC_IPV6 = "ipv6 tunnel"
PKT_SRC_VXLAN = "vxlan encapsulation"
PKT_SRC_GENEVE = "geneve encapsulation"
PKT_SRC_TEREDO = "teredo tunnel"

_VLAN_TYPES = frozenset({ETHERTYPE_VLAN, ETHERTYPE_8021AD, ETHERTYPE_QINQ})
# Ethernet, its VLAN tags and IP: the most layers a decoder chain adds without counting them
UNCOUNTED_CHAIN = 1 + MAX_VLAN_LAYERS + 1

_u16 = Struct("!H").unpack_from
_tci_type = Struct("!HH").unpack_from

_TOO_MANY_LAYERS = event_id("decoder.too_many_layers")
_VLAN_HEADER_TOO_SMALL = event_id("decoder.vlan.header_too_small")
_VLAN_TOO_MANY_LAYERS = event_id("decoder.vlan.too_many_layers")
_VLAN_UNKNOWN_TYPE = event_id("decoder.vlan.unknown_type")

DecodedFn = Callable[[Packet], bool]


def spawn_inner(
    pkt: Packet,
    buf: bytes,
    off: int,
    end: int,
    decode: DecodeFn,
    linktype: int,
    decoded: DecodedFn,
    source: str,
    first_layers: int = 1,
) -> None:
    """Decode buf[off:end] with `decode` into a new pseudo-packet; keep it when `decoded` says so.

    `first_layers`: the headers the packet must decode to count as decoded (2 for ERSPAN type II:
    its header and the Ethernet header)."""
    count = layer_count(pkt) + 1  # the tunnel packet is a layer of its own
    if count >= LIMITS.max_layers:
        pkt.add_event(_TOO_MANY_LAYERS)
        return
    if count + first_layers >= LIMITS.max_layers:
        return  # its first headers would be over the limit: dropped, with its event
    data = buf[off:end]
    inner = Packet(pkt.ts_us, pkt.pcap_cnt, linktype, data)
    inner.is_pseudo = True
    inner.pkt_src = source
    inner.tunnel_depth = pkt.tunnel_depth + 1
    inner.layers = count
    decode_counted(inner, data, 0, end - off, decode)
    if decoded(inner):
        pkt.inner = inner


def decode_counted(pkt: Packet, buf: bytes, off: int, end: int, decode: DecodeFn) -> None:
    """Run `decode` where the headers it starts with count as layers (a tunnel packet's first
    header, or what MPLS, NSH, PPP and ERSPAN carry). Ethernet, VLAN and IP are walked header by
    header only when the layer limit is within their reach."""
    if layer_count(pkt) + UNCOUNTED_CHAIN < LIMITS.max_layers:
        if decode is decode_ethernet:
            pkt.layers += 1
        decode(pkt, buf, off, end)
        return
    if decode is decode_ethernet:
        if end - off >= ETH_HEADER_LEN:
            if not add_layer(pkt):
                return
            _decode_near_limit(pkt, buf, off + ETH_HEADER_LEN, end, _u16(buf, off + 12)[0])
            return
    elif decode is decode_vlan:
        _decode_near_limit(pkt, buf, off, end, ETHERTYPE_VLAN)
        return
    elif (
        decode is ETHERTYPE_DECODERS[ETHERTYPE_IPV4] or decode is ETHERTYPE_DECODERS[ETHERTYPE_IPV6]
    ) and at_limit(pkt):
        return
    decode(pkt, buf, off, end)


def decode_ethernet_counted(pkt: Packet, buf: bytes, off: int, end: int) -> None:
    """A captured Ethernet frame's decoder when `decoder.max-layers` is so small that its own
    Ethernet, VLAN and IP headers can reach it: each is counted."""
    if end - off < ETH_HEADER_LEN:
        decode_ethernet(pkt, buf, off, end)
    elif layer_count(pkt) >= LIMITS.max_layers:  # the Ethernet header itself
        pkt.add_event(_TOO_MANY_LAYERS)
    else:
        _decode_near_limit(pkt, buf, off + ETH_HEADER_LEN, end, _u16(buf, off + 12)[0])


def decode_counted_ethertype(pkt: Packet, buf: bytes, off: int, end: int, etype: int) -> bool:
    """`decode_ethertype` for counted headers that carry an ethertype (VN-Tag, DCE, 802.1ah, SLL,
    Cisco HDLC): the VLAN and IP headers behind them are counted when the limit is near."""
    if layer_count(pkt) + UNCOUNTED_CHAIN < LIMITS.max_layers:
        return decode_ethertype(pkt, buf, off, end, etype)
    return _decode_near_limit(pkt, buf, off, end, etype)


def _decode_near_limit(pkt: Packet, buf: bytes, off: int, end: int, etype: int) -> bool:
    """VLAN tags, then the header of `etype`, each counted as a layer (decode_vlan's checks);
    False when the ethertype has no decoder."""
    while etype in _VLAN_TYPES:
        if end - off < VLAN_HEADER_LEN:
            pkt.add_event(_VLAN_HEADER_TOO_SMALL)
            return True
        if len(pkt.vlan) >= MAX_VLAN_LAYERS:
            pkt.add_event(_VLAN_TOO_MANY_LAYERS)
            return True
        if at_limit(pkt):
            return True
        tci, etype = _tci_type(buf, off)
        pkt.vlan += (tci & 0x0FFF,)
        off += VLAN_HEADER_LEN
        if etype not in ETHERTYPE_DECODERS:
            decode_ethertype(pkt, buf, off, end, etype)
            pkt.add_event(_VLAN_UNKNOWN_TYPE)
            return True
    if (etype == ETHERTYPE_IPV4 or etype == ETHERTYPE_IPV6) and at_limit(pkt):
        return True
    return decode_ethertype(pkt, buf, off, end, etype)


def ip_decoded(inner: Packet) -> bool:
    """An IPv4/IPv6 tunnel packet counts when its IP header decoded."""
    return inner.ip_version != 0


def ethernet_decoded(inner: Packet) -> bool:
    """An Ethernet tunnel packet counts when it holds an Ethernet header, whatever follows it."""
    return len(inner.data) >= ETH_HEADER_LEN


def vlan_decoded(inner: Packet) -> bool:
    """A VLAN tunnel packet (GRE 0x8100, VXLAN) counts when its tag carries a known ethertype."""
    data = inner.data
    return len(data) >= VLAN_HEADER_LEN and _u16(data, 2)[0] in ETHERTYPE_DECODERS
