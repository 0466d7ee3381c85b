"""The `flowbits` rule keyword: named boolean flags stored on the flow (Suricata semantics).

Step 5 of 10 (detect). `setup_flowbits` parses the option once at rule load; the engine
then asks for a *condition* (isset / isnotset, checked with the rule's other matches) and
an *action* (set / unset / toggle, run post-match: only after the whole rule matched, and
regardless of any threshold or suppress decision). `noalert` has neither: the engine marks
the rule as not alerting. OR form `isset,a|b` / `isnotset,a|b` is true when any listed
bit is set / not set; Suricata allows `|` only with isset and isnotset and has no AND
form. Hot path: closures only read/write `flow.flowbits`; no parsing, no exceptions.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sensor.errors import RuleCompileError

KEYWORD = "flowbits"

_COMMANDS = frozenset({"set", "unset", "toggle", "isset", "isnotset", "noalert"})
_CHECKS = frozenset({"isset", "isnotset"})
_CMD_RE = re.compile(r"([a-z]+)(?:,\s*(.*))?\Z", re.DOTALL)


class FlowWithBits(Protocol):
    """What the flowbits closures need from a flow record."""

    flowbits: set[str]


FlowbitsCondition = Callable[["FlowWithBits | None"], bool]
FlowbitsAction = Callable[["FlowWithBits | None"], None]


@dataclass(frozen=True, slots=True)
class FlowbitsOp:
    """One parsed `flowbits:` option. `names` is empty only for `noalert`; `any_of` marks
    the `a|b` OR form (isset / isnotset only)."""

    cmd: str
    names: tuple[str, ...]
    any_of: bool = False


def setup_flowbits(value: str | None) -> FlowbitsOp:
    """Parse `cmd[, name]`; raise RuleCompileError for anything Suricata rejects."""
    if value is None:
        raise RuleCompileError(KEYWORD, "needs a command, e.g. flowbits:set,name")
    m = _CMD_RE.match(value.strip())
    if m is None:
        raise RuleCompileError(KEYWORD, f"{value!r} is not a valid setting")
    cmd, rest = m.group(1), (m.group(2) or "").strip()
    if cmd not in _COMMANDS:
        raise RuleCompileError(KEYWORD, f"unknown command {cmd!r}")
    if cmd == "noalert":
        if rest:
            raise RuleCompileError(KEYWORD, "noalert takes no flowbit name")
        return FlowbitsOp("noalert", ())
    if not rest:
        raise RuleCompileError(KEYWORD, f"{cmd} needs a flowbit name")
    if "|" not in rest:
        _check_name(rest)
        return FlowbitsOp(cmd, (rest,))
    if cmd not in _CHECKS:
        raise RuleCompileError(KEYWORD, f"the '|' (OR) form is only allowed with isset/isnotset, not {cmd}")
    names = tuple(part.strip() for part in rest.split("|") if part.strip())
    if not names:
        raise RuleCompileError(KEYWORD, f"no flowbit name in {rest!r}")
    for name in names:
        _check_name(name)
    return FlowbitsOp(cmd, names, any_of=True)


def _check_name(name: str) -> None:
    if any(ch.isspace() for ch in name):
        raise RuleCompileError(KEYWORD, f"spaces are not allowed in flowbit names: {name!r}")


def flowbits_condition(op: FlowbitsOp) -> FlowbitsCondition | None:
    """The match-time check for isset/isnotset (False without a flow); None otherwise."""
    if op.cmd == "isset":
        if len(op.names) == 1:
            only = op.names[0]
            return lambda flow: flow is not None and only in flow.flowbits
        names = op.names
        return lambda flow: flow is not None and any(n in flow.flowbits for n in names)
    if op.cmd == "isnotset":
        if len(op.names) == 1:
            only = op.names[0]
            return lambda flow: flow is not None and only not in flow.flowbits
        names = op.names
        return lambda flow: flow is not None and any(n not in flow.flowbits for n in names)
    return None


def flowbits_action(op: FlowbitsOp) -> FlowbitsAction | None:
    """The post-match action for set/unset/toggle (no-op without a flow); None otherwise."""
    if op.cmd not in ("set", "unset", "toggle"):
        return None
    name = op.names[0]
    if op.cmd == "set":

        def set_bit(flow: FlowWithBits | None) -> None:
            if flow is not None:
                flow.flowbits.add(name)

        return set_bit
    if op.cmd == "unset":

        def unset_bit(flow: FlowWithBits | None) -> None:
            if flow is not None:
                flow.flowbits.discard(name)

        return unset_bit

    def toggle_bit(flow: FlowWithBits | None) -> None:
        if flow is not None:
            bits = flow.flowbits
            if name in bits:
                bits.discard(name)
            else:
                bits.add(name)

    return toggle_bit
