"""IPv6 decoder: fixed header, extension-header chain, fragment header fields.

Step 2 of 10 (decode), layer 3. Walks hop-by-hop, routing, fragment, destination options,
AH, mobility/HIP/shim6 headers to the transport, which it dispatches through the shared
`IPPROTO_DECODERS` (sensor.decode.ipv4); `pkt.proto` is the protocol after the chain. ESP
and "no next header" end the chain. A fragment (offset or M flag set) is marked and left to
`sensor.stream.defrag`; `find_fragment_header` lets defrag rebuild the datagram.
Hot path: no exceptions for malformed input (named events), one slice (the payload).
"""

from __future__ import annotations

from struct import Struct

from sensor.decode.events import event_id
from sensor.decode.ipv4 import IPPROTO_DECODERS
from sensor.decode.packet import Packet

IPV6_HEADER_LEN = 40

NH_HOPOPTS = 0
NH_ROUTING = 43
NH_FRAGMENT = 44
NH_ESP = 50
NH_AH = 51
NH_NONE = 59
NH_DSTOPTS = 60
NH_MOBILITY = 135
NH_HIP = 139
NH_SHIM6 = 140

_EXT_HEADERS = frozenset(
    {NH_HOPOPTS, NH_ROUTING, NH_FRAGMENT, NH_ESP, NH_AH, NH_NONE, NH_DSTOPTS, NH_MOBILITY, NH_HIP, NH_SHIM6}
)
# Protocols after the chain that are not "unknown next header" (as in Suricata).
_KNOWN_UPPER = frozenset({1, 4, 6, 17, 41, 47, 58, 132})

ESP_HEADER_LEN = 8  # SPI + sequence number

# hop-by-hop / destination option types understood (others raise *_unknown_opt)
_OPT_PAD1 = 0x00
_OPT_PADN = 0x01
_OPT_RTRALERT = 0x05
_OPT_JUMBO = 0xC2
_OPT_HAO = 0xC9

# bits of the "seen" mask in the chain walk
_SEEN_HH = 1
_SEEN_RH = 2
_SEEN_FH = 4
_SEEN_DH1 = 8
_SEEN_DH2 = 16
_SEEN_AH = 32

_ip6 = Struct("!IHBB16s16s").unpack_from
_u16 = Struct("!H").unpack_from
_frag = Struct("!HI").unpack_from

_TRUNC_PKT = event_id("decoder.ipv6.trunc_pkt")
_WRONG_IP_VERSION = event_id("decoder.ipv6.wrong_ip_version")
_TRUNC_EXTHDR = event_id("decoder.ipv6.trunc_exthdr")
_DUPL_FH = event_id("decoder.ipv6.exthdr_dupl_fh")
_USELESS_FH = event_id("decoder.ipv6.exthdr_useless_fh")
_DUPL_RH = event_id("decoder.ipv6.exthdr_dupl_rh")
_DUPL_HH = event_id("decoder.ipv6.exthdr_dupl_hh")
_DUPL_DH = event_id("decoder.ipv6.exthdr_dupl_dh")
_DUPL_AH = event_id("decoder.ipv6.exthdr_dupl_ah")
_INVALID_OPTLEN = event_id("decoder.ipv6.exthdr_invalid_optlen")
_AH_RES_NOT_NULL = event_id("decoder.ipv6.exthdr_ah_res_not_null")
_HOPOPTS_UNKNOWN_OPT = event_id("decoder.ipv6.hopopts_unknown_opt")
_HOPOPTS_ONLY_PADDING = event_id("decoder.ipv6.hopopts_only_padding")
_DSTOPTS_UNKNOWN_OPT = event_id("decoder.ipv6.dstopts_unknown_opt")
_DSTOPTS_ONLY_PADDING = event_id("decoder.ipv6.dstopts_only_padding")
_RH_TYPE_0 = event_id("decoder.ipv6.rh_type_0")
_ZERO_LEN_PADN = event_id("decoder.ipv6.zero_len_padn")
_FH_NON_ZERO_RES = event_id("decoder.ipv6.fh_non_zero_reserved_field")
_DATA_AFTER_NONE = event_id("decoder.ipv6.data_after_none_header")
_UNKNOWN_NEXT_HEADER = event_id("decoder.ipv6.unknown_next_header")
_FRAG_INVALID_LENGTH = event_id("decoder.ipv6.frag_invalid_length")
_ESP_PKT_TOO_SMALL = event_id("decoder.esp.pkt_too_small")


