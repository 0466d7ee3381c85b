"""Rule ordering at load time: Suricata's signature ordering, used to number rules by priority.

Step 5 of 10 (detect), build side: the engine runs candidates and settles a packet's matches
in this order (so `pass` wins, and a flowbit is set before a later rule reads it on the same
packet). The sort key chain, compared left to right, is Suricata's registered ordering:
  1. action, by action-order (default pass, drop, reject, alert; reject* = reject; others last)
  2. flowbits use   3. flowint use   4. flowvar use   5. pktvar use   6. hostbits use
  7. ippair bits use -- each ranked SET, then SET_READ, then READ, then NOT_USED
  8. priority (lower number first; default 3)   9. sid (ascending), then input order.
It is a per-rule ranking, not a dependency graph; build time only, never per packet.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import TypeVar

from rules.model import Rule
from sensor.detect.keywords.flowbits import setup_flowbits
from sensor.detect.keywords.flowint import setup_flowint

T = TypeVar("T")

DEFAULT_ACTION_ORDER: tuple[str, ...] = ("pass", "drop", "reject", "alert")
DEFAULT_PRIORITY = 3

_REJECT_ACTIONS = frozenset({"reject", "rejectsrc", "rejectdst", "rejectboth"})
_BIT_READS = frozenset({"isset", "isnotset"})
_BIT_WRITES = frozenset({"set", "unset", "toggle"})
_PCRE_FLOWVAR = re.compile(r"\(\?P<flow_")
_PCRE_PKTVAR = re.compile(r"\(\?P<pkt_")


class VarUse(IntEnum):
    """How a rule uses one kind of state; a higher value sorts first."""

    NOT_USED = 1
    READ = 2
    SET_READ = 3
    SET = 4


def var_use(reads: bool, writes: bool) -> VarUse:
    """Classify a rule's use of one kind of state from whether it reads and/or writes it."""
    if reads and writes:
        return VarUse.SET_READ
    if writes:
        return VarUse.SET
    return VarUse.READ if reads else VarUse.NOT_USED


@dataclass(frozen=True, slots=True)
class RuleOrderInfo:
    """Everything the ordering looks at for one rule."""

    action: str
    sid: int
    priority: int = DEFAULT_PRIORITY
    flowbits: VarUse = VarUse.NOT_USED
    flowint: VarUse = VarUse.NOT_USED
    flowvar: VarUse = VarUse.NOT_USED
    pktvar: VarUse = VarUse.NOT_USED
    hostbits: VarUse = VarUse.NOT_USED
    ippairbits: VarUse = VarUse.NOT_USED


def action_rank(action: str, action_order: Sequence[str] = DEFAULT_ACTION_ORDER) -> int:
    """Position of an action in the action order; reject variants count as reject and an
    action not listed (config, accept, ...) sorts after all listed ones."""
    name = "reject" if action in _REJECT_ACTIONS else action
    return action_order.index(name) if name in action_order else len(action_order)


def sort_rules(
    rules: Sequence[T],
    key: Callable[[T], RuleOrderInfo],
    action_order: Sequence[str] = DEFAULT_ACTION_ORDER,
) -> list[T]:
    """Return `rules` in Suricata's evaluation order (see the module docstring)."""

    def sort_key(rule: T) -> tuple[int, ...]:
        info = key(rule)
        return (
            action_rank(info.action, action_order),
            -info.flowbits,
            -info.flowint,
            -info.flowvar,
            -info.pktvar,
            -info.hostbits,
            -info.ippairbits,
            info.priority,
            info.sid,
        )

    return sorted(rules, key=sort_key)


def rule_order_info(rule: Rule, classtype_priority: Mapping[str, int] | None = None) -> RuleOrderInfo:
    """Derive RuleOrderInfo from a parsed rule.

    Priority: the `priority` keyword, else the classtype's priority from
    classification.config (`classtype_priority`), else 3. Raises RuleCompileError for a
    malformed flowbits/flowint option (the rule could not be compiled anyway)."""
    reads: dict[str, bool] = {}
    writes: dict[str, bool] = {}

    def mark(kind: str, read: bool, write: bool) -> None:
        reads[kind] = reads.get(kind, False) or read
        writes[kind] = writes.get(kind, False) or write

    for option in rule.options:
        name, value = option.name, option.value
        if name == "flowbits":
            cmd = setup_flowbits(value).cmd
            mark("flowbits", cmd in _BIT_READS, cmd in _BIT_WRITES)
        elif name == "flowint":
            op = setup_flowint(value).op
            mark("flowint", op not in ("=", "+", "-"), op in ("=", "+", "-"))
        elif name == "flowvar":
            mark("flowvar", True, False)
        elif name == "pktvar":
            mark("pktvar", True, False)
        elif name == "pcre" and value is not None:
            mark("flowvar", False, _PCRE_FLOWVAR.search(value) is not None)
            mark("pktvar", False, _PCRE_PKTVAR.search(value) is not None)
        elif name in ("hostbits", "xbits") and value is not None:
            parts = [p.strip() for p in value.split(",")]
            kind = "ippairbits" if name == "xbits" and any("ip_pair" in p for p in parts) else "hostbits"
            mark(kind, parts[0] in _BIT_READS, parts[0] in _BIT_WRITES)

    def use(kind: str) -> VarUse:
        return var_use(reads.get(kind, False), writes.get(kind, False))

    if rule.priority is not None:
        priority = rule.priority
    elif rule.classtype is not None and classtype_priority is not None:
        priority = classtype_priority.get(rule.classtype, DEFAULT_PRIORITY)
    else:
        priority = DEFAULT_PRIORITY
    return RuleOrderInfo(
        action=rule.action,
        sid=rule.sid,
        priority=priority,
        flowbits=use("flowbits"),
        flowint=use("flowint"),
        flowvar=use("flowvar"),
        pktvar=use("pktvar"),
        hostbits=use("hostbits"),
        ippairbits=use("ippairbits"),
    )
