"""Suricata's unsigned-integer keyword syntax, compiled into predicates.

Used by the integer keywords (ttl, itype, icode, dsize, tcp.mss). The grammar,
as Suricata 8.0.8 accepts it (confirmed against the real engine):

    N  =N             equality
    !N  !=N           inequality
    <N <=N >N >=N     comparisons; refused when they can never fail or never
                      match (`<0`, `>=0`, `<=MAX`, `>MAX`)
    N-M  N<>M         exclusive range; M - N must be above 1 (`5-6` is refused)
    !N-M  !N<>M       outside that range (the bounds match); no space after `!`
    &MASK=V           (x & MASK) == V; refused unless V & MASK == V
    &MASK!=V          (x & MASK) != V; same check

Spaces may follow an operator and surround `-`, `<>`, `=` and `!=` of a bitmask.
A value is decimal with an optional kb/mb/gb or kib/mib/gib unit (any case), or
hexadecimal with a lowercase `0x` prefix and no unit. Setup-time only: the
returned closure does one or two comparisons.

Keywords with their own plain-number syntax (seq, id, tos, window, ...) use
`parse_decimal`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

from sensor.errors import RuleCompileError

IntPredicate = Callable[[int], bool]

_UNITS = {"kb": 1024, "kib": 1024, "mb": 1 << 20, "mib": 1 << 20, "gb": 1 << 30, "gib": 1 << 30}
_NUM = r"(?:0x[0-9a-fA-F]+|[0-9]+(?:[kKmMgG][iI]?[bB])?)"
_VALUE = re.compile(rf"^{_NUM}$")
_BITMASK = re.compile(rf"^& *({_NUM}) *(!?)= *({_NUM})$")
_RANGE = re.compile(rf"^(!?)({_NUM}) *(?:-|<>) *({_NUM})$")
_CMP = re.compile(rf"^(<=|>=|!=|<|>|=|!)? *({_NUM})$")


class UintTest(NamedTuple):
    """A compiled integer-keyword value: its mode and the predicate implementing it.

    mode is one of eq, ne, lt, le, gt, ge, range, not_range, mask, not_mask.
    """

    mode: str
    predicate: IntPredicate


def parse_number(text: str, keyword: str, max_value: int) -> int:
    """Parse one integer-keyword value (decimal with optional unit, or 0x-hex) within 0..max_value."""
    t = text.strip()
    if not _VALUE.match(t):
        raise RuleCompileError(keyword, f"invalid number {text!r}")
    if t.startswith("0x"):
        value = int(t, 0)
    else:
        digits = t.rstrip("kKmMgGiIbB")
        value = int(digits, 10) * _UNITS.get(t[len(digits) :].lower(), 1)
    if value > max_value:
        raise RuleCompileError(keyword, f"value {value} out of range 0..{max_value}")
    return value


def parse_decimal(text: str, keyword: str, max_value: int) -> int:
    """Parse a plain decimal (ASCII digits only: no sign, hex or unit) within 0..max_value."""
    if not text.isascii() or not text.isdigit():
        raise RuleCompileError(keyword, f"invalid number {text!r}: plain decimal digits expected")
    value = int(text, 10)
    if value > max_value:
        raise RuleCompileError(keyword, f"value {value} out of range 0..{max_value}")
    return value


def parse_uint_test(value: str | None, keyword: str, max_value: int) -> UintTest:
    """Compile an integer-keyword value into its mode and a predicate over the packet's field."""
    if value is None or not value.strip():
        raise RuleCompileError(keyword, "needs a value")
    text = value.strip()
    m = _BITMASK.match(text)
    if m:
        mask = parse_number(m.group(1), keyword, max_value)
        want = parse_number(m.group(3), keyword, max_value)
        if want & mask != want:
            raise RuleCompileError(keyword, f"{text!r}: value has bits outside the mask, it can never match")
        if m.group(2):
            return UintTest("not_mask", lambda x: (x & mask) != want)
        return UintTest("mask", lambda x: (x & mask) == want)
    m = _RANGE.match(text)
    if m:
        lo = parse_number(m.group(2), keyword, max_value)
        hi = parse_number(m.group(3), keyword, max_value)
        if hi - lo <= 1:
            raise RuleCompileError(keyword, f"range {lo}-{hi}: the second value must exceed the first by 2")
        if m.group(1):
            return UintTest("not_range", lambda x: x <= lo or x >= hi)
        return UintTest("range", lambda x: lo < x < hi)
    m = _CMP.match(text)
    if not m:
        raise RuleCompileError(keyword, f"invalid value {value!r}")
    op, n = m.group(1) or "=", parse_number(m.group(2), keyword, max_value)
    if op == "=":
        return UintTest("eq", lambda x: x == n)
    if op in ("!", "!="):
        return UintTest("ne", lambda x: x != n)
    if (op in ("<", ">=") and n == 0) or (op in ("<=", ">") and n == max_value):
        raise RuleCompileError(keyword, f"{text!r} can never fail or never match")
    if op == "<":
        return UintTest("lt", lambda x: x < n)
    if op == "<=":
        return UintTest("le", lambda x: x <= n)
    if op == ">":
        return UintTest("gt", lambda x: x > n)
    return UintTest("ge", lambda x: x >= n)


def parse_uint(value: str | None, keyword: str, max_value: int) -> IntPredicate:
    """Compile an integer-keyword value into a predicate over the packet's field."""
    return parse_uint_test(value, keyword, max_value).predicate
