"""Unit tests for rules.content: content strings (hex, escapes, negation) and unquote."""

from __future__ import annotations

import pytest

from rules import parse_content, unquote


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"GET"', (False, b"GET")),
        ('!"GET"', (True, b"GET")),
        ('! "GET"', (True, b"GET")),
        ('"|0d 0a|"', (False, b"\r\n")),
        ('"|0D0A|"', (False, b"\r\n")),
        ('"a|20|b|3a 20|c"', (False, b"a b: c")),
        ('"|4 1|"', (False, b"A")),
        (r'"a\"b\;c\\d\:e"', (False, b'a"b;c\\d:e')),
        ('"x;y"', (False, b"x;y")),
        ('"caf\u00e9"', (False, "caf\u00e9".encode())),
        ('"\udcff\udc80"', (False, b"\xff\x80")),  # surrogate-escaped raw bytes from the rule file
    ],
)
def test_parse_content(value: str, expected: tuple[bool, bytes]) -> None:
    assert parse_content(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("GET", "enclosed in double quotes"),
        ('"GET', "enclosed in double quotes"),
        ('"', "enclosed in double quotes"),
        ('""', "empty"),
        ('"||"', "empty"),
        ('"|0d 0a"', "unterminated hex"),
        ('"|0g|"', "invalid character 'g'"),
        ('"|0d0|"', "odd number of hex digits"),
        (r'"a\nb"', "invalid escape '\\n'"),
        ('"a"b"', "unescaped '\"'"),
        ('"ab\\|41|"', "dangling backslash"),
    ],
)
def test_parse_content_errors(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=None) as info:
        parse_content(value)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ('"hello"', "hello"),
        (' "a \\"b\\" \\; c" ', 'a "b" ; c'),
        ("unquoted\\;x", "unquoted;x"),
        ('"', '"'),
        ("", ""),
    ],
)
def test_unquote(value: str, text: str) -> None:
    assert unquote(value) == text
