"""Unit tests for sensor.detect.threshold: rule threshold / detection_filter options and
threshold.config entries (suppress, threshold/event_filter overrides, rate_filter).

Each type x track is driven by packet-time sequences; memory bounds are checked too.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import pytest

from rules.thresholdconfig import ThresholdEntry
from rules.vars import VarTable
from sensor.decode.packet import Packet
from sensor.detect.threshold import (
    ALERT,
    DISCARD,
    SILENT,
    AlertVerdict,
    ThresholdEngine,
)
from sensor.errors import ConfigError, RuleCompileError, UnsupportedRule

S = 1_000_000  # one second in microseconds
SID, GID = 1000, 1


class FakeFlow:
    """Stand-in for sensor.flow's Flow."""

    def __init__(self) -> None:
        self.flowbits: set[str] = set()
        self.flowints: dict[str, int] = {}


def pkt(src: str = "10.0.0.1", dst: str = "10.0.0.2", flow: object = None) -> Packet:
    p = Packet(0, 1, 1, b"")
    p.src = ipaddress.ip_address(src).packed
    p.dst = ipaddress.ip_address(dst).packed
    p.ip_version = 4 if len(p.src) == 4 else 6
    p.flow = flow
    return p


def engine_with(
    value: str, kind: str = "threshold", entries: Sequence[ThresholdEntry] = (), max_entries: int = 65536
) -> ThresholdEngine:
    engine = ThresholdEngine(entries, max_entries=max_entries)
    engine.add_rule_threshold(SID, GID, value, kind)
    return engine


def run(
    engine: ThresholdEngine, times_s: Sequence[float], p: Packet | None = None, sid: int = SID
) -> list[AlertVerdict]:
    p = p or pkt()
    return [engine.allow(sid, GID, p, int(t * S)) for t in times_s]


def alerts(verdicts: Sequence[AlertVerdict]) -> list[int]:
    """1-based positions of the matches that alert."""
    return [i + 1 for i, v in enumerate(verdicts) if v.alert]


# ---- no thresholding --------------------------------------------------------------------


def test_no_threshold_always_alerts() -> None:
    assert run(ThresholdEngine(), [0, 0, 1]) == [ALERT, ALERT, ALERT]


def test_non_ip_packet_skips_thresholding() -> None:
    engine = engine_with("type limit, track by_src, count 1, seconds 60")
    non_ip = Packet(0, 1, 1, b"")
    assert run(engine, [0, 1, 2], non_ip) == [ALERT, ALERT, ALERT]


# ---- threshold keyword: type limit ------------------------------------------------------


def test_limit_count1_first_alert_per_minute_per_src() -> None:
    engine = engine_with("type limit, track by_src, count 1, seconds 60")
    a, b = pkt("10.0.0.1"), pkt("10.0.0.9")
    assert engine.allow(SID, GID, a, 0) == ALERT
    assert engine.allow(SID, GID, a, 10 * S) == SILENT  # action still applies, no alert
    assert engine.allow(SID, GID, b, 11 * S) == ALERT  # other source: own tracker
    assert engine.allow(SID, GID, a, 60 * S - 1) == SILENT
    assert engine.allow(SID, GID, a, 60 * S) == ALERT  # window [0, 60s) over: new window
    assert engine.allow(SID, GID, a, 61 * S) == SILENT


def test_limit_count5() -> None:
    """Suricata unit test DetectThresholdTestSig1: limit 5 over 8 matches -> 5 alerts."""
    engine = engine_with("type limit, track by_dst, count 5, seconds 60")
    assert alerts(run(engine, [0] * 8)) == [1, 2, 3, 4, 5]


def test_limit_by_dst_keys_on_destination() -> None:
    engine = engine_with("type limit, track by_dst, count 1, seconds 60")
    assert engine.allow(SID, GID, pkt("1.1.1.1", "2.2.2.2"), 0).alert
    assert not engine.allow(SID, GID, pkt("3.3.3.3", "2.2.2.2"), S).alert
    assert engine.allow(SID, GID, pkt("1.1.1.1", "4.4.4.4"), 2 * S).alert


