"""Property tests for payload inspection.

Single contents with offset/depth/nocase and distance/within pairs agree with a
brute-force reference; Hyperscan (with ext bounds) agrees with bytes.find.
"""

from __future__ import annotations

import hyperscan
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.model import Option
from sensor.detect.fastpattern import FastPattern, hyperscan_expression, hyperscan_ext
from sensor.detect.inspect import MatchState, compile_buffer

ALPHABET = b"abAB\x00\xff"
small_bytes = st.binary(min_size=0, max_size=64).map(lambda b: bytes(ALPHABET[c % len(ALPHABET)] for c in b))
patterns = st.binary(min_size=1, max_size=4).map(lambda b: bytes(ALPHABET[c % len(ALPHABET)] for c in b))


def hex_content(pat: bytes) -> str:
    return '"|' + " ".join(f"{c:02x}" for c in pat) + '|"'


def reference(buf: bytes, pat: bytes, nocase: bool, offset: int | None, depth: int | None) -> bool:
    hay, needle = (buf.lower(), pat.lower()) if nocase else (buf, pat)
    start = offset or 0
    end = len(buf) if depth is None else min(len(buf), start + depth)
    return any(hay[i : i + len(needle)] == needle for i in range(start, end - len(needle) + 1))


@settings(max_examples=400, deadline=None)
@given(
    buf=small_bytes,
    pat=patterns,
    nocase=st.booleans(),
    offset=st.none() | st.integers(0, 20),
    extra_depth=st.none() | st.integers(0, 30),
)
def test_single_content_matches_reference(
    buf: bytes, pat: bytes, nocase: bool, offset: int | None, extra_depth: int | None
) -> None:
    depth = None if extra_depth is None else len(pat) + extra_depth
    opts = [Option("content", hex_content(pat))]
    if nocase:
        opts.append(Option("nocase"))
    if offset is not None:
        opts.append(Option("offset", str(offset)))
    if depth is not None:
        opts.append(Option("depth", str(depth)))
    prog = compile_buffer(opts)
    assert prog.match(buf, MatchState()) == reference(buf, pat, nocase, offset, depth)


@settings(max_examples=300, deadline=None)
@given(buf=small_bytes, a=patterns, b=patterns, distance=st.integers(0, 5), extra_within=st.integers(0, 6))
def test_relative_pair_with_backtracking_matches_reference(
    buf: bytes, a: bytes, b: bytes, distance: int, extra_within: int
) -> None:
    within = len(b) + extra_within
    opts = [
        Option("content", hex_content(a)),
        Option("content", hex_content(b)),
        Option("distance", str(distance)),
        Option("within", str(within)),
    ]
    expected = any(
        buf[i : i + len(a)] == a
        and reference(buf[: i + len(a) + distance + within], b, False, i + len(a) + distance, None)
        for i in range(len(buf) - len(a) + 1)
    )
    assert compile_buffer(opts).match(buf, MatchState()) == expected


def _hs_finds(fp: FastPattern, data: bytes) -> bool:
    expr, flags = hyperscan_expression(fp)
    ext = hyperscan_ext(fp)
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    if ext is None:
        db.compile(expressions=[expr], ids=[0], flags=[flags])
    else:
        db.compile(expressions=[expr], ids=[0], flags=[flags], ext=[ext])
    hits: list[int] = []
    db.scan(data, match_event_handler=lambda *args: hits.append(1))
    return bool(hits)


@settings(max_examples=150, deadline=None)
@given(data=small_bytes, pat=patterns, nocase=st.booleans())
def test_hyperscan_expression_agrees_with_find(data: bytes, pat: bytes, nocase: bool) -> None:
    fp = FastPattern(pat, nocase, None, None, True, False)
    expected = (pat.lower() in data.lower()) if nocase else (pat in data)
    assert _hs_finds(fp, data) == expected


@settings(max_examples=150, deadline=None)
@given(
    data=small_bytes,
    pat=patterns,
    offset=st.none() | st.integers(0, 20),
    extra_depth=st.none() | st.integers(0, 30),
)
def test_prefilter_with_ext_bounds_is_exact_for_offset_depth(
    data: bytes, pat: bytes, offset: int | None, extra_depth: int | None
) -> None:
    depth = None if extra_depth is None else len(pat) + extra_depth
    opts = [Option("content", hex_content(pat))]
    if offset is not None:
        opts.append(Option("offset", str(offset)))
    if depth is not None:
        opts.append(Option("depth", str(depth)))
    fp = compile_buffer(opts).fast_pattern
    assert fp is not None
    assert _hs_finds(fp, data) == reference(data, pat, False, offset, depth)
