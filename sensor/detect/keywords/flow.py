"""The `flow` keyword: direction and state of the packet's flow.

Options (comma separated, case-insensitive, Suricata's): to_server /
from_client, to_client / from_server, established, not_established, stateless,
no_stream, only_stream, no_frag, only_frag. As in Suricata 8.0.8, a rule gives
at most three options and one of each kind: a second direction, state, stream
or frag option is refused even when it repeats the first (`to_server,
from_client`, `established,established`, `no_stream,only_stream`). The flow
table (sensor.flow) sets `pkt.to_server` and `pkt.established` before
detection runs; this closure only reads them.
"""

from __future__ import annotations

from sensor.detect.keywords.registry import PacketCheck, register
from sensor.detect.mask import NEED_ESTABLISHED, NEED_NOT_ESTABLISHED, NEED_TO_CLIENT, NEED_TO_SERVER
from sensor.errors import RuleCompileError, UnsupportedRule

_DIRECTIONS = {"to_server": True, "from_client": True, "to_client": False, "from_server": False}
_DIRECTION = frozenset(_DIRECTIONS)
_STATES = frozenset({"established", "not_established", "stateless"})
_STREAM = frozenset({"no_stream", "only_stream"})
_FRAG = frozenset({"no_frag", "only_frag"})
_GROUPS = (_DIRECTION, _STATES, _STREAM, _FRAG)


_MASK_BITS = {
    "to_server": NEED_TO_SERVER,
    "from_client": NEED_TO_SERVER,
    "to_client": NEED_TO_CLIENT,
    "from_server": NEED_TO_CLIENT,
    "established": NEED_ESTABLISHED,
    "not_established": NEED_NOT_ESTABLISHED,
}


def flow_mask(value: str | None) -> int:
    """The requirement-mask bits (sensor.detect.mask) of a valid flow value's direction and state."""
    mask = 0
    for o in (value or "").split(","):
        mask |= _MASK_BITS.get(o.strip().lower(), 0)
    return mask


@register("flow", "flow", "flow direction and state: to_server|to_client|from_*,established|not_established|stateless,...")
def setup_flow(value: str | None) -> PacketCheck:
    if not value or not value.strip():
        raise RuleCompileError("flow", "needs a value")
    opts = [o.strip().lower() for o in value.split(",")]
    if len(opts) > 3:
        raise RuleCompileError("flow", f"at most three options, got {len(opts)}")
    direction: bool | None = None
    state: str | None = None
    seen: dict[frozenset[str], str] = {}
    for o in opts:
        group = next((g for g in _GROUPS if o in g), None)
        if group is None:
            raise RuleCompileError("flow", f"unknown option {o!r}")
        if group in seen:
            raise RuleCompileError("flow", f"{o} after {seen[group]}: one option of each kind only")
        seen[group] = o
        if group is _DIRECTION:
            direction = _DIRECTIONS[o]
        elif group is _STATES:
            state = o
        # _STREAM: which payload a rule inspects; sensor.detect.build records it (stream flags)
    if _FRAG in seen:
        reason = f"{seen[_FRAG]} is not matched yet (needs defrag provenance on packets)"
        raise UnsupportedRule("flow", reason)
    checks = []
    if direction is True:
        checks.append(lambda p: p.to_server)
    elif direction is False:
        checks.append(lambda p: not p.to_server)
    if state == "established":
        checks.append(lambda p: p.established)
    elif state == "not_established":
        checks.append(lambda p: not p.established)
    if not checks:
        return lambda p: p.flow is not None
    if direction is True and state is None:
        # Suricata matches a bare to_server on flowless packets too (they count as to_server)
        return lambda p: p.to_server
    if len(checks) == 1:
        c0 = checks[0]
        return lambda p: p.flow is not None and c0(p)
    c0, c1 = checks[0], checks[1]
    return lambda p: p.flow is not None and c0(p) and c1(p)