def test_limit_by_both_is_symmetric() -> None:
    engine = engine_with("type limit, track by_both, count 1, seconds 60")
    assert engine.allow(SID, GID, pkt("1.1.1.1", "2.2.2.2"), 0).alert
    assert not engine.allow(SID, GID, pkt("2.2.2.2", "1.1.1.1"), S).alert
    assert engine.allow(SID, GID, pkt("1.1.1.1", "3.3.3.3"), 2 * S).alert


def test_limit_by_rule_ignores_addresses() -> None:
    engine = engine_with("type limit, track by_rule, count 2, seconds 60")
    verdicts = [engine.allow(SID, GID, pkt(f"10.0.0.{i}", f"10.1.0.{i}"), i * S) for i in range(1, 5)]
    assert alerts(verdicts) == [1, 2]


def test_limit_by_flow() -> None:
    engine = engine_with("type limit, track by_flow, count 1, seconds 60")
    f1, f2 = FakeFlow(), FakeFlow()
    assert engine.allow(SID, GID, pkt(flow=f1), 0).alert
    assert not engine.allow(SID, GID, pkt(flow=f1), S).alert
    assert engine.allow(SID, GID, pkt(flow=f2), 2 * S).alert
    assert engine.allow(SID, GID, pkt(flow=None), 3 * S) == DISCARD  # by_flow needs a flow


def test_limit_is_tracked_per_rule() -> None:
    engine = ThresholdEngine()
    engine.add_rule_threshold(1, GID, "type limit, track by_src, count 1, seconds 60", "threshold")
    engine.add_rule_threshold(2, GID, "type limit, track by_src, count 1, seconds 60", "threshold")
    p = pkt()
    assert engine.allow(1, GID, p, 0).alert
    assert engine.allow(2, GID, p, 0).alert
    assert not engine.allow(1, GID, p, S).alert


def test_ipv6_sources_are_tracked() -> None:
    engine = engine_with("type limit, track by_src, count 1, seconds 60")
    assert engine.allow(SID, GID, pkt("2001:db8::1", "2001:db8::2"), 0).alert
    assert not engine.allow(SID, GID, pkt("2001:db8::1", "2001:db8::3"), S).alert
    assert engine.allow(SID, GID, pkt("2001:db8::9", "2001:db8::2"), S).alert


# ---- type threshold ---------------------------------------------------------------------


def test_threshold_every_cth_match_in_window() -> None:
    """Suricata unit test DetectThresholdTestSig2: threshold 5 over 10 matches -> 2 alerts."""
    engine = engine_with("type threshold, track by_dst, count 5, seconds 60")
    verdicts = run(engine, [0] * 10)
    assert alerts(verdicts) == [5, 10]
    assert verdicts[0] == DISCARD  # below the threshold neither alert nor action


def test_threshold_window_resets_count() -> None:
    engine = engine_with("type threshold, track by_src, count 3, seconds 10")
    # two matches, then the window [0, 10s) ends; the count starts again at 10s
    assert alerts(run(engine, [0, 5, 10, 11, 12])) == [5]


def test_threshold_count1_always_alerts() -> None:
    engine = engine_with("type threshold, track by_src, count 1, seconds 60")
    assert run(engine, [0, 1, 2]) == [ALERT, ALERT, ALERT]
    assert engine.size == 0  # nothing to track


# ---- type both --------------------------------------------------------------------------


def test_both_alerts_once_per_window_after_count() -> None:
    engine = engine_with("type both, track by_src, count 3, seconds 60")
    verdicts = run(engine, [0, 1, 2, 3, 4, 60, 61, 62])
    assert verdicts[:5] == [DISCARD, DISCARD, ALERT, SILENT, SILENT]
    assert verdicts[5:] == [DISCARD, DISCARD, ALERT]


def test_both_count1() -> None:
    engine = engine_with("type both, track by_src, count 1, seconds 60")
    assert run(engine, [0, 1, 60, 61]) == [ALERT, SILENT, ALERT, SILENT]


# ---- type backoff -----------------------------------------------------------------------


def test_backoff_count1_multiplier10() -> None:
    engine = engine_with("type backoff, track by_flow, count 1, multiplier 10")
    flow = FakeFlow()
    verdicts = run(engine, [i * 0.001 for i in range(120)], pkt(flow=flow))
    assert alerts(verdicts) == [1, 10, 100]
    assert verdicts[1] == SILENT


