"""IPv4 decoder (header, options, fragment fields) and the IP-protocol dispatch table.

Step 2 of 10 (decode), layer 3. `IPPROTO_DECODERS` (protocol number -> transport or tunnel
decoder) is shared with IPv6 and filled once by `sensor.decode.dispatch`. A fragment is
marked (`is_fragment`, payload = fragment data) and its transport is left to
`sensor.stream.defrag`. Options are recorded in `ip_opts` as a bitmask of IPOPT_* bits;
option anomalies are events as Suricata 8 raises them (only an option length that cannot be
walked stops decoding).
Raw header fields without a Packet slot (DF and reserved flag bits, checksum) stay readable
at `pkt.data[pkt.l3_off:]`.
Hot path: no exceptions for malformed input (named events), one slice (the payload).
"""

from __future__ import annotations

from struct import Struct

from sensor.decode.ethernet import DecodeFn
from sensor.decode.events import event_id
from sensor.decode.packet import Packet

IPV4_HEADER_LEN = 20

# ip_opts bits (names as in Suricata's `ipopts` keyword)
IPOPT_EOL = 1 << 0
IPOPT_NOP = 1 << 1
IPOPT_RR = 1 << 2
IPOPT_TS = 1 << 3
IPOPT_SEC = 1 << 4
IPOPT_ESEC = 1 << 5
IPOPT_LSRR = 1 << 6
IPOPT_SSRR = 1 << 7
IPOPT_SATID = 1 << 8
IPOPT_QS = 1 << 9
IPOPT_CIPSO = 1 << 10
IPOPT_RTRALT = 1 << 11

IPOPT_NAMES: dict[str, int] = {
    "eol": IPOPT_EOL,
    "nop": IPOPT_NOP,
    "rr": IPOPT_RR,
    "ts": IPOPT_TS,
    "sec": IPOPT_SEC,
    "esec": IPOPT_ESEC,
    "lsrr": IPOPT_LSRR,
    "ssrr": IPOPT_SSRR,
    "satid": IPOPT_SATID,
    "qs": IPOPT_QS,
    "cipso": IPOPT_CIPSO,
    "rtralt": IPOPT_RTRALT,
}

# option type byte -> (bit, minimum length, exact length or 0)
_OPTS: dict[int, tuple[int, int, int]] = {
    0x07: (IPOPT_RR, 3, 0),
    0x19: (IPOPT_QS, 8, 8),
    0x44: (IPOPT_TS, 5, 0),
    0x82: (IPOPT_SEC, 3, 0),
    0x83: (IPOPT_LSRR, 3, 0),
    0x85: (IPOPT_ESEC, 3, 0),
    0x86: (IPOPT_CIPSO, 10, 0),
    0x88: (IPOPT_SATID, 4, 4),
    0x89: (IPOPT_SSRR, 3, 0),
    0x94: (IPOPT_RTRALT, 4, 4),
}
_ROUTE_OPTS = frozenset({IPOPT_RR, IPOPT_LSRR, IPOPT_SSRR})
_CIPSO_TAGS = frozenset({1, 2, 5, 6, 7})

# protocol number -> decoder of the transport/tunnel header; filled by sensor.decode.dispatch.
IPPROTO_DECODERS: dict[int, DecodeFn] = {}

_ip4 = Struct("!BBHHHBB2x4s4s").unpack_from

_PKT_TOO_SMALL = event_id("decoder.ipv4.pkt_too_small")
_HLEN_TOO_SMALL = event_id("decoder.ipv4.hlen_too_small")
_IPLEN_SMALLER_THAN_HLEN = event_id("decoder.ipv4.iplen_smaller_than_hlen")
_TRUNC_PKT = event_id("decoder.ipv4.trunc_pkt")
_WRONG_IP_VERSION = event_id("decoder.ipv4.wrong_ip_version")
_OPT_INVALID_LEN = event_id("decoder.ipv4.opt_invalid_len")
_OPT_MALFORMED = event_id("decoder.ipv4.opt_malformed")
_OPT_EOL_REQUIRED = event_id("decoder.ipv4.opt_eol_required")
_OPT_DUPLICATE = event_id("decoder.ipv4.opt_duplicate")
_OPT_INVALID = event_id("decoder.ipv4.opt_invalid")
_OPT_PAD_REQUIRED = event_id("decoder.ipv4.opt_pad_required")


