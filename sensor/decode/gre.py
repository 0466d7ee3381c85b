"""Tunnels: GRE (version 0, and version 1 / PPTP carrying PPP) and IP-in-IP (IPv4 or IPv6
inside IPv4 or IPv6, protocols 4 and 41).

Step 2 of 10 (decode). The outer packet keeps proto 47/4/41, `l4_off` at the tunnel header
and an empty payload; the carried packet is decoded into `pkt.inner` by
`sensor.decode.tunnel.spawn_inner`. GRE carries IPv4, IPv6, Ethernet (0x6558), a VLAN tag
(0x8100), PPP (0x880b, version 0 or PPTP) and ERSPAN (0x88be); other protocol types are left
undecoded, as in Suricata 8. The GRE header is a decode layer (`sensor.decode.layers`): nesting
ends at Suricata's layer limit, with too_many_layers where Suricata raises it.
Hot path: no exceptions for malformed input (named events); the inner datagram is the one
copy a tunnel makes.
"""

from __future__ import annotations

from struct import Struct

from sensor.capture import linktypes
from sensor.decode.erspan import GRE_PROTO_ERSPAN, decode_erspan, erspan_decoded
from sensor.decode.ethernet import (
    ETHERTYPE_DECODERS,
    ETHERTYPE_IPV4,
    ETHERTYPE_IPV6,
    ETHERTYPE_TEB,
    ETHERTYPE_VLAN,
    decode_ethernet,
)
from sensor.decode.events import event_id
from sensor.decode.layers import add_layer
from sensor.decode.packet import Packet
from sensor.decode.ppp import decode_ppp, ppp_decoded
from sensor.decode.tunnel import (
    PKT_SRC_GRE,
    PKT_SRC_IPV4,
    PKT_SRC_IPV6,
    ethernet_decoded,
    ip_decoded,
    spawn_inner,
    vlan_decoded,
)
from sensor.decode.vlan import decode_vlan

GRE_HEADER_LEN = 4
GRE_PROTO_PPP = 0x880B

_GRE_C = 0x8000  # checksum present
_GRE_R = 0x4000  # routing present
_GRE_K = 0x2000  # key present
_GRE_S = 0x1000  # sequence number present
_GRE_SSR = 0x0800  # strict source route
_GRE_RECUR = 0x0700  # recursion control
_GRE_A = 0x0080  # acknowledgment number present (version 1)
_GRE_V0_FLAGS = 0x0078  # reserved flag bits (the version 1 acknowledgment bit is not checked)
_GRE_V1_FLAGS = 0x0078

_u16 = Struct("!H").unpack_from
_gre = Struct("!HH").unpack_from

_GRE_PKT_TOO_SMALL = event_id("decoder.gre.pkt_too_small")
_GRE_WRONG_VERSION = event_id("decoder.gre.wrong_version")
_V0_RECUR = event_id("decoder.gre.version0_recur")
_V0_FLAGS = event_id("decoder.gre.version0_flags")
_V0_HDR_TOO_BIG = event_id("decoder.gre.version0_hdr_too_big")
_V0_MALFORMED_SRE = event_id("decoder.gre.version0_malformed_sre_hdr")
_V1_CHKSUM = event_id("decoder.gre.version1_chksum")
_V1_ROUTE = event_id("decoder.gre.version1_route")
_V1_SSR = event_id("decoder.gre.version1_ssr")
_V1_RECUR = event_id("decoder.gre.version1_recur")
_V1_FLAGS = event_id("decoder.gre.version1_flags")
_V1_NO_KEY = event_id("decoder.gre.version1_no_key")
_V1_WRONG_PROTOCOL = event_id("decoder.gre.version1_wrong_protocol")
_V1_HDR_TOO_BIG = event_id("decoder.gre.version1_hdr_too_big")
_V4_IN_V6_TOO_SMALL = event_id("decoder.ipv6.ipv4_in_ipv6_too_small")
_V4_IN_V6_WRONG_VERSION = event_id("decoder.ipv6.ipv4_in_ipv6_wrong_version")
_V6_IN_V6_TOO_SMALL = event_id("decoder.ipv6.ipv6_in_ipv6_too_small")
_V6_IN_V6_WRONG_VERSION = event_id("decoder.ipv6.ipv6_in_ipv6_wrong_version")


def _spawn_protocol(pkt: Packet, buf: bytes, off: int, end: int, proto: int, fv: int) -> None:
    """Spawn the inner packet for a GRE protocol type; unknown types are left undecoded."""
    if proto == ETHERTYPE_IPV4 or proto == ETHERTYPE_IPV6:
        spawn_inner(pkt, buf, off, end, ETHERTYPE_DECODERS[proto], linktypes.RAW, ip_decoded, PKT_SRC_GRE)
    elif proto == ETHERTYPE_TEB or (proto == GRE_PROTO_ERSPAN and not fv & _GRE_S):  # ERSPAN type I
        spawn_inner(pkt, buf, off, end, decode_ethernet, linktypes.ETHERNET, ethernet_decoded, PKT_SRC_GRE)
    elif proto == GRE_PROTO_ERSPAN:  # type II: a sequence number and the ERSPAN header
        spawn_inner(pkt, buf, off, end, decode_erspan, linktypes.RAW, erspan_decoded, PKT_SRC_GRE, 2)
    elif proto == GRE_PROTO_PPP:
        spawn_inner(pkt, buf, off, end, decode_ppp, linktypes.PPP, ppp_decoded, PKT_SRC_GRE)
    elif proto == ETHERTYPE_VLAN:
        spawn_inner(pkt, buf, off, end, decode_vlan, linktypes.RAW, vlan_decoded, PKT_SRC_GRE)