def test_backoff_count5_multiplier5_first_match_discarded() -> None:
    engine = engine_with("type backoff, track by_flow, count 5, multiplier 5")
    verdicts = run(engine, [0] * 30, pkt(flow=FakeFlow()))
    assert alerts(verdicts) == [5, 25]
    assert verdicts[0] == DISCARD  # Suricata: no action on the first match when count > 1
    assert verdicts[1] == SILENT


# ---- detection_filter ---------------------------------------------------------------------


def test_detection_filter_alerts_every_match_after_count() -> None:
    """Suricata unit test DetectDetectionFilterTestSig1: count 4 over 8 matches -> 4 alerts."""
    engine = engine_with("track by_dst, count 4, seconds 60", "detection_filter")
    verdicts = run(engine, [0] * 8)
    assert alerts(verdicts) == [5, 6, 7, 8]
    assert verdicts[0] == DISCARD


def test_detection_filter_window_resets() -> None:
    """DetectDetectionFilterTestSig2: 3 matches, 200 s later 4 more -> no alert."""
    engine = engine_with("track by_dst, count 4, seconds 60", "detection_filter")
    assert alerts(run(engine, [0, 0, 0, 200, 200, 200, 200])) == []


def test_detection_filter_any_order() -> None:
    engine = engine_with("seconds 60,count 1 ,track by_src", "detection_filter")
    assert alerts(run(engine, [0, 1, 2])) == [2, 3]


# ---- option parsing -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (None, "threshold"),
        ("", "threshold"),
        ("type limit, track by_src, count 1", "threshold"),  # seconds missing
        ("type limit, track by_src, seconds 60", "threshold"),  # count missing
        ("track by_src, count 1, seconds 60", "threshold"),  # type missing
        ("type any, track by_src, count 1, seconds 60", "threshold"),
        ("type limit, track by_either, count 1, seconds 60", "threshold"),
        ("type limit, track by_src, count 1, seconds 60, count 2", "threshold"),
        ("type limit, track by_src, count 0, seconds 60", "threshold"),
        ("type limit, track by_src, count x, seconds 60", "threshold"),
        ("type limit, track by_src, count -1, seconds 60", "threshold"),
        ("type limit, track by_src, count 4294967296, seconds 60", "threshold"),
        ("type limit, track by_src, count 1, seconds 60, foo 1", "threshold"),
        ("type limit track by_src, count 1, seconds 60", "threshold"),
        ("type limit, track by_src, count 1, multiplier 2", "threshold"),
        ("type backoff, track by_src, count 1, multiplier 10", "threshold"),  # backoff needs by_flow
        ("type backoff, track by_flow, count 1, seconds 10", "threshold"),
        ("type backoff, track by_flow, count 1, multiplier 1", "threshold"),
        ("track by_src, count 0, seconds 60", "detection_filter"),
        ("track by_src, count 1, seconds 0", "detection_filter"),
        ("track by_src, count 1", "detection_filter"),
        ("type limit, track by_src, count 1, seconds 60", "detection_filter"),
        ("track by_src, count 1, seconds 60", "tag"),
    ],
)
def test_rule_option_errors(value: str | None, kind: str) -> None:
    with pytest.raises(RuleCompileError) as info:
        ThresholdEngine().add_rule_threshold(SID, GID, value, kind)
    assert info.value.keyword == kind


def test_unique_on_is_unsupported() -> None:
    with pytest.raises(UnsupportedRule):
        ThresholdEngine().add_rule_threshold(
            SID, GID, "track by_dst, count 10, seconds 60, unique_on dst_port", "detection_filter"
        )


def test_one_threshold_item_per_rule() -> None:
    engine = engine_with("type limit, track by_src, count 1, seconds 60")
    with pytest.raises(RuleCompileError, match="at most one"):
        engine.add_rule_threshold(SID, GID, "track by_src, count 1, seconds 60", "detection_filter")


# ---- threshold.config: suppress -----------------------------------------------------------


def suppress(
    track: str | None = None, ip: str | None = None, sig_id: int = SID, gen_id: int = GID
) -> ThresholdEntry:
    return ThresholdEntry("suppress", gen_id, sig_id, track=track, ip=ip)


