"""Unit tests for rules.thresholdconfig: every directive, wildcards, continuations, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from rules import RuleError, ThresholdEntry, VarTable, parse_threshold_config, parse_threshold_file


def parse_one(line: str) -> ThresholdEntry:
    config = parse_threshold_config([line], file="t.config")
    assert config.errors == []
    (entry,) = config.entries
    return entry


def error_of(line: str) -> RuleError:
    config = parse_threshold_config(["# first line", line], file="t.config")
    assert config.entries == []
    (err,) = config.errors
    return err


@pytest.mark.parametrize("directive", ["threshold", "event_filter"])
@pytest.mark.parametrize("kind", ["limit", "threshold", "both"])
@pytest.mark.parametrize("track", ["by_src", "by_dst", "by_rule", "by_both", "by_flow"])
def test_threshold_and_event_filter(directive: str, kind: str, track: str) -> None:
    entry = parse_one(
        f"{directive} gen_id 1, sig_id 2002087, type {kind}, track {track}, count 3, seconds 60"
    )
    assert entry == ThresholdEntry(directive, 1, 2002087, type=kind, track=track, count=3, seconds=60)
    assert entry.line == 1 and entry.file == "t.config"


def test_backoff_takes_multiplier() -> None:
    entry = parse_one("threshold gen_id 1, sig_id 5, type backoff, track by_flow, count 1, multiplier 10")
    assert (entry.type, entry.multiplier, entry.seconds) == ("backoff", 10, None)


def test_suppress_forms() -> None:
    assert parse_one("suppress gen_id 1, sig_id 2002087") == ThresholdEntry("suppress", 1, 2002087)
    entry = parse_one("suppress gen_id 1, sig_id 2003614, track by_src, ip 217.110.97.128/25")
    assert (entry.track, entry.ip) == ("by_src", "217.110.97.128/25")
    entry = parse_one(
        "suppress gen_id 1, sig_id 2003614, track by_either, ip [192.168.0.0/16,10.0.0.0/8, !10.1.1.1]"
    )
    assert entry.ip == "[192.168.0.0/16,10.0.0.0/8, !10.1.1.1]"
    assert parse_one("suppress gen_id 1, sig_id 1, track by_dst, ip $HOME_NET").ip == "$HOME_NET"


@pytest.mark.parametrize("action", ["alert", "drop", "pass", "reject", "sdrop", "log"])
def test_rate_filter(action: str) -> None:
    entry = parse_one(
        "rate_filter gen_id 1, sig_id 1000, track by_rule, count 100, seconds 60, "
        f"new_action {action}, timeout 30"
    )
    assert entry == ThresholdEntry(
        "rate_filter", 1, 1000, track="by_rule", count=100, seconds=60, new_action=action, timeout=30
    )


def test_wildcards_and_applies_to() -> None:
    everything = parse_one("threshold gen_id 0, sig_id 0, type limit, track by_src, count 1, seconds 10")
    gen1 = parse_one("suppress gen_id 1, sig_id 0")
    one = parse_one("suppress gen_id 1, sig_id 7")
    assert everything.applies_to(3, 99) and gen1.applies_to(1, 99) and not gen1.applies_to(2, 99)
    assert one.applies_to(1, 7) and not one.applies_to(1, 8)


def test_continuations_comments_and_order() -> None:
    config = parse_threshold_config(
        [
            "# header\n",
            "\n",
            "rate_filter gen_id 1, sig_id 888, track by_src, count 10, seconds 60, \\\n",
            "    new_action drop, timeout 300\n",
            "suppress gen_id 1, sig_id 2\n",
            "threshold gen_id 1, sig_id 3, type limit, track by_dst, count 1, seconds 15\n",
        ]
    )
    assert config.errors == []
    assert [(e.kind, e.sig_id, e.line) for e in config.entries] == [
        ("rate_filter", 888, 3),
        ("suppress", 2, 5),
        ("threshold", 3, 6),
    ]


@pytest.mark.parametrize(
    ("line", "keyword", "reason"),
    [
        ("limit gen_id 1, sig_id 2", "limit", "unknown directive"),
        ("threshold gen_id 1, sig_id 2, type limit, track by_src, count 1", "seconds", "missing field"),
        (
            "threshold gen_id 1, sig_id 2, type often, track by_src, count 1, seconds 1",
            "type",
            "must be one of",
        ),
        (
            "threshold gen_id 1, sig_id 2, type limit, track by_ip, count 1, seconds 1",
            "track",
            "must be one of",
        ),
        (
            "threshold gen_id 1, sig_id 2, type limit, track by_src, count x, seconds 1",
            "count",
            "non-negative integer",
        ),
        (
            "threshold gen_id 1, sig_id 2, type limit, track by_src, count 1, seconds 1, foo 2",
            "foo",
            "unknown field",
        ),
        ("suppress gen_id 1, sig_id 2, gen_id 1", "gen_id", "duplicate field"),
        ("suppress gen_id 1, sig_id 2, track by_src", "track", "both 'track' and 'ip'"),
        ("suppress gen_id 1, sig_id 2, track by_rule, ip 1.2.3.4", "track", "must be one of"),
        ("suppress gen_id 1, sig_id 2, track by_src, ip 1.2.3", "ip", "bad address"),
        ("suppress gen_id 1, sig_id 2,", "threshold.config", "expected 'name value'"),
        (
            "rate_filter gen_id 1, sig_id 2, track by_src, count 1, seconds 1, new_action block, timeout 1",
            "new_action",
            "must be one of",
        ),
    ],
)
def test_errors_name_file_line_sid_keyword(line: str, keyword: str, reason: str) -> None:
    err = error_of(line)
    assert (err.file, err.line, err.keyword) == ("t.config", 2, keyword)
    assert reason in err.reason
    assert err.sid == 2
    assert str(err).startswith(f"t.config:2 sid=2 keyword={keyword}: ")


def test_errors_do_not_stop_parsing() -> None:
    config = parse_threshold_config(["bogus 1", "suppress gen_id 1, sig_id 9", "suppress gen_id x, sig_id 1"])
    assert [e.sig_id for e in config.entries] == [9]
    assert [e.line for e in config.errors] == [1, 3]


def test_parse_threshold_file(tmp_path: Path) -> None:
    path = tmp_path / "threshold.config"
    path.write_text("suppress gen_id 1, sig_id 9\n")
    (entry,) = parse_threshold_file(str(path))
    assert entry.file == str(path) and entry.line == 1
    path.write_text("suppress gen_id 1, sig_id 9\nsuppress gen_id 1\n")
    with pytest.raises(RuleError, match=r"threshold.config:2 .*missing field\(s\): sig_id"):
        parse_threshold_file(str(path))


def test_resolve_ip_against_variables() -> None:
    table = VarTable.defaults()
    entry = parse_one("suppress gen_id 1, sig_id 7, track by_src, ip [$HOME_NET, !10.0.0.1]")
    matcher = entry.resolve_ip(table)
    assert matcher is not None
    assert matcher.contains(4, bytes([10, 0, 0, 2])) and not matcher.contains(4, bytes([10, 0, 0, 1]))
    assert parse_one("suppress gen_id 1, sig_id 7").resolve_ip(table) is None
    with pytest.raises(RuleError) as info:
        parse_one("suppress gen_id 1, sig_id 7, track by_dst, ip $NOPE").resolve_ip(table)
    assert str(info.value) == "t.config:1 sid=7 keyword=ip: undefined address variable $NOPE"
