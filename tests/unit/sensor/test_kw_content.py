"""content and its modifiers: setup (ok / error) and match (true / false).

Covers value decoding, nocase, depth/offset, startswith/endswith, distance/within,
negation, rawbytes and fast_pattern setup, with Suricata 8's setup errors.
"""

from __future__ import annotations

import pytest

from rules.model import Option
from sensor.detect.inspect import BufferProgram, MatchState, compile_buffer
from sensor.detect.keywords.content import c_int, parse_content_value, strtoull
from sensor.errors import RuleCompileError, UnsupportedRule


def prog(*opts: str, buffer: str = "payload") -> BufferProgram:
    options = []
    for o in opts:
        name, sep, value = o.partition(":")
        options.append(Option(name.strip(), value.strip() if sep else None))
    return compile_buffer(options, buffer=buffer)


def hit(buf: bytes, *opts: str) -> bool:
    return prog(*opts).match(buf, MatchState())


# -- value parsing -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"abc"', (False, b"abc")),
        ('"a|0d 0A|b"', (False, b"a\r\nb")),
        ('"|00 01|"', (False, b"\x00\x01")),
        ('"|0001,ff|"', (False, b"\x00\x01\xff")),
        ('!"x"', (True, b"x")),
        ('! "x"', (True, b"x")),
        ('"a\\;b\\"c\\\\d\\:e"', (False, b'a;b"c\\d:e')),
        # Suricata keeps the text as written when nothing was decoded (measured on 8.0.8)
        ('"||"', (False, b"||")),
        ('"a||b"', (False, b"ab|b")),
        ('"a\\\\|41|"', (False, b"a\\A")),
        ('"\udcff"', (False, b"\xff")),  # raw byte kept by the rule reader's surrogateescape
    ],
)
def test_parse_content_value_ok(value: str, expected: tuple[bool, bytes]) -> None:
    assert parse_content_value(value) == expected


@pytest.mark.parametrize(
    "value",
    ["abc", '"abc', '""', '"|0|"', '"|0g|"', '"|00"', '"a\\nb"', '"a"b"', '"a\\"', None],
)
def test_parse_content_value_errors(value: str | None) -> None:
    with pytest.raises(RuleCompileError) as e:
        parse_content_value(value)
    assert e.value.keyword == "content"


def test_strtoull_follows_c() -> None:
    assert strtoull(b"  12abc", 0, 7, 10) == (12, 4, False)
    assert strtoull(b"0x1fz", 0, 5, 0) == (0x1F, 4, False)
    assert strtoull(b"017", 0, 3, 0) == (15, 3, False)
    assert strtoull(b"0x", 0, 2, 16) == (0, 1, False)
    assert strtoull(b"-1", 0, 2, 10) == ((1 << 64) - 1, 2, False)
    assert strtoull(b"xyz", 0, 3, 10) == (0, 0, False)
    assert strtoull(b"99999999999999999999999", 0, 23, 10)[2] is True
    assert strtoull(b"12345", 0, 2, 10) == (12, 2, False)


def test_c_int_strict() -> None:
    assert c_int("0x10", "depth", "depth", 0, 65535) == 16
    assert c_int("-5", "distance", "distance", -10, 10) == -5
    for bad in ("", "1x", "70000", "1 2"):
        with pytest.raises(RuleCompileError):
            c_int(bad, "depth", "depth", 0, 65535)


# -- content --------------------------------------------------------------------------------


def test_content_setup_ok() -> None:
    p = prog('content:"abc"')
    assert p.has_content and p.fast_pattern is not None and p.fast_pattern.pattern == b"abc"


def test_content_setup_error() -> None:
    with pytest.raises(RuleCompileError):
        prog('content:"|zz|"')


def test_content_match_and_no_match() -> None:
    assert hit(b"xxabcxx", 'content:"abc"')
    assert not hit(b"xxabxcx", 'content:"abc"')
    assert hit(b"\x00\x01\x02", 'content:"|01 02|"')


def test_negated_content() -> None:
    assert hit(b"hello", 'content:!"bye"')
    assert not hit(b"goodbye", 'content:!"bye"')


# -- nocase ---------------------------------------------------------------------------------


def test_nocase() -> None:
    assert hit(b"xxABCxx", 'content:"abc"', "nocase")
    assert not hit(b"xxABCxx", 'content:"abc"')
    assert not hit(b"xxABDxx", 'content:"abc"', "nocase")


def test_nocase_errors() -> None:
    with pytest.raises(RuleCompileError, match="multiple nocase"):
        prog('content:"a"', "nocase", "nocase")
    with pytest.raises(RuleCompileError, match="preceding content"):
        prog("nocase")
    with pytest.raises(RuleCompileError, match="no value"):
        prog('content:"a"', "nocase:1")