@pytest.mark.parametrize(
    ("spec", "suppressed", "allowed"),
    [
        ("209.132.180.67", "209.132.180.67", "209.132.180.68"),
        ("217.110.97.128/25", "217.110.97.200", "217.110.97.127"),
        ("[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]", "172.16.5.5", "172.32.0.1"),
        ("[10.0.0.0/8, !10.1.0.0/16]", "10.2.0.1", "10.1.2.3"),
        ("2001:db8::/32", "2001:db8::1", "2001:db9::1"),
        ("$HOME_NET", "192.168.1.1", "8.8.8.8"),
    ],
)
def test_suppress_by_src_with_resolved_address_specs(spec: str, suppressed: str, allowed: str) -> None:
    """The ip of a suppress entry is resolved against the rule variables (rules.vars)."""
    engine = ThresholdEngine([suppress("by_src", spec)], variables=VarTable({"HOME_NET": "[192.168.0.0/16]"}, {}))
    other = "2001:db8:ffff::1" if ":" in suppressed else "198.51.100.1"
    assert engine.allow(SID, GID, pkt(suppressed, other), 0) == SILENT
    assert engine.allow(SID, GID, pkt(allowed, other), 0) == ALERT
    assert engine.allow(SID + 1, GID, pkt(suppressed, other), 0) == ALERT  # other rule


def test_suppress_by_dst_and_by_either() -> None:
    engine = ThresholdEngine([suppress("by_dst", "10.0.0.2/32")])
    assert engine.allow(SID, GID, pkt("10.0.0.1", "10.0.0.2"), 0) == SILENT
    assert engine.allow(SID, GID, pkt("10.0.0.2", "10.0.0.1"), 0) == ALERT
    either = ThresholdEngine([suppress("by_either", "10.0.0.2/32")])
    assert either.allow(SID, GID, pkt("10.0.0.2", "10.0.0.1"), 0) == SILENT
    assert either.allow(SID, GID, pkt("10.0.0.1", "10.0.0.2"), 0) == SILENT
    assert either.allow(SID, GID, pkt("10.0.0.1", "10.0.0.3"), 0) == ALERT


def test_suppress_wildcards() -> None:
    all_rules = ThresholdEngine([suppress("by_src", "10.0.0.1/32", sig_id=0, gen_id=0)])
    assert all_rules.allow(5, 7, pkt("10.0.0.1"), 0) == SILENT
    gid1 = ThresholdEngine([suppress("by_src", "10.0.0.1/32", sig_id=0, gen_id=1)])
    assert gid1.allow(5, 1, pkt("10.0.0.1"), 0) == SILENT
    assert gid1.allow(5, 2, pkt("10.0.0.1"), 0) == ALERT


def test_suppress_without_track_is_noalert_but_thresholds_still_count() -> None:
    engine = engine_with("type threshold, track by_src, count 2, seconds 60", entries=[suppress()])
    assert run(engine, [0, 1, 2, 3]) == [DISCARD, SILENT, DISCARD, SILENT]
    no_threshold = ThresholdEngine([suppress()])
    assert run(no_threshold, [0]) == [SILENT]
    assert no_threshold.allow(SID, GID, Packet(0, 1, 1, b""), 0) == SILENT  # non-IP too


def test_suppress_match_does_not_advance_threshold() -> None:
    engine = engine_with(
        "type limit, track by_dst, count 1, seconds 60", entries=[suppress("by_src", "10.0.0.66/32")]
    )
    assert engine.allow(SID, GID, pkt("10.0.0.66", "10.0.0.2"), 0) == SILENT
    assert engine.allow(SID, GID, pkt("10.0.0.1", "10.0.0.2"), S) == ALERT  # limit untouched so far
    assert engine.allow(SID, GID, pkt("10.0.0.1", "10.0.0.2"), 2 * S) == SILENT


# ---- threshold.config: threshold / event_filter -------------------------------------------


def event(
    kind: str = "threshold",
    sig_id: int = SID,
    gen_id: int = GID,
    type: str = "limit",
    track: str = "by_src",
    count: int = 1,
    seconds: int = 60,
) -> ThresholdEntry:
    return ThresholdEntry(kind, gen_id, sig_id, type=type, track=track, count=count, seconds=seconds)


