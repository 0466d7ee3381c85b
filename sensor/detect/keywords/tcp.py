"""TCP header keywords: flags (tcp.flags), seq, ack, window, tcp.mss.

`flags:[mod]LIST[,IGNORED]`, as Suricata 8.0.8 parses and matches it (every
point below confirmed against the real engine):

  * LIST holds uppercase F S R P A U C E, 1 (= CWR) and 2 (= ECE), and 0; the
    flags accumulate left to right and a `0` clears what came before (`S0` is
    `0`, `0S` is `S`). IGNORED holds the same letters without 0. Lowercase is
    refused.
  * One modifier at most, before LIST (spaces may follow it) or anywhere inside
    it (`S+`, `S+A`); a second one is refused (`+S+`, `!S+`).
  * The packet's flags with the IGNORED ones masked out are compared with LIST:
    exact (no modifier) equal; `+` all of LIST set; `*` any of LIST set; `!`
    NOT ALL of LIST set (`!SA` matches a SYN-only packet). The ignore list
    applies to every modifier (`*SA,A` does not match FIN+ACK).
  * An empty LIST (`0`) is decided on the packet's whole flags byte first: a
    packet with any flag set matches only `!0` (the ignore list does not help:
    `0,A` misses an ACK-only packet); a packet without flags matches `0` and
    `+0`, never `!0` or `*0`.
  * Signature mask: a LIST naming S, R or F is only tried on packets carrying
    S, R or F, and one naming U, E or C only on packets carrying U, E or C;
    a LIST naming both kinds needs both (whatever the modifier: `!S` skips
    ACK-only, PSH+ACK and flagless packets; `*FPU` skips SYN and PSH+ACK).

seq and ack take a decimal 0..2^32-1 (a leading `+` allowed, `-0` read as 0,
no hex); window takes
`[!]N` with up to nine decimal digits, 0..65535; tcp.mss is an integer keyword.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sensor.decode.packet import TH_CWR, TH_ECN, TH_FIN, TH_RST, TH_SYN, TH_URG
from sensor.detect.keywords.numeric import parse_decimal, parse_uint
from sensor.detect.keywords.registry import PacketCheck, register
from sensor.errors import RuleCompileError

_FLAG_BITS = {
    "F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, "A": 0x10, "U": 0x20,
    "E": 0x40, "C": 0x80, "2": 0x40, "1": 0x80,
}
_FLAGS_RE = re.compile(r"^([+*!]?)\s*([FSRPAUCE120+*!]+)(?:\s*,\s*([FSRPAUCE12]+))?$")
_INIT_DEINIT = TH_SYN | TH_RST | TH_FIN
_UNUSUAL = TH_URG | TH_ECN | TH_CWR
_SEQ_RE = re.compile(r"^([+-]?)([0-9]+)$")
_WINDOW_RE = re.compile(r"^(!?)\s*([0-9]{1,9})$")


def _parse_flags(value: str | None) -> tuple[str, int, int]:
    """(modifier, wanted flags, ignored flags) of a flags value; modifier is '', '+', '*' or '!'."""
    m = _FLAGS_RE.match((value or "").strip())
    if not m:
        raise RuleCompileError("flags", f"invalid value {value!r}")
    lead, body, ignored = m.groups()
    mods = [ch for ch in lead + body if ch in "+*!"]
    if len(mods) > 1:
        raise RuleCompileError("flags", f"{value!r}: more than one modifier")
    if all(ch in "+*!" for ch in body):
        raise RuleCompileError("flags", f"no flags in {value!r}")
    want = 0
    for ch in body:
        if ch == "0":
            want = 0
        elif ch not in "+*!":
            want |= _FLAG_BITS[ch]
    ignore = 0
    for ch in ignored or "":
        ignore |= _FLAG_BITS[ch]
    return (mods[0] if mods else ""), want, ignore


@register("flags", "packet", "TCP flags: flags:[+*!]FSRPAUCE0[,ignored-flags]", aliases=("tcp.flags",))
def setup_flags(value: str | None) -> PacketCheck:
    mod, want, ignore = _parse_flags(value)
    if want == 0:
        if mod == "!":
            return lambda p: p.proto == 6 and p.l4_off >= 0 and p.tcp_flags != 0
        if mod == "*":
            return lambda p: False
        return lambda p: p.proto == 6 and p.l4_off >= 0 and p.tcp_flags == 0
    test = _flag_test(mod, want, 0xFF & ~ignore)
    # the signature mask: flag classes a packet must carry for the rule to be tried
    need = [cls for cls in (_INIT_DEINIT, _UNUSUAL) if want & cls]
    if len(need) == 2:
        return lambda p: (
            p.proto == 6
            and p.l4_off >= 0
            and p.tcp_flags & _INIT_DEINIT != 0
            and p.tcp_flags & _UNUSUAL != 0
            and test(p.tcp_flags)
        )
    if need:
        cls = need[0]
        return lambda p: p.proto == 6 and p.l4_off >= 0 and p.tcp_flags & cls != 0 and test(p.tcp_flags)
    return lambda p: p.proto == 6 and p.l4_off >= 0 and test(p.tcp_flags)


def _flag_test(mod: str, want: int, keep: int) -> Callable[[int], bool]:
    """The modifier's comparison of a packet's flags (ignored ones masked out by `keep`) with `want`."""
    if mod == "+":
        return lambda f: f & keep & want == want
    if mod == "*":
        return lambda f: f & keep & want != 0
    if mod == "!":
        return lambda f: f & keep & want != want
    return lambda f: f & keep == want


def _parse_seq(value: str | None, keyword: str) -> int:
    """A sequence/acknowledgement number: decimal with an optional sign (only -0 survives a '-')."""
    m = _SEQ_RE.match((value or "").strip())
    if not m:
        raise RuleCompileError(keyword, f"invalid value {value!r}: decimal number expected")
    n = parse_decimal(m.group(2), keyword, 0xFFFFFFFF)
    if m.group(1) == "-" and n:
        raise RuleCompileError(keyword, f"value {value!r} out of range 0..4294967295")
    return n


@register("seq", "packet", "TCP sequence number equals N", aliases=("tcp.seq",))
def setup_seq(value: str | None) -> PacketCheck:
    n = _parse_seq(value, "seq")
    return lambda p: p.proto == 6 and p.l4_off >= 0 and p.tcp_seq == n


@register("ack", "packet", "TCP acknowledgement number equals N", aliases=("tcp.ack",))
def setup_ack(value: str | None) -> PacketCheck:
    n = _parse_seq(value, "ack")
    return lambda p: p.proto == 6 and p.l4_off >= 0 and p.tcp_ack == n


@register("window", "packet", "TCP window field: window:[!]N")
def setup_window(value: str | None) -> PacketCheck:
    m = _WINDOW_RE.match((value or "").strip())
    if not m:
        raise RuleCompileError("window", f"invalid value {value!r}: [!]decimal expected")
    n = parse_decimal(m.group(2), "window", 65535)
    if m.group(1):
        return lambda p: p.proto == 6 and p.l4_off >= 0 and p.tcp_win != n
    return lambda p: p.proto == 6 and p.l4_off >= 0 and p.tcp_win == n


@register("tcp.mss", "packet", "TCP MSS option value (integer keyword)")
def setup_tcp_mss(value: str | None) -> PacketCheck:
    pred = parse_uint(value, "tcp.mss", 65535)

    def check(p: object) -> bool:
        opts = p.tcp_opts  # type: ignore[attr-defined]
        if not opts or 2 not in opts or len(opts[2]) != 2:
            return False
        return pred(int.from_bytes(opts[2], "big"))

    return check
