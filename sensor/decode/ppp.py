"""PPP: the LINKTYPE_PPP (9) link layer, PPP inside GRE (PPTP, protocol 0x880b) and the PPP
protocol field that PPPoE session frames carry.

Step 2 of 10 (decode). As in Suricata 8, the address/control pair is present when the first
byte is 0xff (the control byte is not checked) and a protocol field whose first byte is odd
is the compressed one-byte form. IPv4 (0x21), VJ-uncompressed TCP (0x2f, decoded when it holds
an IPv4 header) and IPv6 (0x57) are decoded; other network and compression protocols are the
event `ppp.unsup_proto`, link and network control protocols (LCP, IPCP, CHAP, ...) pass without
event, anything else is `ppp.wrong_type`. Suricata's quirk is kept: a short compressed IPv4
frame on the PPP link type is `vju_pkt_too_small`, where PPPoE says `ip4_pkt_too_small`.
Hot path: no exceptions for malformed input, no slicing.
"""

from __future__ import annotations

from sensor.decode.events import event_id
from sensor.decode.ipv4 import IPV4_HEADER_LEN, decode_ipv4
from sensor.decode.ipv6 import IPV6_HEADER_LEN, decode_ipv6
from sensor.decode.layers import add_layer
from sensor.decode.packet import Packet
from sensor.decode.tunnel import decode_counted

PPP_IP = 0x0021
PPP_VJ_UCOMP = 0x002F
PPP_IPV6 = 0x0057

# Known protocols Suricata does not decode: OSI, XNS, DECnet, AppleTalk, IPX, VJ-compressed TCP,
# bridging PDU, ST-II, VINES, 802.1d hello, Luxcom, Sigma, MPLS, and their control protocols.
PPP_UNSUPPORTED = frozenset(
    {
        0x0023, 0x0025, 0x0027, 0x0029, 0x002B, 0x002D, 0x0031, 0x0033, 0x0035,
        0x0201, 0x0231, 0x0233, 0x0281, 0x0283,
        0x8023, 0x8025, 0x8027, 0x8029, 0x802B, 0x8033, 0x8035, 0x8281,
    }
)  # fmt: skip
# Compression and control protocols that pass without an event: compressed datagram, IPCP,
# IPv6CP, CCP, CDPCP, LCP, PAP, LQR, CBCP, CHAP.
PPP_SILENT = frozenset({0x00FD, 0x8021, 0x8057, 0x80FD, 0x8207, 0xC021, 0xC023, 0xC025, 0xC029, 0xC223})

_PKT_TOO_SMALL = event_id("decoder.ppp.pkt_too_small")
_VJU_PKT_TOO_SMALL = event_id("decoder.ppp.vju_pkt_too_small")
_IP4_PKT_TOO_SMALL = event_id("decoder.ppp.ip4_pkt_too_small")
_IP6_PKT_TOO_SMALL = event_id("decoder.ppp.ip6_pkt_too_small")
_WRONG_TYPE = event_id("decoder.ppp.wrong_type")
_UNSUP_PROTO = event_id("decoder.ppp.unsup_proto")


def decode_ppp(pkt: Packet, buf: bytes, off: int, end: int) -> None:
    """Decode a PPP frame at `off`: optional address/control, protocol (1 or 2 bytes), payload."""
    if off >= end:
        pkt.add_event(_PKT_TOO_SMALL)
        return
    if not add_layer(pkt):
        return
    if buf[off] == 0xFF:
        off += 2  # address and control
    if off >= end:
        pkt.add_event(_PKT_TOO_SMALL)
        return
    proto = buf[off]
    if proto & 1:
        off += 1
        if proto == PPP_IP:
            _decode_ip(pkt, buf, off, end, PPP_IP, _VJU_PKT_TOO_SMALL)
        elif proto == PPP_VJ_UCOMP:
            _decode_ip(pkt, buf, off, end, PPP_VJ_UCOMP, _VJU_PKT_TOO_SMALL)
        elif proto == PPP_IPV6:
            _decode_ip(pkt, buf, off, end, PPP_IPV6, _IP6_PKT_TOO_SMALL)
        else:
            pkt.add_event(_UNSUP_PROTO)
        return
    if end - off < 2:
        pkt.add_event(_PKT_TOO_SMALL)
        return
    decode_ppp_protocol(pkt, buf, off + 2, end, (proto << 8) | buf[off + 1])


def decode_ppp_protocol(pkt: Packet, buf: bytes, off: int, end: int, proto: int) -> None:
    """Decode the payload at `off` of a PPP frame whose protocol field is `proto`."""
    if proto == PPP_IP:
        _decode_ip(pkt, buf, off, end, PPP_IP, _IP4_PKT_TOO_SMALL)
    elif proto == PPP_VJ_UCOMP:
        _decode_ip(pkt, buf, off, end, PPP_VJ_UCOMP, _VJU_PKT_TOO_SMALL)
    elif proto == PPP_IPV6:
        _decode_ip(pkt, buf, off, end, PPP_IPV6, _IP6_PKT_TOO_SMALL)
    elif proto in PPP_UNSUPPORTED:
        pkt.add_event(_UNSUP_PROTO)
    elif proto not in PPP_SILENT:
        pkt.add_event(_WRONG_TYPE)


def _decode_ip(pkt: Packet, buf: bytes, off: int, end: int, proto: int, too_small: int) -> None:
    """IPv4, VJ-uncompressed (IPv4 only) or IPv6 at `off`; `too_small` is the short-frame event."""
    if proto == PPP_IPV6:
        if end - off < IPV6_HEADER_LEN:
            pkt.add_event(too_small)
        else:
            decode_counted(pkt, buf, off, end, decode_ipv6)
    elif end - off < IPV4_HEADER_LEN:
        pkt.add_event(too_small)
    elif proto == PPP_IP or buf[off] >> 4 == 4:
        decode_counted(pkt, buf, off, end, decode_ipv4)


def ppp_decoded(inner: Packet) -> bool:
    """A PPP tunnel packet (PPTP) counts when it reached IP, or stopped at a protocol it names."""
    if inner.ip_version:
        return True
    events = inner.events
    return events is not None and (_UNSUP_PROTO in events or _WRONG_TYPE in events)