def decode_ipv6(pkt: Packet, buf: bytes, off: int, end: int) -> None:
    """Decode an IPv6 header at `off`, its extension headers and the transport that follows."""
    if end - off < IPV6_HEADER_LEN:
        return  # Suricata 8 raises no event here (ipv6.pkt_too_small stays unused)
    vcf, plen, nh, hlim, src, dst = _ip6(buf, off)
    if vcf >> 28 != 6:
        pkt.add_event(_WRONG_IP_VERSION)
        return
    if end - off < IPV6_HEADER_LEN + plen:
        pkt.add_event(_TRUNC_PKT)
        return
    pkt.ip_version = 6
    pkt.l3_off = off
    pkt.src = src
    pkt.dst = dst
    pkt.ttl = hlim
    pkt.tos = (vcf >> 20) & 0xFF
    pkt.ip_len = IPV6_HEADER_LEN + plen
    end = off + IPV6_HEADER_LEN + plen
    off += IPV6_HEADER_LEN
    if nh in _EXT_HEADERS:
        nh, off = _walk_extension_headers(pkt, buf, nh, off, end)
        if off < 0:
            return
    pkt.proto = nh
    fn = IPPROTO_DECODERS.get(nh)
    if fn is not None:
        fn(pkt, buf, off, end)
        return
    if nh not in _KNOWN_UPPER:
        pkt.add_event(_UNKNOWN_NEXT_HEADER)
    pkt.payload = buf[off:end]


