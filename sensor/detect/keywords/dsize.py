"""dsize: the packet's payload size (integer keyword).

A rule with dsize inspects packets only, never reassembled stream data
(Suricata's rule), which the builder records on the compiled rule. The
inequality forms `!N` / `!=N` only match packets that carry a payload (Suricata
8.0.8 gives them its "requires payload" signature mask: `dsize:!10` skips an
empty packet); every other form is the plain integer comparison, so `<N`,
`!N-M` and the bitmask forms can match an empty payload.
"""

from __future__ import annotations

from sensor.detect.keywords.numeric import parse_uint_test
from sensor.detect.keywords.registry import PacketCheck, register


@register("dsize", "packet", "payload size of the packet (integer keyword)")
def setup_dsize(value: str | None) -> PacketCheck:
    mode, pred = parse_uint_test(value, "dsize", 65535)
    if mode == "ne":
        return lambda p: len(p.payload) > 0 and pred(len(p.payload))
    return lambda p: pred(len(p.payload))
