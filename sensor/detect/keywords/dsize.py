"""dsize: the packet's payload size (integer keyword).

A rule with dsize inspects packets only, never reassembled stream data
(Suricata's rule), which the builder records on the compiled rule.
"""

from __future__ import annotations

from sensor.detect.keywords.numeric import parse_uint
from sensor.detect.keywords.registry import PacketCheck, register


@register("dsize", "packet", "payload size of the packet (integer keyword)")
def setup_dsize(value: str | None) -> PacketCheck:
    pred = parse_uint(value, "dsize", 65535)
    return lambda p: pred(len(p.payload))
