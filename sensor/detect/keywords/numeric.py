"""Suricata's unsigned-integer keyword syntax, compiled into predicates.

Used by every integer keyword (ttl, tos, id, window, itype, icode, dsize, ...).
Modes, as Suricata documents them: `N` / `=N` equality, `!N` / `!=N`
inequality, `<N`, `<=N`, `>N`, `>=N`, `N-M` and `N<>M` exclusive ranges,
`!N-M` negated range, `&MASK=V` / `&MASK!=V` bitmask tests. Values are decimal
or 0x-hex with an optional kb/mb/gb (kib/mib/gib) multiplier. Setup-time only:
the returned closure does one comparison.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sensor.errors import RuleCompileError

IntPredicate = Callable[[int], bool]

_UNITS = {"kb": 1024, "kib": 1024, "mb": 1 << 20, "mib": 1 << 20, "gb": 1 << 30, "gib": 1 << 30}
_NUM = r"(?:0[xX][0-9a-fA-F]+|\d+)(?:[kKmMgG][iI]?[bB])?"
_RANGE = re.compile(rf"^(!?)\s*({_NUM})\s*(?:-|<>)\s*({_NUM})$")
_BITMASK = re.compile(rf"^&\s*({_NUM})\s*(=|!=)\s*({_NUM})$")
_CMP = re.compile(rf"^(<=|>=|!=|<|>|=|!)?\s*({_NUM})$")


def parse_number(text: str, keyword: str, max_value: int) -> int:
    """Parse one Suricata integer (decimal, 0x-hex, optional unit) within 0..max_value."""
    t = text.strip()
    mult = 1
    low = t.lower()
    for unit, factor in _UNITS.items():
        if low.endswith(unit) and not low.startswith("0x"):
            t, mult = t[: -len(unit)], factor
            break
    try:
        value = (int(t, 16) if t.lower().startswith("0x") else int(t, 10)) * mult
    except ValueError:
        raise RuleCompileError(keyword, f"invalid number {text!r}") from None
    if not 0 <= value <= max_value:
        raise RuleCompileError(keyword, f"value {value} out of range 0..{max_value}")
    return value


def parse_uint(value: str | None, keyword: str, max_value: int) -> IntPredicate:
    """Compile an integer-keyword value into a predicate over the packet's field."""
    if value is None or not value.strip():
        raise RuleCompileError(keyword, "needs a value")
    text = value.strip()
    m = _RANGE.match(text)
    if m:
        lo = parse_number(m.group(2), keyword, max_value)
        hi = parse_number(m.group(3), keyword, max_value)
        if lo >= hi:
            raise RuleCompileError(keyword, f"range {lo}-{hi}: first value must be below the second")
        if m.group(1):
            return lambda x: x <= lo or x >= hi
        return lambda x: lo < x < hi
    m = _BITMASK.match(text)
    if m:
        mask = parse_number(m.group(1), keyword, max_value)
        want = parse_number(m.group(3), keyword, max_value)
        if m.group(2) == "=":
            return lambda x: (x & mask) == want
        return lambda x: (x & mask) != want
    m = _CMP.match(text)
    if not m:
        raise RuleCompileError(keyword, f"invalid value {value!r}")
    op, n = m.group(1) or "=", parse_number(m.group(2), keyword, max_value)
    if op == "=":
        return lambda x: x == n
    if op in ("!", "!="):
        return lambda x: x != n
    if op == "<":
        return lambda x: x < n
    if op == "<=":
        return lambda x: x <= n
    if op == ">":
        return lambda x: x > n
    return lambda x: x >= n
