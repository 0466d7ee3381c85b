"""The detection engine at run time: prefilter, verify, post-match, threshold.

Step 5 of 10 (detection), the per-packet half. `DetectEngine.inspect(pkt)`
returns the rules that alert on this packet, in Suricata's order (the rule
number assigned by `detect.order`). A matching `pass` rule alerts nothing and
stops inspection of the packet; an IP-only or stream match passes the rest of
its flow too (pass rules sort first). Flowbits/flowint actions run on every
full match, alerting or not (noalert, thresholds). Hot path: no logging, no
exceptions for packet content; per-packet alerts are capped (Suricata's
packet_alert_max) and the overflow is counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sensor.detect.build import CompiledRule
from sensor.detect.inspect import MatchState
from sensor.detect.mask import (
    NEED_ESTABLISHED,
    NEED_EVENTS,
    NEED_FLOW,
    NEED_NOT_ESTABLISHED,
    NEED_PAYLOAD,
    NEED_TO_CLIENT,
    NEED_TO_SERVER,
)
from sensor.detect.prefilter import Prefilter
from sensor.detect.threshold import ThresholdEngine

PACKET_ALERT_MAX = 15


class Alerted:
    """One alert decision: the rule and the action to report (rate_filter may change it)."""

    __slots__ = ("action", "rule")

    def __init__(self, rule: CompiledRule, action: str) -> None:
        self.rule = rule
        self.action = action


_DROP_ACTIONS = frozenset({"drop", "reject", "rejectsrc", "rejectdst", "rejectboth"})


class DetectEngine:
    """Compiled rules plus their prefilters and threshold state.

    In IPS mode a matching drop/reject rule drops the packet; for IP-only rules and
    stream matches it also marks the flow dropped (`flow.detect_state["drop"]`) and
    the replay loop drops the rest of the flow uninspected, as Suricata does.
    """

    def __init__(self, rules: Sequence[CompiledRule], thresholds: ThresholdEngine, *, ips_mode: bool = False) -> None:
        self.rules = list(rules)
        self.prefilter = Prefilter(self.rules)
        self.thresholds = thresholds
        self.ips_mode = ips_mode
        self.stats = {"candidates": 0, "matches": 0, "alerts_suppressed": 0, "alerts_overflow": 0, "drops": 0}

    def inspect(self, pkt: Any) -> Sequence[Alerted]:
        """Run detection for one decoded packet (flow already attached)."""
        flow = pkt.flow
        # a flow-end pseudo packet runs only the rules that inspect payload (stream data)
        eof = pkt.stream_eof
        iponly_due = not eof
        if pkt.to_server:
            mask = NEED_TO_SERVER
            iponly_key = "iponly_toserver"
        else:
            mask = NEED_TO_CLIENT
            iponly_key = "iponly_toclient"
        if pkt.established:
            mask |= NEED_ESTABLISHED
        elif flow is not None:
            mask |= NEED_NOT_ESTABLISHED
        if pkt.payload or pkt.stream_chunks is not None:
            mask |= NEED_PAYLOAD
        if pkt.events:
            mask |= NEED_EVENTS
        if flow is not None:
            mask |= NEED_FLOW
            state = flow.detect_state
            if iponly_key in state:
                iponly_due = False
            elif iponly_due:
                state[iponly_key] = True
        cands = self.prefilter.candidates(pkt, mask, iponly_due)
        if not cands:
            return ()
        stats = self.stats
        stats["candidates"] += len(cands)
        rules = self.rules
        thresholds = self.thresholds
        out: list[Alerted] = []
        for num in cands:
            cr = rules[num]
            if (cr.iponly and not iponly_due) or (eof and cr.payload is None):
                continue
            state = MatchState()
            if not cr.match_body(pkt, state):
                continue
            stats["matches"] += 1
            if cr.postmatch and flow is not None:
                for act in cr.postmatch:
                    act(flow)
            action = cr.action
            alert = not cr.noalert
            if cr.has_threshold or thresholds.active:
                verdict = thresholds.allow(cr.sid, cr.gid, pkt, pkt.ts_us)
                if not verdict.apply_action:
                    stats["alerts_suppressed"] += 1
                    continue
                if verdict.action:
                    action = verdict.action
                if not verdict.alert:
                    stats["alerts_suppressed"] += 1
                    alert = False
            # a pass or drop reaches the rest of the flow for IP-only rules and stream matches;
            # a packet keyword or packet payload match affects this packet only (Suricata 8)
            flow_wide = flow is not None and (cr.iponly or cr.like_iponly or state.stream_match)
            if action == "pass":
                if flow_wide:
                    flow.detect_state["pass"] = True
                break
            if self.ips_mode and action in _DROP_ACTIONS:
                stats["drops"] += 1
                if flow_wide:
                    flow.detect_state["drop"] = True
            if not alert:
                continue
            if len(out) >= PACKET_ALERT_MAX:
                stats["alerts_overflow"] += 1
                continue
            out.append(Alerted(cr, action))
        return out
