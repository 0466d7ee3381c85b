"""bsize: Suricata 8 integer syntax, setup errors and matching.

bsize needs a sticky buffer; contents that cannot fit the size are rejected at load.
"""

from __future__ import annotations

import pytest

from rules.model import Option
from sensor.detect.inspect import BufferProgram, MatchState, compile_buffer
from sensor.detect.keywords.bsize import bsize_matches, setup_bsize
from sensor.errors import RuleCompileError

BUF = "http.uri"


def prog(*opts: str, buffer: str = BUF) -> BufferProgram:
    options = []
    for o in opts:
        name, sep, value = o.partition(":")
        options.append(Option(name.strip(), value.strip() if sep else None))
    return compile_buffer(options, buffer=buffer)


def hit(buf: bytes, *opts: str) -> bool:
    return prog(*opts).match(buf, MatchState())


@pytest.mark.parametrize(
    ("value", "sizes_true", "sizes_false"),
    [
        ("10", [10], [9, 11]),
        ("=0x13", [19], [18]),
        ("!0x14", [19, 21], [20]),
        ("!=20", [19], [20]),
        ("<22", [21], [22]),
        ("<=22", [22], [23]),
        (">21", [22], [21]),
        (">=21", [21], [20]),
        ("19-22", [20, 21], [19, 22]),
        ("19<>22", [20, 21], [19, 22]),
        ("!19-22", [19, 22, 0], [20, 21]),
        ("&0xc0=0x80", [0x80, 0xBF], [0xC0, 0x40]),
        ("&0xc0!=0", [0x40, 0xC0], [0x3F]),
        ("1kb", [1024], [1]),
        (" 5 ", [5], [4]),
    ],
)
def test_modes(value: str, sizes_true: list[int], sizes_false: list[int]) -> None:
    spec = setup_bsize(value, BUF)
    assert all(bsize_matches(spec, s) for s in sizes_true)
    assert not any(bsize_matches(spec, s) for s in sizes_false)


@pytest.mark.parametrize(
    "value", ["", "x", "<0", ">=0", "5-6", "6-5", "0X10", "&0x0f=0x10", "1tb", "=<5", None]
)
def test_setup_errors(value: str | None) -> None:
    with pytest.raises(RuleCompileError):
        setup_bsize(value, BUF)


def test_bsize_needs_a_sticky_buffer() -> None:
    with pytest.raises(RuleCompileError, match="sticky buffer"):
        prog("bsize:10", buffer="payload")


def test_match_and_no_match() -> None:
    assert hit(b"google.com", 'content:"google.com"', "bsize:10")
    assert not hit(b"google.com.", 'content:"google.com"', "bsize:10")
    assert hit(b"abc", "bsize:<5")
    assert not hit(b"abcdef", "bsize:<5")
    assert hit(b"", "bsize:0")


def test_contents_that_cannot_fit_are_rejected() -> None:
    with pytest.raises(RuleCompileError, match="can't match"):
        prog('content:"longer string"', "bsize:<10")
    with pytest.raises(RuleCompileError, match="can't match"):
        prog('content:"abc"', "offset:5", "bsize:7")
    with pytest.raises(RuleCompileError, match="can't match"):
        prog('content:"abc"', 'content:"def"', "distance:0", "bsize:5")
    prog('content:"middle"', "bsize:6<>15")
    prog('content:"short"', "bsize:>10")
    prog('content:!"way too long here"', "bsize:3")