def test_global_threshold_replaces_rule_threshold() -> None:
    engine = engine_with(
        "type threshold, track by_src, count 10, seconds 60", entries=[event(type="limit", count=3)]
    )
    assert alerts(run(engine, [0] * 5)) == [1, 2, 3]


def test_global_event_filter_replaces_rule_detection_filter() -> None:
    engine = engine_with(
        "track by_src, count 10, seconds 60",
        "detection_filter",
        entries=[event("event_filter", type="limit", count=1)],
    )
    assert alerts(run(engine, [0, 1, 2])) == [1]


def test_last_specific_threshold_wins() -> None:
    engine = ThresholdEngine([event(count=1), event(count=2)])
    assert alerts(run(engine, [0] * 4)) == [1, 2]


def test_global_threshold_applies_to_rule_without_threshold() -> None:
    engine = ThresholdEngine([event(type="both", count=2)])
    assert run(engine, [0, 1, 2]) == [DISCARD, ALERT, SILENT]


def test_wildcard_does_not_override_rule_threshold() -> None:
    engine = engine_with(
        "type limit, track by_src, count 2, seconds 60",
        entries=[event(sig_id=0, gen_id=0, type="limit", count=1)],
    )
    assert alerts(run(engine, [0, 1, 2])) == [1, 2]  # rule's own limit 2 kept
    assert alerts(run(engine, [0, 1, 2], sid=77)) == [1]  # wildcard for the rest


def test_wildcard_gid_scope_and_first_wildcard_wins() -> None:
    engine = ThresholdEngine(
        [
            event(sig_id=0, gen_id=2, type="limit", count=1),
            event(sig_id=0, gen_id=0, type="limit", count=2),
        ]
    )
    p = pkt()
    assert [engine.allow(5, 2, p, i).alert for i in range(3)] == [True, False, False]
    assert [engine.allow(5, 1, p, i).alert for i in range(3)] == [True, True, False]


def test_specific_threshold_after_wildcard_replaces_it() -> None:
    engine = ThresholdEngine([event(sig_id=0, gen_id=0, count=1), event(count=3)])
    assert alerts(run(engine, [0] * 4)) == [1, 2, 3]


def test_global_backoff_entry() -> None:
    entry = ThresholdEntry("event_filter", GID, SID, type="backoff", track="by_flow", count=1, multiplier=3)
    engine = ThresholdEngine([entry])
    assert alerts(run(engine, [0] * 10, pkt(flow=FakeFlow()))) == [1, 3, 9]


# ---- threshold.config: rate_filter --------------------------------------------------------


def rate(
    track: str = "by_src",
    count: int = 2,
    seconds: int = 60,
    new_action: str = "drop",
    timeout: int = 30,
    sig_id: int = SID,
) -> ThresholdEntry:
    return ThresholdEntry(
        "rate_filter",
        GID,
        sig_id,
        track=track,
        count=count,
        seconds=seconds,
        new_action=new_action,
        timeout=timeout,
    )


def test_rate_filter_changes_action_then_times_out() -> None:
    engine = ThresholdEngine([rate()])
    p = pkt()
    dropped = AlertVerdict(True, True, "drop")
    assert engine.allow(SID, GID, p, 0) == ALERT
    assert engine.allow(SID, GID, p, 1 * S) == ALERT
    assert engine.allow(SID, GID, p, 2 * S) == dropped  # count 2 exceeded within 60 s
    assert engine.allow(SID, GID, p, 3 * S) == dropped
    assert engine.allow(SID, GID, p, 32 * S) == dropped  # 30 s after activation: still active
    assert engine.allow(SID, GID, p, 33 * S) == ALERT  # > 30 s: back to the rule's action
    assert engine.allow(SID, GID, p, 34 * S) == dropped  # window [0, 60s) still over count


def test_rate_filter_by_rule_and_window_reset() -> None:
    engine = ThresholdEngine([rate(track="by_rule", count=1, seconds=10, new_action="pass", timeout=5)])
    assert engine.allow(SID, GID, pkt("1.1.1.1"), 0) == ALERT
    assert engine.allow(SID, GID, pkt("2.2.2.2"), 20 * S) == ALERT  # window over: reset
    assert engine.allow(SID, GID, pkt("3.3.3.3"), 21 * S) == AlertVerdict(True, True, "pass")


