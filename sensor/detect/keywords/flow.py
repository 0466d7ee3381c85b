"""The `flow` keyword: direction and state of the packet's flow.

Options (comma separated, Suricata's): to_server / from_client, to_client /
from_server, established, not_established, stateless, no_stream, only_stream,
no_frag, only_frag. The flow table (sensor.flow) sets `pkt.to_server` and
`pkt.established` before detection runs; this closure only reads them.
"""

from __future__ import annotations

from sensor.detect.keywords.registry import PacketCheck, register
from sensor.errors import RuleCompileError, UnsupportedRule

_DIRECTIONS = {"to_server": True, "from_client": True, "to_client": False, "from_server": False}
_STATES = {"established", "not_established", "stateless"}
_STREAM = {"no_stream", "only_stream"}
_FRAG = {"no_frag", "only_frag"}


@register("flow", "flow", "flow direction and state: to_server|to_client|from_*,established|not_established|stateless,...")
def setup_flow(value: str | None) -> PacketCheck:
    if not value or not value.strip():
        raise RuleCompileError("flow", "needs a value")
    opts = [o.strip().lower() for o in value.split(",")]
    direction: bool | None = None
    state: str | None = None
    for o in opts:
        if o in _DIRECTIONS:
            if direction is not None and direction != _DIRECTIONS[o]:
                raise RuleCompileError("flow", "both directions given")
            direction = _DIRECTIONS[o]
        elif o in _STATES:
            if state is not None and state != o:
                raise RuleCompileError("flow", f"conflicting states {state} and {o}")
            state = o
        elif o in _STREAM:
            pass  # which payload a rule inspects: sensor.detect.build records it (stream flags)
        elif o in _FRAG:
            raise UnsupportedRule("flow", f"{o} is not matched yet (needs defrag provenance on packets)")
        else:
            raise RuleCompileError("flow", f"unknown option {o!r}")
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
