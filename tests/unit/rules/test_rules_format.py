"""Unit tests for rules.format: canonical text for each AST form."""

from __future__ import annotations

from rules import format_rule, parse_rule


def test_canonical_spacing_and_groups() -> None:
    text = (
        "alert  tcp [10.0.0.0/8, !10.0.0.5]  [80: 82 , !81] <> !$HOME_NET any "
        '( msg : "x\\;y" ;nocase; sid:1 ; )'
    )
    assert format_rule(parse_rule(text)) == (
        'alert tcp [10.0.0.0/8,!10.0.0.5] [80:82,!81] <> !$HOME_NET any (msg:"x\\;y"; nocase; sid:1;)'
    )


def test_disabled_rule_and_open_ranges() -> None:
    text = "#alert udp any :1024 -> ![1.1.1.1,[2.2.2.2]] 1024: (sid:2; rev:3;)"
    assert (
        format_rule(parse_rule(text)) == "# alert udp any :1024 -> ![1.1.1.1,[2.2.2.2]] 1024: (sid:2; rev:3;)"
    )


def test_fixed_point() -> None:
    text = 'drop http1:request_line any any => [::1, 10.0.0.1-10.0.0.9] $HTTP_PORTS (content:"a;b"; sid:4;)'
    once = format_rule(parse_rule(text))
    assert format_rule(parse_rule(once)) == once
    assert parse_rule(once) == parse_rule(text)