def decode_ipv4(pkt: Packet, buf: bytes, off: int, end: int) -> None:
    """Decode an IPv4 header at `off`; transport decoding ends at the header's total length."""
    if end - off < IPV4_HEADER_LEN:
        pkt.add_event(_PKT_TOO_SMALL)
        return
    vhl, tos, ip_len, ip_id, frag, ttl, proto, src, dst = _ip4(buf, off)
    if vhl >> 4 != 4:
        pkt.add_event(_WRONG_IP_VERSION)
        return
    hlen = (vhl & 0x0F) << 2
    if hlen < IPV4_HEADER_LEN:
        pkt.add_event(_HLEN_TOO_SMALL)
        return
    if ip_len < hlen:
        pkt.add_event(_IPLEN_SMALLER_THAN_HLEN)
        return
    if end - off < ip_len:
        pkt.add_event(_TRUNC_PKT)
        return
    pkt.ip_version = 4
    pkt.l3_off = off
    pkt.src = src
    pkt.dst = dst
    pkt.proto = proto
    pkt.ttl = ttl
    pkt.tos = tos
    pkt.ip_id = ip_id
    pkt.ip_len = ip_len
    if hlen > IPV4_HEADER_LEN and not _decode_options(pkt, buf, off + IPV4_HEADER_LEN, off + hlen):
        return
    end = off + ip_len
    off += hlen
    if frag & 0x3FFF:
        pkt.frag_off = (frag & 0x1FFF) << 3
        pkt.frag_mf = frag & 0x2000 != 0
        pkt.is_fragment = True
        pkt.payload = buf[off:end]
        return
    fn = IPPROTO_DECODERS.get(proto)
    if fn is not None:
        fn(pkt, buf, off, end)
    else:
        pkt.payload = buf[off:end]


def _decode_options(pkt: Packet, buf: bytes, off: int, end: int) -> bool:
    """Walk the options in buf[off:end], setting `ip_opts` and events.

    False (stop decoding) only when an option's length byte makes the walk impossible;
    other anomalies are events and decoding goes on, as in Suricata.
    """
    if (end - off) & 7:
        pkt.add_event(_OPT_PAD_REQUIRED)
    seen = 0
    ok = True
    while off < end:
        kind = buf[off]
        if kind == 0:
            seen |= IPOPT_EOL
            break
        if kind == 1:
            seen |= IPOPT_NOP
            off += 1
            continue
        if end - off < 2:
            pkt.add_event(_OPT_EOL_REQUIRED)
            break
        olen = buf[off + 1]
        if olen < 2 or olen > end - off:
            pkt.add_event(_OPT_INVALID_LEN)
            ok = False
            break
        spec = _OPTS.get(kind)
        if spec is None:
            pkt.add_event(_OPT_INVALID)
        else:
            bit, min_len, exact_len = spec
            if seen & bit:
                pkt.add_event(_OPT_DUPLICATE)
            elif olen < min_len or (exact_len and olen != exact_len):
                pkt.add_event(_OPT_INVALID_LEN)
            elif (
                (bit in _ROUTE_OPTS and not _route_ok(buf[off + 2], olen))
                or (bit == IPOPT_TS and not _timestamp_ok(buf[off + 2], buf[off + 3], olen))
                or (bit == IPOPT_CIPSO and not _cipso_ok(buf, off + 6, off + olen))
            ):
                pkt.add_event(_OPT_MALFORMED)
            else:
                seen |= bit
        off += olen
    pkt.ip_opts = seen
    return ok


def _route_ok(ptr: int, olen: int) -> bool:
    """RR/LSRR/SSRR: the pointer is on an address slot or just past the last one."""
    return 4 <= ptr <= olen + 1 and ptr % 4 == 0


def _cipso_ok(buf: bytes, off: int, end: int) -> bool:
    """CIPSO: after the 4-byte DOI, whole tags of a known type (1, 2, 5, 6, 7) and length."""
    while off < end:
        if end - off < 2:
            return False
        tag, tlen = buf[off], buf[off + 1]
        if tag not in _CIPSO_TAGS or tlen < 4 or tlen > 34 or tlen > end - off:
            return False
        off += tlen
    return True


def _timestamp_ok(ptr: int, flags: int, olen: int) -> bool:
    """Timestamp: the pointer is on an entry (4 bytes, 8 with addresses) or just past the last."""
    size = 8 if flags & 0x0F in (1, 3) else 4
    return 5 <= ptr <= olen + 1 and (ptr - 5) % size == 0
