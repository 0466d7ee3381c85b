"""decode-event: match the named events the decoders set.

`decode-event:ipv4.trunc_pkt;` matches packets carrying the event
"decoder.ipv4.trunc_pkt" (sensor.decode.events is the one table of names).
As in Suricata 8.0.8 the name is case-insensitive and given without the
"decoder." prefix and without quotes (`decode-event:decoder.ipv4.trunc_pkt`
and `decode-event:"ipv4.trunc_pkt"` are refused). Unknown names are a rule
error at load time, as in Suricata.
"""

from __future__ import annotations

from sensor.decode.events import EVENT_IDS
from sensor.detect.keywords.registry import PacketCheck, register
from sensor.errors import RuleCompileError


@register("decode-event", "event", "a decoder event is set on the packet, e.g. decode-event:ipv4.trunc_pkt")
def setup_decode_event(value: str | None) -> PacketCheck:
    name = (value or "").strip().lower()
    if not name:
        raise RuleCompileError("decode-event", "needs an event name")
    eid = EVENT_IDS.get(f"decoder.{name}")
    if eid is None:
        raise RuleCompileError("decode-event", f"unknown event {name!r}")
    return lambda p: p.events is not None and eid in p.events