def test_rate_filter_ignored_when_rule_has_threshold() -> None:
    engine = engine_with("type limit, track by_src, count 1, seconds 60", entries=[rate(count=1)])
    assert run(engine, [0, 1, 2]) == [ALERT, SILENT, SILENT]


def test_rate_filter_sdrop_is_parsed_but_keeps_action() -> None:
    engine = ThresholdEngine([rate(count=1, new_action="sdrop")])
    assert run(engine, [0, 1, 2]) == [ALERT, ALERT, ALERT]


def test_suppress_all_with_rate_filter_keeps_new_action() -> None:
    engine = ThresholdEngine([rate(count=1), suppress()])
    assert run(engine, [0, 1]) == [SILENT, AlertVerdict(False, True, "drop")]


# ---- threshold.config validation ----------------------------------------------------------


@pytest.mark.parametrize(
    "entry",
    [
        ThresholdEntry("limit", GID, SID),
        ThresholdEntry("threshold", 0, 5, type="limit", track="by_src", count=1, seconds=1),
        ThresholdEntry("threshold", GID, SID, type="backoff", track="by_flow", count=1, seconds=1),
        ThresholdEntry("threshold", GID, SID, type="backoff", track="by_src", count=1, multiplier=2),
        ThresholdEntry("threshold", GID, SID, type="backoff", track="by_flow", count=1, multiplier=1),
        ThresholdEntry("threshold", GID, SID, type="limit", track="by_src", count=1, seconds=1, multiplier=2),
        ThresholdEntry("threshold", GID, SID, type="limit", track="by_either", count=1, seconds=1),
        ThresholdEntry("threshold", GID, SID, type="limit", track="by_src", count=0, seconds=1),
        ThresholdEntry("threshold", GID, SID, type="limit", track="by_src", count=1),
        ThresholdEntry(
            "rate_filter", GID, SID, track="by_src", count=1, seconds=1, new_action="block", timeout=1
        ),
        ThresholdEntry("rate_filter", GID, SID, track="by_src", count=1, seconds=1, new_action="drop"),
        ThresholdEntry("suppress", GID, SID, ip="1.2.3.4/32"),
        ThresholdEntry("suppress", GID, SID, track="by_src"),
        ThresholdEntry("suppress", GID, SID, track="by_rule", ip="1.2.3.4/32"),
    ],
)
def test_bad_global_entries(entry: ThresholdEntry) -> None:
    with pytest.raises(ConfigError, match="threshold.config"):
        ThresholdEngine([entry])


# ---- bounded memory -----------------------------------------------------------------------


def test_expired_trackers_are_evicted_by_packet_time() -> None:
    engine = engine_with("type limit, track by_src, count 1, seconds 10")
    for i in range(5):
        engine.allow(SID, GID, pkt(f"10.0.0.{i + 1}"), 0)
    assert engine.size == 5
    engine.allow(SID, GID, pkt("10.0.1.1"), 9 * S)  # still inside everyone's window
    assert engine.size == 6
    engine.allow(SID, GID, pkt("10.0.1.2"), 10 * S)  # the first five expired at 10 s
    assert engine.size == 2
    assert engine.expired_total == 5


def test_table_is_capped_and_evicts_oldest() -> None:
    engine = engine_with("type limit, track by_src, count 1, seconds 3600", max_entries=3)
    for i in range(5):
        assert engine.allow(SID, GID, pkt(f"10.0.0.{i + 1}"), i).alert
    assert engine.size == 3
    assert engine.evicted_full_total == 2
    assert engine.allow(SID, GID, pkt("10.0.0.1"), 10).alert  # its tracker was evicted
    assert not engine.allow(SID, GID, pkt("10.0.0.5"), 11).alert  # still tracked


def test_release_flow_forgets_by_flow_trackers() -> None:
    engine = engine_with("type backoff, track by_flow, count 1, multiplier 2")
    flow = FakeFlow()
    p = pkt(flow=flow)
    assert run(engine, [0, 0, 0], p) == [ALERT, ALERT, SILENT]
    assert engine.size == 1
    engine.release_flow(flow)
    assert engine.size == 0
    assert run(engine, [1], p) == [ALERT]  # a fresh count


def test_max_entries_must_be_positive() -> None:
    with pytest.raises(ConfigError):
        ThresholdEngine(max_entries=0)
