"""TCP header and option decoder.

Step 2 of 10 (decode), layer 4. Fills ports, sequence/ack numbers, flags, window, options
(`tcp_opts`: kind -> option bytes, only when the header carries options) and the payload,
which ends where the IP datagram ends. Option lengths are validated as Suricata does.
Hot path: no exceptions for malformed input (named events), no slicing beyond payload and
option values.
"""

from __future__ import annotations

from struct import Struct

from sensor.decode.events import event_id
from sensor.decode.packet import Packet

TCP_HEADER_LEN = 20

TCPOPT_EOL = 0
TCPOPT_NOP = 1
TCPOPT_MSS = 2
TCPOPT_WS = 3
TCPOPT_SACKOK = 4
TCPOPT_SACK = 5
TCPOPT_TS = 8
TCPOPT_MD5 = 19
TCPOPT_AO = 29
TCPOPT_TFO = 34

TCP_WSCALE_MAX = 14

_tcp = Struct("!HHIIBBH").unpack_from

_PKT_TOO_SMALL = event_id("decoder.tcp.pkt_too_small")
_HLEN_TOO_SMALL = event_id("decoder.tcp.hlen_too_small")
_INVALID_OPTLEN = event_id("decoder.tcp.invalid_optlen")
_OPT_INVALID_LEN = event_id("decoder.tcp.opt_invalid_len")
_OPT_DUPLICATE = event_id("decoder.tcp.opt_duplicate")
_OPT_WSCALE_OVER_MAX = event_id("decoder.tcp.opt_wscale_over_max")


def decode_tcp(pkt: Packet, buf: bytes, off: int, end: int) -> None:
    """Decode a TCP header at `off`; the segment ends at `end` (the IP datagram's end)."""
    if end - off < TCP_HEADER_LEN:
        pkt.add_event(_PKT_TOO_SMALL)
        return
    sp, dp, seq, ack, doff, flags, win = _tcp(buf, off)
    hlen = (doff >> 4) << 2
    if hlen < TCP_HEADER_LEN:
        # Suricata names this by the (negative) option length
        pkt.add_event(_INVALID_OPTLEN)
        return
    if hlen > end - off:
        pkt.add_event(_HLEN_TOO_SMALL)
        return
    pkt.l4_off = off
    pkt.sp = sp
    pkt.dp = dp
    pkt.tcp_seq = seq
    pkt.tcp_ack = ack
    pkt.tcp_flags = flags
    pkt.tcp_win = win
    if hlen > TCP_HEADER_LEN:
        pkt.tcp_opts = _decode_options(pkt, buf, off + TCP_HEADER_LEN, off + hlen)
    pkt.payload = buf[off + hlen : end]


def _valid_length(kind: int, olen: int) -> bool:
    """Whether an option of this kind may have this total length (kind and length bytes included)."""
    if kind == TCPOPT_MSS:
        return olen == 4
    if kind == TCPOPT_WS:
        return olen == 3
    if kind == TCPOPT_SACKOK:
        return olen == 2
    if kind == TCPOPT_TS:
        return olen == 10
    if kind == TCPOPT_SACK:  # an empty SACK (length 2) is tolerated
        return olen == 2 or (10 <= olen <= 34 and (olen - 2) % 8 == 0)
    if kind == TCPOPT_MD5:
        return olen == 18
    if kind == TCPOPT_AO:
        return olen >= 4
    if kind == TCPOPT_TFO:
        return olen <= 18 and olen % 2 == 0
    return True


def _decode_options(pkt: Packet, buf: bytes, off: int, end: int) -> dict[int, bytes]:
    """Parse the options in buf[off:end] into kind -> value bytes (last one wins)."""
    opts: dict[int, bytes] = {}
    while off < end:
        kind = buf[off]
        if kind == TCPOPT_EOL:
            break
        if kind == TCPOPT_NOP:
            off += 1
            continue
        if end - off < 2:
            break  # no room for a length byte: the rest is padding
        olen = buf[off + 1]
        if olen < 2 or olen > end - off:
            pkt.add_event(_OPT_INVALID_LEN)
            break
        if not _valid_length(kind, olen):
            pkt.add_event(_OPT_INVALID_LEN)
        else:
            if kind in opts:
                pkt.add_event(_OPT_DUPLICATE)
            if kind == TCPOPT_WS and buf[off + 2] > TCP_WSCALE_MAX:
                pkt.add_event(_OPT_WSCALE_OVER_MAX)
            opts[kind] = buf[off + 2 : off + olen]
        off += olen
    return opts