def _walk_extension_headers(pkt: Packet, buf: bytes, nh: int, off: int, end: int) -> tuple[int, int]:
    """Walk the chain from `nh` at `off`; (upper protocol, its offset), or offset -1 when done here."""
    seen = 0
    while nh in _EXT_HEADERS:
        left = end - off
        if nh == NH_NONE:
            pkt.proto = NH_NONE
            if left > 0:
                pkt.add_event(_DATA_AFTER_NONE)
            return nh, -1
        if nh == NH_ESP:
            pkt.proto = NH_ESP
            if left < ESP_HEADER_LEN:
                pkt.add_event(_ESP_PKT_TOO_SMALL)
            pkt.payload = buf[off:end]
            return nh, -1
        if left < 8:
            pkt.add_event(_TRUNC_EXTHDR)
            return nh, -1
        if nh == NH_FRAGMENT:
            hdrlen = 8
        elif nh == NH_AH:
            hdrlen = (buf[off + 1] + 2) << 2
        else:
            hdrlen = (buf[off + 1] + 1) << 3
        if hdrlen > left:
            pkt.add_event(_TRUNC_EXTHDR)
            return nh, -1
        nxt = buf[off]
        if nh == NH_HOPOPTS:
            if seen & _SEEN_HH:
                pkt.add_event(_DUPL_HH)
            seen |= _SEEN_HH
            _check_options(pkt, buf, off + 2, off + hdrlen, _HOPOPTS_UNKNOWN_OPT, _HOPOPTS_ONLY_PADDING)
        elif nh == NH_DSTOPTS:
            # two destination-options headers are legitimate (before and after routing)
            if seen & _SEEN_DH2:
                pkt.add_event(_DUPL_DH)
            seen |= _SEEN_DH2 if seen & _SEEN_DH1 else _SEEN_DH1
            _check_options(pkt, buf, off + 2, off + hdrlen, _DSTOPTS_UNKNOWN_OPT, _DSTOPTS_ONLY_PADDING)
        elif nh == NH_ROUTING:
            if seen & _SEEN_RH:
                pkt.add_event(_DUPL_RH)
            seen |= _SEEN_RH
            if buf[off + 2] == 0:
                pkt.add_event(_RH_TYPE_0)
        elif nh == NH_FRAGMENT:
            if seen & _SEEN_FH:
                # a second fragment header is skipped, not treated as a fragment
                pkt.add_event(_DUPL_FH)
                nh = nxt
                off += hdrlen
                continue
            seen |= _SEEN_FH
            if buf[off + 1]:
                pkt.add_event(_FH_NON_ZERO_RES)
            offm, ident = _frag(buf, off + 2)
            if offm & 0xFFF9 == 0:
                # offset 0 and no more fragments: a fragment header on a whole datagram
                pkt.add_event(_USELESS_FH)
            else:
                data_len = left - 8
                pkt.proto = 44  # Suricata reports the fragment header itself for a fragment
                pkt.ip_id = ident
                pkt.frag_off = offm & 0xFFF8
                pkt.frag_mf = offm & 1 == 1
                pkt.is_fragment = True
                if pkt.frag_mf and (data_len == 0 or data_len & 7):
                    pkt.add_event(_FRAG_INVALID_LENGTH)
                pkt.payload = buf[off + 8 : end]
                return nxt, -1
        elif nh == NH_AH:
            if seen & _SEEN_AH:
                pkt.add_event(_DUPL_AH)
            seen |= _SEEN_AH
            if _u16(buf, off + 2)[0]:
                pkt.add_event(_AH_RES_NOT_NULL)
        nh = nxt
        off += hdrlen
    if end - off < 2:
        # after extension headers Suricata wants at least two bytes of the next header
        pkt.proto = nh
        pkt.add_event(_TRUNC_EXTHDR)
        return nh, -1
    return nh, off


def _check_options(pkt: Packet, buf: bytes, off: int, end: int, unknown_ev: int, padding_ev: int) -> None:
    """Validate the TLV options of a hop-by-hop or destination-options header."""
    only_padding = True
    while off < end:
        kind = buf[off]
        if kind == _OPT_PAD1:
            off += 1
            continue
        if end - off < 2:
            pkt.add_event(_INVALID_OPTLEN)
            return
        olen = buf[off + 1]
        if olen > end - off - 2:
            pkt.add_event(_INVALID_OPTLEN)
            return
        if kind == _OPT_PADN:
            if olen == 0:
                pkt.add_event(_ZERO_LEN_PADN)
        else:
            only_padding = False
            if kind not in (_OPT_RTRALERT, _OPT_JUMBO, _OPT_HAO):
                pkt.add_event(unknown_ev)
        off += 2 + olen
    if only_padding:
        pkt.add_event(padding_ev)


def find_fragment_header(buf: bytes, off: int, end: int) -> tuple[int, int]:
    """Locate the fragment header of the IPv6 datagram at `off`.

    Returns (offset of the next-header byte that names the fragment header, offset of the
    fragment header), or (-1, -1) when there is none. For defrag: the bytes before the
    fragment header are the unfragmentable part.
    """
    nh_pos = off + 6
    nh = buf[nh_pos]
    off += IPV6_HEADER_LEN
    while nh in (NH_HOPOPTS, NH_ROUTING, NH_DSTOPTS, NH_AH, NH_FRAGMENT) and end - off >= 8:
        if nh == NH_FRAGMENT:
            return nh_pos, off
        hdrlen = (buf[off + 1] + 2) << 2 if nh == NH_AH else (buf[off + 1] + 1) << 3
        nh_pos = off
        nh = buf[off]
        off += hdrlen
    return -1, -1
