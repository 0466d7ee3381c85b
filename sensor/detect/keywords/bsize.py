"""bsize: the length of a sticky buffer (Suricata 8 unsigned 64-bit integer keyword).

Step 5 of 10 (detection), payload inspection. Value syntax is Suricata 8's integer
grammar: `N`, `=N`, `!N`, `!=N`, `<N`, `<=N`, `>N`, `>=N`, `N-M` / `N<>M` (exclusive),
`!N-M`, `&MASK=V`, `&MASK!=V`; values decimal or 0x-hex, decimal with an optional
kb/kib/mb/mib/gb/gib suffix. Like Suricata, bsize needs a sticky buffer (dsize is the
packet-payload keyword) and a rule whose contents cannot fit the size is rejected.
Hot path: one comparison; a failure ends the buffer's inspection as Suricata's does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sensor.detect.keywords.content import M64, RECURSION_LIMIT, ContentSpec, Step
from sensor.errors import RuleCompileError

KW = "bsize"
_VAL = r"(?:0x[0-9a-fA-F]+|\d+(?:[kKmMgG][iI]?[bB])?)"
_BITMASK = re.compile(rf" *& *({_VAL}) *(!?)= *({_VAL}) *")
_RANGE = re.compile(rf" *(!?)({_VAL}) *(?:-|<>) *({_VAL}) *")
_EQUAL = re.compile(rf" *=? *({_VAL}) *")
_SYMBOL = re.compile(rf" *(>=|<=|>|<|!=|!|=) *({_VAL}) *")
_UNITS = {"kb": 1 << 10, "kib": 1 << 10, "mb": 1 << 20, "mib": 1 << 20, "gb": 1 << 30, "gib": 1 << 30}


@dataclass(frozen=True, slots=True)
class BsizeSpec:
    mode: str  # "=", "!=", "<", "<=", ">", ">=", "range", "!range", "&=", "&!="
    arg1: int
    arg2: int = 0


def _value(text: str) -> int:
    if text.startswith("0x"):
        v = int(text, 0)
    else:
        digits = text.rstrip("kKmMgGiIbB")
        v = int(digits)
        unit = text[len(digits) :].lower()
        if unit and v >= 1:
            v *= _UNITS[unit]
    if v > M64:
        raise RuleCompileError(KW, f"value {text!r} exceeds 64 bits")
    return v


def setup_bsize(value: str | None, buffer: str) -> BsizeSpec:
    """Parse a bsize value; the buffer must be a sticky buffer, not the packet payload."""
    if buffer == "payload":
        raise RuleCompileError(KW, "bsize needs a sticky buffer (use dsize for the packet payload)")
    text = value or ""
    m = _BITMASK.fullmatch(text)
    if m:
        mask, want = _value(m.group(1)), _value(m.group(3))
        if want & mask != want:
            raise RuleCompileError(KW, f"bitmask test {text!r} can never match")
        return BsizeSpec("&!=" if m.group(2) else "&=", mask, want)
    m = _RANGE.fullmatch(text)
    if m:
        lo, hi = _value(m.group(2)), _value(m.group(3))
        if not (hi > lo and hi - lo > 1):
            raise RuleCompileError(
                KW, f"invalid range {text!r}: the second value must exceed the first by 2+"
            )
        return BsizeSpec("!range" if m.group(1) else "range", lo, hi)
    m = _EQUAL.fullmatch(text)
    if m:
        return BsizeSpec("=", _value(m.group(1)))
    m = _SYMBOL.fullmatch(text)
    if m:
        op, v = m.group(1), _value(m.group(2))
        op = "!=" if op == "!" else op
        if (op in ("<", ">=") and v == 0) or (op in ("<=", ">") and v == M64) or op == "=":
            raise RuleCompileError(KW, f"invalid value {text!r}")
        return BsizeSpec(op, v)
    raise RuleCompileError(KW, f"invalid value {text!r}")


def bsize_matches(spec: BsizeSpec, size: int) -> bool:
    """The integer comparison itself (also used by tests as the reference)."""
    mode, a, b = spec.mode, spec.arg1, spec.arg2
    if mode == "=":
        return size == a
    if mode == "!=":
        return size != a
    if mode == "<":
        return size < a
    if mode == "<=":
        return size <= a
    if mode == ">":
        return size > a
    if mode == ">=":
        return size >= a
    if mode == "range":
        return a < size < b
    if mode == "!range":
        return size <= a or size >= b
    if mode == "&=":
        return size & a == b
    return size & a != b


def validate_bsize(specs: Sequence[BsizeSpec], contents: Sequence[ContentSpec]) -> None:
    """Reject a buffer whose contents need more bytes than its bsize upper bound allows."""
    bounds = [s.arg1 if s.mode in ("=", "<") else s.arg2 for s in specs if s.mode in ("=", "<", "range")]
    if not bounds:
        return
    bound = min(bounds)
    needed = chain = 0
    for cd in contents:
        if cd.negated:
            continue
        if cd.relative:
            dist = cd.distance if isinstance(cd.distance, int) and cd.distance > 0 else 0
            chain += dist + len(cd.pattern)
        else:
            chain = (cd.offset if isinstance(cd.offset, int) else 0) + len(cd.pattern)
        needed = max(needed, chain)
    if needed > bound:
        raise RuleCompileError(
            KW, f"signature can't match: its contents need {needed} bytes, bsize allows {bound}"
        )


def make_bsize_step(spec: BsizeSpec, nxt: Step | None) -> Step:
    """Compile bsize: the buffer is complete, so a mismatch can never turn into a match (-1)."""
    soft_fail = spec.mode in ("!=", "!range", "&=", "&!=")
    fail = 0 if soft_fail else -1
    limit = RECURSION_LIMIT

    def step(buf: bytes, off: int, vars_: dict[str, int], rc: list[Any]) -> int:
        rc[0] += 1
        if rc[0] == limit:
            return -1
        if not bsize_matches(spec, len(buf)):
            return fail
        return 1 if nxt is None else nxt(buf, off, vars_, rc)

    return step