def decode_gre(pkt: Packet, buf: bytes, off: int, end: int) -> None:
    """Decode a GRE header at `off` and the packet it carries."""
    if end - off < GRE_HEADER_LEN:
        pkt.add_event(_GRE_PKT_TOO_SMALL)
        return
    pkt.l4_off = off
    if not add_layer(pkt):
        return
    fv, proto = _gre(buf, off)
    version = fv & 0x07
    if version == 0:
        _decode_gre_v0(pkt, buf, off, end, fv, proto)
    elif version == 1:
        _decode_gre_v1(pkt, buf, off, end, fv, proto)
    else:
        pkt.add_event(_GRE_WRONG_VERSION)


def _decode_gre_v0(pkt: Packet, buf: bytes, off: int, end: int, fv: int, proto: int) -> None:
    if fv & _GRE_RECUR:
        pkt.add_event(_V0_RECUR)
        return
    if fv & _GRE_V0_FLAGS:
        pkt.add_event(_V0_FLAGS)
        return
    hlen = GRE_HEADER_LEN
    if fv & (_GRE_C | _GRE_R):
        hlen += 4
    if fv & _GRE_K:
        hlen += 4
    if fv & _GRE_S:
        hlen += 4
    if hlen > end - off:
        pkt.add_event(_V0_HDR_TOO_BIG)
        return
    pos = off + hlen
    if fv & _GRE_R:
        # source route entries: family(2) offset(1) length(1) data, ended by family 0 / length 0
        while True:
            if end - pos < 4:
                pkt.add_event(_V0_MALFORMED_SRE)
                return
            family = _u16(buf, pos)[0]
            sre_len = buf[pos + 3]
            pos += 4
            if family == 0 and sre_len == 0:
                break
            if sre_len > end - pos:
                pkt.add_event(_V0_MALFORMED_SRE)
                return
            pos += sre_len
    _spawn_protocol(pkt, buf, pos, end, proto, fv)


def _decode_gre_v1(pkt: Packet, buf: bytes, off: int, end: int, fv: int, proto: int) -> None:
    """Enhanced GRE (PPTP): checks the header as RFC 2637 fixes it, then spawns the PPP frame."""
    if fv & _GRE_C:
        pkt.add_event(_V1_CHKSUM)
        return
    if fv & _GRE_R:
        pkt.add_event(_V1_ROUTE)
        return
    if fv & _GRE_SSR:
        pkt.add_event(_V1_SSR)
        return
    if fv & _GRE_RECUR:
        pkt.add_event(_V1_RECUR)
        return
    if fv & _GRE_V1_FLAGS:
        pkt.add_event(_V1_FLAGS)
        return
    if proto != GRE_PROTO_PPP:
        pkt.add_event(_V1_WRONG_PROTOCOL)
        return
    if not fv & _GRE_K:
        pkt.add_event(_V1_NO_KEY)
        return
    hlen = GRE_HEADER_LEN + 4
    if fv & _GRE_S:
        hlen += 4
    if fv & _GRE_A:
        hlen += 4
    if hlen > end - off:
        pkt.add_event(_V1_HDR_TOO_BIG)
        return
    if _u16(buf, off + 4)[0]:  # payload length 0: an acknowledgment without PPP frame
        _spawn_protocol(pkt, buf, off + hlen, end, GRE_PROTO_PPP, fv)


def decode_ipv4_tunnel(pkt: Packet, buf: bytes, off: int, end: int) -> None:
    """IP protocol 4: an IPv4 datagram inside IPv4 or IPv6."""
    pkt.l4_off = off
    if pkt.ip_version == 6:
        if end - off < 20:
            pkt.add_event(_V4_IN_V6_TOO_SMALL)
            return
        if buf[off] >> 4 != 4:
            pkt.add_event(_V4_IN_V6_WRONG_VERSION)
            return
    spawn_inner(
        pkt, buf, off, end, ETHERTYPE_DECODERS[ETHERTYPE_IPV4], linktypes.RAW, ip_decoded, _ip_source(pkt)
    )


def decode_ipv6_tunnel(pkt: Packet, buf: bytes, off: int, end: int) -> None:
    """IP protocol 41: an IPv6 datagram inside IPv4 (6in4) or IPv6."""
    pkt.l4_off = off
    if pkt.ip_version == 6:
        if end - off < 40:
            pkt.add_event(_V6_IN_V6_TOO_SMALL)
            return
        if buf[off] >> 4 != 6:
            pkt.add_event(_V6_IN_V6_WRONG_VERSION)
            return
    spawn_inner(
        pkt, buf, off, end, ETHERTYPE_DECODERS[ETHERTYPE_IPV6], linktypes.RAW, ip_decoded, _ip_source(pkt)
    )


def _ip_source(pkt: Packet) -> str:
    """IP-in-IP tunnel packets are named after the outer IP version."""
    return PKT_SRC_IPV4 if pkt.ip_version == 4 else PKT_SRC_IPV6
