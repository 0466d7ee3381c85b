"""Decode entry points and the one place that says which decoder handles which number.

Step 2 of 10 (decode): `decode_frame` fills a captured frame's Packet according to its link
type; `decode_ip_datagram` decodes a bare IP datagram (defragmented datagrams) into a new
pseudo-packet. The link-type, ethertype and IP-protocol tables are filled here, at import,
so the protocol modules need not import each other; `configure_decoders` applies Suricata's
`decoder.*` settings (UDP tunnel ports, decode-layer limit) at load time.
Hot path: dict lookups only; no exceptions for malformed input, no logging.
"""

from __future__ import annotations

from sensor.capture import linktypes
from sensor.decode.arp import decode_arp
from sensor.decode.chdlc import decode_chdlc
from sensor.decode.config import DecoderConfig, apply_config
from sensor.decode.ethernet import (
    ETHERTYPE_8021AD,
    ETHERTYPE_8021AH,
    ETHERTYPE_ARP,
    ETHERTYPE_DCE,
    ETHERTYPE_DECODERS,
    ETHERTYPE_IPV4,
    ETHERTYPE_IPV6,
    ETHERTYPE_MPLS_MC,
    ETHERTYPE_MPLS_UC,
    ETHERTYPE_NSH,
    ETHERTYPE_PPPOE_DISC,
    ETHERTYPE_PPPOE_SESS,
    ETHERTYPE_QINQ,
    ETHERTYPE_VLAN,
    ETHERTYPE_VNTAG,
    DecodeFn,
    decode_ethernet,
)
from sensor.decode.events import event_id
from sensor.decode.gre import decode_gre, decode_ipv4_tunnel, decode_ipv6_tunnel
from sensor.decode.icmp4 import decode_icmpv4
from sensor.decode.icmp6 import decode_icmpv6
from sensor.decode.ipv4 import IPPROTO_DECODERS, IPV4_HEADER_LEN, decode_ipv4
from sensor.decode.ipv6 import decode_ipv6
from sensor.decode.mpls import decode_mpls
from sensor.decode.nsh import decode_nsh
from sensor.decode.null import decode_loop, decode_null
from sensor.decode.packet import Packet
from sensor.decode.ppp import decode_ppp
from sensor.decode.pppoe import decode_pppoe_discovery, decode_pppoe_session
from sensor.decode.sll import decode_sll, decode_sll2
from sensor.decode.tcp import decode_tcp
from sensor.decode.tunnel import UNCOUNTED_CHAIN, decode_ethernet_counted
from sensor.decode.udp import decode_udp
from sensor.decode.vlan import decode_vlan
from sensor.decode.vntag import decode_8021ah, decode_dce, decode_vntag

_IPV4_PKT_TOO_SMALL = event_id("decoder.ipv4.pkt_too_small")
_IPRAW_INVALID_IP_VERSION = event_id("decoder.ipraw.invalid_ip_version")


def decode_raw(pkt: Packet, buf: bytes, off: int, end: int) -> None:
    """Raw IP link types: the version nibble picks IPv4 or IPv6."""
    if end - off < IPV4_HEADER_LEN:
        pkt.add_event(_IPV4_PKT_TOO_SMALL)
        return
    version = buf[off] >> 4
    if version == 4:
        decode_ipv4(pkt, buf, off, end)
    elif version == 6:
        decode_ipv6(pkt, buf, off, end)
    else:
        pkt.add_event(_IPRAW_INVALID_IP_VERSION)


LINKTYPE_DECODERS: dict[int, DecodeFn] = {
    linktypes.ETHERNET: decode_ethernet,
    linktypes.PPP: decode_ppp,
    linktypes.C_HDLC: decode_chdlc,
    linktypes.NULL: decode_null,
    linktypes.LOOP: decode_loop,
    linktypes.RAW_DLT12: decode_raw,
    linktypes.RAW_DLT14: decode_raw,
    linktypes.RAW: decode_raw,
    linktypes.LINUX_SLL: decode_sll,
    linktypes.LINUX_SLL2: decode_sll2,
    linktypes.IPV4: decode_ipv4,
    linktypes.IPV6: decode_ipv6,
}

ETHERTYPE_DECODERS.update(
    {
        ETHERTYPE_IPV4: decode_ipv4,
        ETHERTYPE_IPV6: decode_ipv6,
        ETHERTYPE_VLAN: decode_vlan,
        ETHERTYPE_8021AD: decode_vlan,
        ETHERTYPE_QINQ: decode_vlan,
        ETHERTYPE_8021AH: decode_8021ah,
        ETHERTYPE_ARP: decode_arp,
        ETHERTYPE_MPLS_UC: decode_mpls,
        ETHERTYPE_MPLS_MC: decode_mpls,
        ETHERTYPE_PPPOE_DISC: decode_pppoe_discovery,
        ETHERTYPE_PPPOE_SESS: decode_pppoe_session,
        ETHERTYPE_NSH: decode_nsh,
        ETHERTYPE_VNTAG: decode_vntag,
        ETHERTYPE_DCE: decode_dce,
    }
)

IPPROTO_DECODERS.update(
    {
        1: decode_icmpv4,
        4: decode_ipv4_tunnel,
        6: decode_tcp,
        17: decode_udp,
        41: decode_ipv6_tunnel,
        47: decode_gre,
        58: decode_icmpv6,
    }
)


def configure_decoders(config: DecoderConfig) -> None:
    """Apply Suricata's `decoder.*` settings (UDP tunnel ports, layer limit) before decoding.

    A layer limit within reach of a captured frame's own Ethernet, VLAN and IP headers (5 or
    less) makes Ethernet frames take the decoder that counts them."""
    apply_config(config)
    guarded = config.max_layers <= UNCOUNTED_CHAIN
    LINKTYPE_DECODERS[linktypes.ETHERNET] = decode_ethernet_counted if guarded else decode_ethernet


def decode_frame(pkt: Packet) -> None:
    """Decode `pkt.data` according to `pkt.linktype`; unknown link types are left undecoded."""
    fn = LINKTYPE_DECODERS.get(pkt.linktype)
    if fn is not None:
        data = pkt.data
        fn(pkt, data, 0, len(data))


def decode_ip_datagram(ts_us: int, pcap_cnt: int, data: bytes) -> Packet:
    """Decode a bare IPv4/IPv6 datagram into a new pseudo-packet (link type RAW)."""
    pkt = Packet(ts_us, pcap_cnt, linktypes.RAW, data)
    pkt.is_pseudo = True
    decode_raw(pkt, data, 0, len(data))
    return pkt
