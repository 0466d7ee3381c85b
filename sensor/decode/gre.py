"""Tunnels: GRE (version 0, and version 1 / PPTP carrying PPP) and IP-in-IP (IPv4 or IPv6
inside IPv4 or IPv6, protocols 4 and 41).

Step 2 of 10 (decode). The outer packet keeps proto 47/4/41, `l4_off` at the tunnel header
and an empty payload; the carried packet is decoded into a new pseudo-packet in
`pkt.inner` (same ts/pcap_cnt, the outer's VLAN ids, `tunnel_depth` + 1), unless its own
IP header is broken. GRE nested deeper than MAX_TUNNEL_DEPTH is the event too_many_layers;
IP-in-IP stops silently at MAX_IP_IN_IP_DEPTH (both as Suricata 8 behaves).
Hot path: no exceptions for malformed input (named events); the inner datagram is the one
copy a tunnel makes.
"""

from __future__ import annotations

from struct import Struct

from sensor.capture import linktypes
from sensor.decode.ethernet import (
    ETHERTYPE_DECODERS,
    ETHERTYPE_IPV4,
    ETHERTYPE_IPV6,
    ETHERTYPE_TEB,
    DecodeFn,
    decode_ethernet,
)
from sensor.decode.events import event_id
from sensor.decode.packet import Packet

# Suricata 8 (16 decode layers) decodes four GRE tunnels over Ethernet and flags the fifth;
# IP-in-IP layers are cheaper: it decodes six and silently stops at the seventh.
MAX_TUNNEL_DEPTH = 4
MAX_IP_IN_IP_DEPTH = 6

GRE_HEADER_LEN = 4
GRE_PROTO_PPP = 0x880B

_GRE_C = 0x8000  # checksum present
_GRE_R = 0x4000  # routing present
_GRE_K = 0x2000  # key present
_GRE_S = 0x1000  # sequence number present
_GRE_SSR = 0x0800  # strict source route
_GRE_RECUR = 0x0700  # recursion control
_GRE_A = 0x0080  # acknowledgment number present (version 1)
_GRE_V0_FLAGS = 0x00F8
_GRE_V1_FLAGS = 0x0078

# PPP protocol numbers carried by PPTP
_PPP_IPV4 = 0x0021
_PPP_IPV6 = 0x0057

_u16 = Struct("!H").unpack_from
_gre = Struct("!HH").unpack_from

_TOO_MANY_LAYERS = event_id("decoder.too_many_layers")
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


def spawn_inner(pkt: Packet, buf: bytes, off: int, end: int, decode: DecodeFn, linktype: int) -> None:
    """Decode buf[off:end] with `decode` into a new pseudo-packet stored in `pkt.inner`."""
    data = buf[off:end]
    inner = Packet(pkt.ts_us, pkt.pcap_cnt, linktype, data)
    inner.is_pseudo = True
    inner.tunnel_depth = pkt.tunnel_depth + 1
    inner.vlan = pkt.vlan
    decode(inner, data, 0, end - off)
    # As in Suricata, a carried packet whose IP (or Ethernet) header does not decode is not a
    # tunnel packet: it is dropped with its events. An inner frame without IP (ARP) stays.
    if inner.ip_version or (decode is decode_ethernet and inner.events is None):
        pkt.inner = inner


def _spawn_ethertype(pkt: Packet, buf: bytes, off: int, end: int, etype: int) -> None:
    """Spawn the inner packet for a GRE protocol type; unknown types are left undecoded."""
    if etype == ETHERTYPE_TEB:
        if pkt.tunnel_depth >= MAX_TUNNEL_DEPTH - 1:  # the bridged Ethernet header is a layer too
            pkt.add_event(_TOO_MANY_LAYERS)
        else:
            spawn_inner(pkt, buf, off, end, decode_ethernet, linktypes.ETHERNET)
        return
    if etype == ETHERTYPE_IPV4 or etype == ETHERTYPE_IPV6:
        spawn_inner(pkt, buf, off, end, ETHERTYPE_DECODERS[etype], linktypes.RAW)


def decode_gre(pkt: Packet, buf: bytes, off: int, end: int) -> None:
    """Decode a GRE header at `off` and the packet it carries."""
    if end - off < GRE_HEADER_LEN:
        pkt.add_event(_GRE_PKT_TOO_SMALL)
        return
    pkt.l4_off = off
    if pkt.tunnel_depth >= MAX_TUNNEL_DEPTH:
        pkt.add_event(_TOO_MANY_LAYERS)
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
    _spawn_ethertype(pkt, buf, pos, end, proto)


def _decode_gre_v1(pkt: Packet, buf: bytes, off: int, end: int, fv: int, proto: int) -> None:
    """Enhanced GRE (PPTP): checks the header as RFC 2637 fixes it, then unwraps PPP."""
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
    if not fv & _GRE_K:
        pkt.add_event(_V1_NO_KEY)
        return
    if proto != GRE_PROTO_PPP:
        pkt.add_event(_V1_WRONG_PROTOCOL)
        return
    hlen = GRE_HEADER_LEN + 4
    if fv & _GRE_S:
        hlen += 4
    if fv & _GRE_A:
        hlen += 4
    if hlen > end - off:
        pkt.add_event(_V1_HDR_TOO_BIG)
        return
    pos = off + hlen
    if end - pos >= 2 and buf[pos] == 0xFF and buf[pos + 1] == 0x03:
        pos += 2  # PPP address and control fields
    if pos >= end:
        return
    if buf[pos] & 1:  # protocol-field compression: one byte
        ppp_proto = buf[pos]
        pos += 1
    elif end - pos >= 2:
        ppp_proto = _u16(buf, pos)[0]
        pos += 2
    else:
        return
    if ppp_proto == _PPP_IPV4:
        spawn_inner(pkt, buf, pos, end, ETHERTYPE_DECODERS[ETHERTYPE_IPV4], linktypes.RAW)
    elif ppp_proto == _PPP_IPV6:
        spawn_inner(pkt, buf, pos, end, ETHERTYPE_DECODERS[ETHERTYPE_IPV6], linktypes.RAW)


def decode_ipv4_tunnel(pkt: Packet, buf: bytes, off: int, end: int) -> None:
    """IP protocol 4: an IPv4 datagram inside IPv4 or IPv6."""
    pkt.l4_off = off
    if pkt.tunnel_depth >= MAX_IP_IN_IP_DEPTH:
        return
    if pkt.ip_version == 6:
        if end - off < 20:
            pkt.add_event(_V4_IN_V6_TOO_SMALL)
            return
        if buf[off] >> 4 != 4:
            pkt.add_event(_V4_IN_V6_WRONG_VERSION)
            return
    spawn_inner(pkt, buf, off, end, ETHERTYPE_DECODERS[ETHERTYPE_IPV4], linktypes.RAW)


def decode_ipv6_tunnel(pkt: Packet, buf: bytes, off: int, end: int) -> None:
    """IP protocol 41: an IPv6 datagram inside IPv4 (6in4) or IPv6."""
    pkt.l4_off = off
    if pkt.tunnel_depth >= MAX_IP_IN_IP_DEPTH:
        return
    if pkt.ip_version == 6:
        if end - off < 40:
            pkt.add_event(_V6_IN_V6_TOO_SMALL)
            return
        if buf[off] >> 4 != 6:
            pkt.add_event(_V6_IN_V6_WRONG_VERSION)
            return
    spawn_inner(pkt, buf, off, end, ETHERTYPE_DECODERS[ETHERTYPE_IPV6], linktypes.RAW)
