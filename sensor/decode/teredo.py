"""Teredo (RFC 4380): IPv6 inside UDP, found by Suricata 8's heuristics on the ports
`decoder.teredo.ports` (either side), or on every UDP packet when they are "any".

Step 2 of 10 (decode), called by the UDP decoder (`sensor.decode.config`). Nothing in
Teredo marks it, so the payload counts only when it is exactly one IPv6 packet: an optional
origin indication (8 bytes starting 00 00) then an IPv6 header with a non-zero hop limit,
not an empty hop-by-hop header, whose payload length accounts for every remaining byte.
The tunnel packet is kept only when it decoded without an event that marks a packet invalid.
Hot path: runs only on Teredo ports; no exceptions for malformed input.
"""

from __future__ import annotations

from struct import Struct

from sensor.capture import linktypes
from sensor.decode.events import event_id
from sensor.decode.ipv6 import IPV6_HEADER_LEN, decode_ipv6
from sensor.decode.packet import Packet
from sensor.decode.tunnel import PKT_SRC_TEREDO, spawn_inner

TEREDO_DEFAULT_PORT = 3544
TEREDO_ORIGIN_INDICATION_LEN = 8

_u16 = Struct("!H").unpack_from

# Events that leave a packet valid (Suricata's ENGINE_SET_EVENT, found by running malformed
# Teredo packets through Suricata 8.0.8); any other event drops the Teredo packet.
TEREDO_VALID_EVENTS = frozenset(
    event_id("decoder." + name)
    for name in (
        "ipv6.exthdr_dupl_fh",
        "ipv6.exthdr_useless_fh",
        "ipv6.exthdr_dupl_rh",
        "ipv6.exthdr_dupl_hh",
        "ipv6.exthdr_dupl_dh",
        "ipv6.exthdr_dupl_ah",
        "ipv6.exthdr_dupl_eh",
        "ipv6.exthdr_ah_res_not_null",
        "ipv6.hopopts_unknown_opt",
        "ipv6.hopopts_only_padding",
        "ipv6.dstopts_unknown_opt",
        "ipv6.dstopts_only_padding",
        "ipv6.rh_type_0",
        "ipv6.zero_len_padn",
        "ipv6.fh_non_zero_reserved_field",
        "ipv6.frag_invalid_length",
        "ipv6.data_after_none_header",
        "ipv6.unknown_next_header",
        "ipv6.icmpv4",
        "icmpv6.unknown_type",
        "icmpv6.unknown_code",
        "icmpv6.unassigned_type",
        "icmpv6.experimentation_type",
        "icmpv6.mld_message_with_invalid_hl",
        "tcp.opt_duplicate",
        "tcp.opt_wscale_over_max",
    )
)


def decode_teredo(pkt: Packet, buf: bytes, off: int, end: int) -> bool:
    """Decode the UDP payload buf[off:end] as Teredo; False when it is not Teredo."""
    start = off
    if end - start < IPV6_HEADER_LEN:
        return False
    if buf[start] == 0:
        if buf[start + 1] or end - start < TEREDO_ORIGIN_INDICATION_LEN + IPV6_HEADER_LEN:
            return False  # authentication, or not Teredo
        start += TEREDO_ORIGIN_INDICATION_LEN
    if buf[start] >> 4 != 6 or buf[start + 7] == 0:
        return False
    plen = _u16(buf, start + 4)[0]
    if (plen == 0 and buf[start + 6] == 0) or end - start != IPV6_HEADER_LEN + plen:
        return False
    spawn_inner(pkt, buf, start, end, decode_ipv6, linktypes.RAW, teredo_decoded, PKT_SRC_TEREDO)
    return pkt.inner is not None


def teredo_decoded(inner: Packet) -> bool:
    """A Teredo packet counts when its IPv6 header decoded and no event made it invalid."""
    if not inner.ip_version:
        return False
    events = inner.events
    return events is None or all(e in TEREDO_VALID_EVENTS for e in events)
