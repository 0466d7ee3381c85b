"""The `flowint` rule keyword: named unsigned 32-bit counters on the flow (Suricata semantics).

Step 5 of 10 (detect). `setup_flowint` parses `name, modifier[, value]` once at rule load.
Comparisons (==, !=, <, <=, >, >=) and isset / notset (alias isnotset) are *conditions*
checked with the rule's other matches; =, + and - are *actions* run post-match (after the
whole rule matched, regardless of thresholds), so `flowint:c,+,1; flowint:c,>,5;` compares
the value from before this packet's increment. A comparison on an unset counter is false;
an unset target variable counts as 0; `+` on an unset counter initialises it, `-` on an
unset counter does nothing; arithmetic wraps modulo 2**32. Hot path: closures only touch
`flow.flowints`; no parsing, no exceptions.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sensor.errors import RuleCompileError

KEYWORD = "flowint"
UINT32_MASK = 0xFFFFFFFF

# Same shape as Suricata's grammar: names start with a letter and have at least 2 characters.
_FLOWINT_RE = re.compile(
    r"\s*(?P<name>[A-Za-z][\w./]+)\s*,\s*"
    r"(?P<mod>==|!=|<=|>=|<|>|=|\+|-|isset|isnotset|notset)"
    r"\s*,?\s*(?P<target>[A-Za-z]\w+|\d{1,10})?\s*\Z"
)
_COMPARE: dict[str, Callable[[int, int], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_ACTIONS = frozenset({"=", "+", "-"})


class FlowWithInts(Protocol):
    """What the flowint closures need from a flow record."""

    flowints: dict[str, int]


FlowintCondition = Callable[["FlowWithInts | None"], bool]
FlowintAction = Callable[["FlowWithInts | None"], None]


@dataclass(frozen=True, slots=True)
class FlowintOp:
    """One parsed `flowint:` option. `op` is one of = + - == != < <= > >= isset notset
    (isnotset is normalised to notset); the operand is `value` or the counter `var`."""

    name: str
    op: str
    value: int | None = None
    var: str | None = None


def setup_flowint(value: str | None) -> FlowintOp:
    """Parse `name, modifier[, value|var]`; raise RuleCompileError for anything Suricata rejects.

    As in Suricata, an operand after isset/notset is accepted and ignored."""
    if value is None:
        raise RuleCompileError(KEYWORD, "needs arguments, e.g. flowint:name,+,1")
    m = _FLOWINT_RE.match(value)
    if m is None:
        raise RuleCompileError(KEYWORD, f"{value!r} is not a valid setting")
    name, mod, target = m.group("name"), m.group("mod"), m.group("target")
    if mod in ("isset", "isnotset", "notset"):
        return FlowintOp(name, "isset" if mod == "isset" else "notset")
    if target is None:
        raise RuleCompileError(KEYWORD, f"modifier {mod!r} needs a value or a variable name")
    if target[0].isdigit():
        number = int(target)
        if number > UINT32_MASK:
            raise RuleCompileError(KEYWORD, f"value {number} is out of range 0..{UINT32_MASK}")
        return FlowintOp(name, mod, value=number)
    return FlowintOp(name, mod, var=target)


def flowint_condition(op: FlowintOp) -> FlowintCondition | None:
    """The match-time check for comparisons and isset/notset; None for = + -."""
    name = op.name
    if op.op == "isset":
        return lambda flow: flow is not None and name in flow.flowints
    if op.op == "notset":
        return lambda flow: flow is not None and name not in flow.flowints
    compare = _COMPARE.get(op.op)
    if compare is None:
        return None
    var = op.var
    if var is None:
        number = op.value if op.value is not None else 0

        def compare_value(flow: FlowWithInts | None) -> bool:
            if flow is None:
                return False
            current = flow.flowints.get(name)
            return current is not None and compare(current, number)

        return compare_value

    def compare_var(flow: FlowWithInts | None) -> bool:
        if flow is None:
            return False
        current = flow.flowints.get(name)
        return current is not None and compare(current, flow.flowints.get(var, 0))

    return compare_var


def flowint_action(op: FlowintOp) -> FlowintAction | None:
    """The post-match action for = + -; None for conditions."""
    if op.op not in _ACTIONS:
        return None
    name, mod, var = op.name, op.op, op.var
    number = op.value if op.value is not None else 0

    def apply(flow: FlowWithInts | None) -> None:
        if flow is None:
            return
        ints = flow.flowints
        target = number if var is None else ints.get(var, 0)
        current = ints.get(name)
        if mod == "=":
            ints[name] = target
        elif mod == "+":
            ints[name] = target if current is None else (current + target) & UINT32_MASK
        elif current is not None:
            ints[name] = (current - target) & UINT32_MASK

    return apply
