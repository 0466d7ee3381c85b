"""The one table of rule keywords the engine knows (Suricata's `sigmatch_table` idea).

Every option name a rule may carry is either registered here with its kind,
or it is unknown. Kinds tell the builder (`sensor.detect.build`) where an
option goes:

    meta       rule identity and output only (msg, sid, classtype, metadata, ...)
    payload    content inspection of the current buffer (compiled by sensor.detect.inspect)
    packet     a predicate over the decoded packet (ttl, flags, itype, ...): setup -> check(pkt)
    flow       a predicate over the packet's flow state (flow, flowbits, flowint)
    event      decode/anomaly events (decode-event)
    threshold  alert-rate control (threshold, detection_filter)
    buffer     a sticky buffer switch (pkt_data; app-layer buffers are listed as unsupported)

`pehredar rules keywords` lists this table and docs/rules.md is generated from it.
Setup functions run at load time only; the closures they return run per packet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PacketCheck = Callable[[Any], bool]


@dataclass(frozen=True, slots=True)
class Keyword:
    """One registered rule keyword."""

    name: str
    kind: str
    doc: str
    setup: Callable[[str | None], Any] | None = None
    needs_value: bool = True


KEYWORDS: dict[str, Keyword] = {}


def register(name: str, kind: str, doc: str, *, needs_value: bool = True, aliases: tuple[str, ...] = ()) -> Callable[
    [Callable[[str | None], Any]], Callable[[str | None], Any]
]:
    """Decorator registering a keyword's setup function under `name` (and aliases)."""

    def wrap(setup: Callable[[str | None], Any]) -> Callable[[str | None], Any]:
        for n in (name, *aliases):
            KEYWORDS[n] = Keyword(n, kind, doc, setup, needs_value)
        return setup

    return wrap


def declare(name: str, kind: str, doc: str, *, needs_value: bool = True) -> None:
    """Register a keyword whose handling lives in the builder itself (meta, payload, buffers)."""
    KEYWORDS[name] = Keyword(name, kind, doc, None, needs_value)
