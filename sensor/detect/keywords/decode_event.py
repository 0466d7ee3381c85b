"""decode-event (and stream-event names): match the named events the decoders set.

`decode-event:ipv4.trunc_pkt;` matches packets carrying the event
"decoder.ipv4.trunc_pkt" (sensor.decode.events is the one table of names).
Unknown names are a rule error at load time, as in Suricata.
"""

from __future__ import annotations

from sensor.decode.events import EVENT_IDS
from sensor.detect.keywords.registry import PacketCheck, register
from sensor.errors import RuleCompileError


def _lookup(prefix: str, keyword: str, value: str | None) -> int:
    name = (value or "").strip().strip('"').lower()
    if not name:
        raise RuleCompileError(keyword, "needs an event name")
    full = name if name.startswith(prefix + ".") else f"{prefix}.{name}"
    if full not in EVENT_IDS:
        raise RuleCompileError(keyword, f"unknown event {name!r}")
    return EVENT_IDS[full]


@register("decode-event", "event", "a decoder event is set on the packet, e.g. decode-event:ipv4.trunc_pkt")
def setup_decode_event(value: str | None) -> PacketCheck:
    eid = _lookup("decoder", "decode-event", value)
    return lambda p: p.events is not None and eid in p.events
