"""Unit tests for rules.lexer: rule splitting, header tokens, option splitting, unescape."""

from __future__ import annotations

import pytest

from rules import RuleError
from rules.lexer import split_header, split_options, split_rule, unescape


def test_split_rule_uses_first_open_and_last_close() -> None:
    assert split_rule('alert ip any any -> any any (pcre:"/(a)/"; sid:1;)  ') == (
        "alert ip any any -> any any ",
        'pcre:"/(a)/"; sid:1;',
    )


def test_split_header_keeps_bracket_groups_together() -> None:
    assert split_header("  tcp [1.2.3.4, 5.6.7.8] [80: 82, 443]  ->  any any ") == [
        "tcp",
        "[1.2.3.4, 5.6.7.8]",
        "[80: 82, 443]",
        "->",
        "any",
        "any",
    ]
    assert split_header("tcp any any -> any any") == ["tcp", "any", "any", "->", "any", "any"]


@pytest.mark.parametrize("header", ["tcp [1.2.3.4 any", "tcp 1.2.3.4] any"])
def test_split_header_unbalanced(header: str) -> None:
    with pytest.raises(RuleError, match="unbalanced"):
        split_header(header)


def test_split_options_escapes_and_flags() -> None:
    assert split_options(r' msg:"a\;b"; nocase; content:"\\"; x : y ; ') == [
        ("msg", r'"a\;b"'),
        ("nocase", None),
        ("content", r'"\\"'),
        ("x", "y"),
    ]


def test_split_options_quoted_semicolon_fallback() -> None:
    assert split_options('msg:"a; b:c"; sid:1;') == [("msg", '"a; b:c"'), ("sid", "1")]


def test_split_options_multiline_value() -> None:
    assert split_options("a:1\n  ; b:\n2;") == [("a", "1"), ("b", "2")]


@pytest.mark.parametrize(
    ("body", "keyword", "reason"),
    [
        ("sid:1", "sid", "missing ';'"),
        ('msg:"a; sid:1', "sid", "missing ';'"),
        ('msg:"a\\"; sid:1;', "msg", "unterminated quoted string"),
        ("sid 1;", "sid", "expected ':' or ';'"),
        ('"x";', "options", "invalid option name"),
    ],
)
def test_split_options_errors(body: str, keyword: str, reason: str) -> None:
    with pytest.raises(RuleError) as info:
        split_options(body)
    assert info.value.keyword == keyword
    assert reason in info.value.reason


def test_unescape() -> None:
    assert unescape(r"a\;b\"c\\d\:e\x") == 'a;b"c\\d:ex'
    assert unescape("plain") == "plain"