# -- depth / offset -------------------------------------------------------------------------


def test_depth() -> None:
    assert hit(b"abcdef", 'content:"abc"', "depth:3")
    assert not hit(b"xabcdef", 'content:"abc"', "depth:3")
    assert hit(b"xabcdef", 'content:"abc"', "depth:4")


def test_offset() -> None:
    assert hit(b"abcabc", 'content:"abc"', "offset:1")
    assert not hit(b"abcab", 'content:"abc"', "offset:1")
    assert not hit(b"abc", 'content:"abc"', "offset:10")


@pytest.mark.parametrize("order", [("offset:3", "depth:3"), ("depth:3", "offset:3")])
def test_offset_depth_combo_either_order(order: tuple[str, str]) -> None:
    # depth counts from offset: "def" must lie within bytes 3..5
    assert hit(b"abcdef", 'content:"def"', *order)
    assert not hit(b"abcxdef", 'content:"def"', *order)
    assert not hit(b"abdefc", 'content:"def"', *order)


def test_depth_offset_hex_values() -> None:
    assert hit(b"xxxxxxxxxxxxxxxxabc", 'content:"abc"', "offset:0x10", "depth:0x3")


@pytest.mark.parametrize(
    ("opts", "message"),
    [
        (('content:"abcd"', "depth:3"), "smaller than content length"),
        (('content:"a"', "depth:1", "depth:2"), "multiple depths"),
        (('content:"a"', "offset:1", "offset:2"), "multiple offsets"),
        (('content:"a"', "depth:70000"), "out of range"),
        (('content:"a"', "depth:-1"), "out of range"),
        (('content:"a"', "depth:x1"), "unknown byte_extract"),
        (('content:"a"', "distance:0", "depth:3"), "relative keyword"),
        (('content:"a"', "offset:3", "within:3"), "relative keyword"),
        (("depth:3",), "preceding content"),
    ],
)
def test_depth_offset_errors(opts: tuple[str, ...], message: str) -> None:
    with pytest.raises(RuleCompileError, match=message):
        prog(*opts)


# -- startswith / endswith --------------------------------------------------------------------


def test_startswith() -> None:
    assert hit(b"GET /", 'content:"GET "', "startswith")
    assert not hit(b" GET /", 'content:"GET "', "startswith")


def test_endswith() -> None:
    assert hit(b"/index.php", 'content:".php"', "endswith")
    assert not hit(b"/index.php?x", 'content:".php"', "endswith")
    assert hit(b"a.php.php", 'content:".php"', "endswith")


def test_startswith_and_endswith_is_exact() -> None:
    assert hit(b"abc", 'content:"abc"', "startswith", "endswith")
    assert not hit(b"abcabc", 'content:"abc"', "startswith", "endswith")


def test_endswith_relative() -> None:
    assert hit(b"GET /a.php", 'content:"GET"', 'content:".php"', "distance:0", "endswith")
    assert not hit(b"GET /a.php ", 'content:"GET"', 'content:".php"', "distance:0", "endswith")


def test_negated_endswith() -> None:
    assert hit(b"/index.html", 'content:!".php"', "endswith")
    assert not hit(b"/index.php", 'content:!".php"', "endswith")


def test_isdataat_not_1_relative_becomes_endswith() -> None:
    p = prog('content:".php"', "isdataat:!1,relative")
    assert p.match(b"a.php", MatchState())
    assert not p.match(b"a.php.", MatchState())
    assert p.match(b"a.php.php", MatchState())  # the occurrence at the end counts, like endswith


@pytest.mark.parametrize(
    "opts",
    [
        ('content:"abc"', "depth:3", "startswith"),
        ('content:"abc"', "offset:1", "startswith"),
        ('content:"abc"', "startswith", "offset:1"),
        ('content:"abc"', "startswith", "depth:5"),
        ('content:"a"', 'content:"abc"', "distance:0", "startswith"),
        ('content:"abc"', "startswith:1"),
        ('content:"abc"', "endswith:x"),
    ],
)
def test_startswith_endswith_errors(opts: tuple[str, ...]) -> None:
    with pytest.raises(RuleCompileError):
        prog(*opts)


# -- distance / within ---------------------------------------------------------------------------


def test_distance() -> None:
    assert hit(b"ab..cd", 'content:"ab"', 'content:"cd"', "distance:2")
    assert not hit(b"ab.cd", 'content:"ab"', 'content:"cd"', "distance:2")


