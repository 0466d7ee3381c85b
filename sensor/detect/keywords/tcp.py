"""TCP header keywords: flags (tcp.flags), seq, ack, window.

`flags` follows Suricata/Snort: letters F S R P A U C E (and legacy 1 = CWR,
2 = ECE), 0 for no flags; modifier `+` (all of these, others allowed), `*`
(any of these), `!` (none of these), default exact; an optional second list
names flags to ignore before comparing.
"""

from __future__ import annotations

from sensor.detect.keywords.numeric import parse_number, parse_uint
from sensor.detect.keywords.registry import PacketCheck, register
from sensor.errors import RuleCompileError

_FLAG_BITS = {
    "F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, "A": 0x10, "U": 0x20,
    "E": 0x40, "C": 0x80, "2": 0x40, "1": 0x80,
}


def _flag_mask(text: str, keyword: str) -> int:
    mask = 0
    for ch in text.upper():
        if ch == "0":
            continue
        if ch not in _FLAG_BITS:
            raise RuleCompileError(keyword, f"unknown TCP flag {ch!r}")
        mask |= _FLAG_BITS[ch]
    return mask


@register("flags", "packet", "TCP flags: flags:[+*!]FSRPAUCE0[,ignored-flags]", aliases=("tcp.flags",))
def setup_flags(value: str | None) -> PacketCheck:
    if not value or not value.strip():
        raise RuleCompileError("flags", "needs a value")
    main, _, ignore_text = value.replace(" ", "").partition(",")
    mod = ""
    if main[:1] in "+*!":
        mod, main = main[0], main[1:]
    elif main[-1:] in "+*!":
        mod, main = main[-1], main[:-1]
    if not main:
        raise RuleCompileError("flags", f"no flags in {value!r}")
    want = _flag_mask(main, "flags")
    keep = 0xFF & ~_flag_mask(ignore_text, "flags")
    if mod == "+":
        return lambda p: p.proto == 6 and p.l4_off >= 0 and p.tcp_flags & want == want
    if mod == "*":
        return lambda p: p.proto == 6 and p.l4_off >= 0 and p.tcp_flags & want != 0
    if mod == "!":
        return lambda p: p.proto == 6 and p.l4_off >= 0 and p.tcp_flags & want == 0
    return lambda p: p.proto == 6 and p.l4_off >= 0 and p.tcp_flags & keep == want


@register("seq", "packet", "TCP sequence number equals N", aliases=("tcp.seq",))
def setup_seq(value: str | None) -> PacketCheck:
    n = parse_number(value or "", "seq", 0xFFFFFFFF)
    return lambda p: p.proto == 6 and p.l4_off >= 0 and p.tcp_seq == n


@register("ack", "packet", "TCP acknowledgement number equals N", aliases=("tcp.ack",))
def setup_ack(value: str | None) -> PacketCheck:
    n = parse_number(value or "", "ack", 0xFFFFFFFF)
    return lambda p: p.proto == 6 and p.l4_off >= 0 and p.tcp_ack == n


@register("window", "packet", "TCP window field: window:[!]N")
def setup_window(value: str | None) -> PacketCheck:
    text = (value or "").strip()
    negated = text.startswith("!")
    n = parse_number(text.lstrip("!").strip(), "window", 65535)
    if negated:
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
