"""Fast-pattern selection and its Hyperscan form.

Suricata 8's choice (explicit, longest, strongest, first), the `only` flag, offset /
depth bounds (incl. chop and propagated offsets) and the Hyperscan expression / ext.
"""

from __future__ import annotations

import hyperscan
import pytest

from rules.model import Option
from sensor.detect.fastpattern import (
    FastPattern,
    hyperscan_expression,
    hyperscan_ext,
    pattern_strength,
)
from sensor.detect.inspect import BufferProgram, compile_buffer


def prog(*opts: str) -> BufferProgram:
    options = []
    for o in opts:
        name, sep, value = o.partition(":")
        options.append(Option(name.strip(), value.strip() if sep else None))
    return compile_buffer(options)


def fp_of(*opts: str) -> FastPattern | None:
    return prog(*opts).fast_pattern


def scan(fp: FastPattern, data: bytes, with_ext: bool = True) -> bool:
    expr, flags = hyperscan_expression(fp)
    ext = hyperscan_ext(fp) if with_ext else None
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    if ext is None:
        db.compile(expressions=[expr], ids=[1], flags=[flags])
    else:
        db.compile(expressions=[expr], ids=[1], flags=[flags], ext=[ext])
    hits: list[int] = []
    db.scan(data, match_event_handler=lambda *a: hits.append(1))
    return bool(hits)


def test_pattern_strength() -> None:
    assert pattern_strength(b"abc") == 9
    assert pattern_strength(b"aaa") == 5
    assert pattern_strength(b"a1\x00\x02") == 3 + 4 + 4 + 6


def test_explicit_fast_pattern_wins() -> None:
    fp = fp_of('content:"longest content"', 'content:"ab"', "fast_pattern")
    assert fp is not None and fp.pattern == b"ab" and fp.explicit


def test_longest_then_strongest_then_first() -> None:
    fp = fp_of('content:"ab"', 'content:"abcd"')
    assert fp is not None and fp.pattern == b"abcd" and not fp.explicit
    fp = fp_of('content:"aaaa"', 'content:"abcd"')
    assert fp is not None and fp.pattern == b"abcd"
    fp = fp_of('content:"abcd"', 'content:"ab%d"')
    assert fp is not None and fp.pattern == b"ab%d"
    fp = fp_of('content:"abcd"', 'content:"efgh"')
    assert fp is not None and fp.pattern == b"abcd"


def test_negated_contents_only_when_no_other() -> None:
    fp = fp_of('content:!"a much longer pattern"', 'content:"ab"')
    assert fp is not None and fp.pattern == b"ab"
    assert fp_of('content:!"abc"') is None  # a negated pattern cannot prefilter
    assert fp_of('pcre:"/abc/"') is None


def test_only_flag() -> None:
    assert fp_of('content:"abc"').only  # type: ignore[union-attr]
    assert fp_of('content:"abc"', "nocase").only  # type: ignore[union-attr]
    assert fp_of('content:"abc"', "fast_pattern:only").only  # type: ignore[union-attr]
    assert not fp_of('content:"abc"', "depth:5").only  # type: ignore[union-attr]
    assert not fp_of('content:"abc"', "endswith").only  # type: ignore[union-attr]
    assert not fp_of('content:"abc"', 'content:"d"').only  # type: ignore[union-attr]
    assert not fp_of('content:"abc"', "fast_pattern:only", 'pcre:"/x/"').only  # type: ignore[union-attr]
    assert not fp_of('content:"abcd"', "fast_pattern:0,2").only  # type: ignore[union-attr]


def test_offset_depth_and_chop_bounds() -> None:
    assert fp_of('content:"abc"', "offset:2", "depth:5") == FastPattern(b"abc", False, 2, 5, False, False)
    assert fp_of('content:"abc"', "offset:2") == FastPattern(b"abc", False, 2, None, False, False)
    assert fp_of('content:"abc"', "depth:4") == FastPattern(b"abc", False, 0, 4, False, False)
    assert fp_of('content:"abc"', "startswith") == FastPattern(b"abc", False, 0, 3, False, False)
    chopped = fp_of('content:"abcdef"', "offset:2", "depth:10", "fast_pattern:1,3")
    assert chopped == FastPattern(b"bcd", False, 3, 7, False, True)
    # relative: Suricata's propagated minimum start ("a" ends at >= 1, plus distance 4)
    relative = fp_of('content:"a"', 'content:"bcd"', "distance:4")
    assert relative == FastPattern(b"bcd", False, 5, None, False, False)
    assert fp_of('content:"a"', 'content:"bcd"', "within:4") == FastPattern(
        b"bcd", False, None, None, False, False
    )
    var = fp_of("byte_extract:1,0,n", 'content:"bcd"', "offset:n")
    assert var == FastPattern(b"bcd", False, None, None, False, False)


def test_hyperscan_expression_is_escaped_bytes() -> None:
    fp = FastPattern(b"a\x00b", False, None, None, True, False)
    expr, flags = hyperscan_expression(fp)
    assert expr == b"\\x61\\x00\\x62"
    assert flags == hyperscan.HS_FLAG_SINGLEMATCH
    assert scan(fp, b"xxa\x00byy")
    assert not scan(fp, b"xxa\x01byy")
    assert not scan(fp, b"xxayy")  # no truncation at the NUL byte


def test_hyperscan_caseless() -> None:
    fp = FastPattern(b"AbC", True, None, None, True, False)
    assert hyperscan_expression(fp)[1] == hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_CASELESS
    assert scan(fp, b"xxabcxx")
    assert not scan(FastPattern(b"AbC", False, None, None, True, False), b"xxabcxx")


@pytest.mark.parametrize(
    ("data", "expected"),
    [(b"abc", False), (b"xxabc", True), (b"xxxxabc", True), (b"xxxxxabc", False), (b"xabc", False)],
)
def test_hyperscan_ext_bounds(data: bytes, expected: bool) -> None:
    fp = FastPattern(b"abc", False, 2, 5, False, False)  # start >= 2, end <= 7
    assert hyperscan_ext(fp) == (
        hyperscan.HS_EXT_FLAG_MIN_OFFSET | hyperscan.HS_EXT_FLAG_MAX_OFFSET,
        5,
        7,
        0,
        0,
        0,
    )
    assert scan(fp, data) is expected


def test_hyperscan_ext_none_when_unbounded() -> None:
    assert hyperscan_ext(FastPattern(b"abc", False, None, None, False, False)) is None
    ext = hyperscan_ext(FastPattern(b"abc", False, 0, 4, False, False))
    assert ext == (hyperscan.HS_EXT_FLAG_MAX_OFFSET, 0, 4, 0, 0, 0)