def test_negative_distance() -> None:
    # "bc" may start one byte before the end of "ab"
    assert hit(b"abc", 'content:"ab"', 'content:"bc"', "distance:-1")
    assert not hit(b"abc", 'content:"ab"', 'content:"bc"', "distance:0")


def test_within() -> None:
    assert hit(b"abcd", 'content:"ab"', 'content:"cd"', "within:2")
    assert not hit(b"ab.cd", 'content:"ab"', 'content:"cd"', "within:2")


def test_distance_and_within() -> None:
    opts = ('content:"Five"', 'content:"Ten"', "within:3", "distance:1")
    assert hit(b"Zero Five Ten Fourteen", *opts)
    assert not hit(b"Zero Five  Ten Fourteen", *opts)


def test_relative_without_previous_match_is_relative_to_start() -> None:
    assert hit(b"..ab", 'content:"ab"', "distance:2", "within:2")
    assert not hit(b"...ab", 'content:"ab"', "distance:2", "within:2")


@pytest.mark.parametrize(
    ("opts", "message"),
    [
        (('content:"a"', 'content:"abc"', "within:2"), "less than the content length"),
        (('content:"a"', 'content:"b"', "within:0"), "less than the content length"),
        (('content:"a"', 'content:"b"', "within:2", "within:3"), "multiple withins"),
        (('content:"a"', 'content:"b"', "distance:2", "distance:3"), "multiple distances"),
        (('content:"a"', 'content:"b"', "distance:2000000"), "out of range"),
        (('content:"a"', 'content:"b"', "distance:nope"), "unknown byte_extract"),
        (('content:"a"', "fast_pattern:only", 'content:"b"', "distance:0"), "fast_pattern:only"),
    ],
)
def test_distance_within_errors(opts: tuple[str, ...], message: str) -> None:
    with pytest.raises(RuleCompileError, match=message):
        prog(*opts)


def test_negated_relative_content_firefox_example() -> None:
    opts = ('content:"Firefox/3."', 'content:!"Firefox/3.6.13"', "distance:-10")
    assert hit(b"UA: Firefox/3.5.1", *opts)
    assert not hit(b"UA: Firefox/3.6.13", *opts)


def test_negated_relative_window() -> None:
    opts = ('content:"a"', 'content:!"b"', "distance:0", "within:1")
    assert hit(b"ac", *opts)
    assert not hit(b"ab", *opts)
    assert hit(b"abxac", *opts)  # the second "a" is not followed by "b"


# -- rawbytes -------------------------------------------------------------------------------------


def test_rawbytes_is_noop_on_payload() -> None:
    assert hit(b"abc", 'content:"b"', "rawbytes")
    assert not hit(b"abc", 'content:"x"', "rawbytes")


def test_rawbytes_errors() -> None:
    with pytest.raises(RuleCompileError, match="sticky buffer"):
        prog('content:"b"', "rawbytes", buffer="http.uri")
    with pytest.raises(RuleCompileError, match="preceding content"):
        prog("rawbytes")


# -- fast_pattern (setup; selection is tested in test_inspect_fastpattern.py) ------------------------


def test_fast_pattern_setup_ok_and_no_effect_on_matching() -> None:
    p = prog('content:"abcdef"', "fast_pattern:2,3")
    assert p.fast_pattern is not None and p.fast_pattern.pattern == b"cde"
    assert p.match(b"xabcdefx", MatchState())
    assert not p.match(b"xcdex", MatchState())  # the chop is only a prefilter hint


@pytest.mark.parametrize(
    ("opts", "exc"),
    [
        (('content:!"a"', "depth:3", "fast_pattern"), RuleCompileError),
        (('content:"abc"', "depth:3", "fast_pattern:only"), RuleCompileError),
        (('content:!"abc"', "fast_pattern:only"), RuleCompileError),
        (('content:"abc"', "fast_pattern:2,2"), RuleCompileError),
        (('content:"abc"', "fast_pattern:boo"), RuleCompileError),
        (('content:"abc"', "fast_pattern", "fast_pattern"), RuleCompileError),
        (('content:"abc"', "fast_pattern", 'content:"def"', "fast_pattern"), RuleCompileError),
        (('content:"abc"', "fast_pattern:only", "depth:3"), RuleCompileError),
        (('content:!"abc"', "fast_pattern", "depth:3"), RuleCompileError),
        (('content:"abc"', "fast_pattern:1,0"), UnsupportedRule),
    ],
)
def test_fast_pattern_errors(opts: tuple[str, ...], exc: type[Exception]) -> None:
    with pytest.raises(exc):
        prog(*opts)
