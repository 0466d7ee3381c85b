"""Unit tests for sensor.detect.keywords.numeric: Suricata 8's unsigned-integer keyword syntax.

`parse_uint` compiles a value (`N`, `=N`, `!N`, `!=N`, `<N`, `<=N`, `>N`, `>=N`, `N-M`, `N<>M`,
`!N-M`, `&MASK=V`, `&MASK!=V`; decimal or 0x-hex, kb/mb/gb and kib/mib/gib units) into a predicate;
`parse_number` reads one value. Every accepted/refused value and every match set below was
confirmed with Suricata 8.0.8 (tools/peer) using `dsize:<value>` (u16, max 65535) and `ttl:<value>`
(u8, max 255) over UDP packets with payload sizes 0, 1, 2, 5, 10, 19, 20, 21, 22, 23, 64, 128, 192,
255, 256 and 1024 bytes. Exception: the `dsize:!N` packet-of-size-0 case, which is dsize's own
rule (see test_kw_dsize.py), not the integer grammar's.
"""

from __future__ import annotations

import pytest

from sensor.detect.keywords.numeric import parse_number, parse_uint
from sensor.errors import RuleCompileError

U16 = 65535
U8 = 255
SIZES = [0, 1, 2, 5, 10, 19, 20, 21, 22, 23, 64, 128, 192, 255, 256, 1024]


def matching(value: str, max_value: int = U16, sizes: list[int] = SIZES) -> list[int]:
    pred = parse_uint(value, "dsize", max_value)
    return [s for s in sizes if pred(s)]


# ------------------------------------------------------------------------------ modes


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # equality (bare and '=')
        ("10", [10]),
        ("=10", [10]),
        ("0", [0]),
        ("  5 ", [5]),
        # inequality ('!' and '!=')
        ("!10", [s for s in SIZES if s != 10]),
        ("!=10", [s for s in SIZES if s != 10]),
        ("! 10", [s for s in SIZES if s != 10]),
        # comparisons
        ("<10", [0, 1, 2, 5]),
        ("<=10", [0, 1, 2, 5, 10]),
        (">255", [256, 1024]),
        (">=255", [255, 256, 1024]),
        ("> 5", [s for s in SIZES if s > 5]),
        (">= 5", [s for s in SIZES if s >= 5]),
        # exclusive ranges, both spellings, spaces allowed around the operator
        ("19-22", [20, 21]),
        ("19<>22", [20, 21]),
        ("19 - 22", [20, 21]),
        ("19 <> 22", [20, 21]),
        # negated range: outside the open interval, the bounds themselves included
        ("!19-22", [s for s in SIZES if s <= 19 or s >= 22]),
        ("!5-10", SIZES),  # nothing in the list lies strictly between 5 and 10
        # bitmask tests
        ("&0xc0=0x80", [128]),  # 192 and 255 have 0x40 set too
        ("&0xc0!=0x80", [s for s in SIZES if s & 0xC0 != 0x80]),
        ("& 0xc0 = 0x80", [128]),
        ("&0x01=0", [0, 2, 10, 20, 22, 64, 128, 192, 256, 1024]),
        # hexadecimal and units
        ("0x14", [20]),
        ("0xFFFF", []),
        ("1kb", [1024]),
        ("1KB", [1024]),
        ("1Kb", [1024]),
        ("1kB", [1024]),
        ("1kib", [1024]),
        ("<1kb", [s for s in SIZES if s < 1024]),
        ("10-20kb", [s for s in SIZES if 10 < s < 20480]),
        ("1kb-2kb", []),
    ],
)
def test_modes(value: str, expected: list[int]) -> None:
    assert matching(value) == expected


def test_bitmask_equal_exact_set() -> None:
    pred = parse_uint("&0xc0=0x80", "dsize", U16)
    assert pred(0x80) and pred(0xBF) and pred(0x180)
    assert not pred(0xC0) and not pred(0x40) and not pred(0)


def test_bitmask_not_equal() -> None:
    pred = parse_uint("&0xc0!=0x80", "dsize", U16)
    assert pred(0xC0) and pred(0x40) and pred(0)
    assert not pred(0x80) and not pred(0xBF)


def test_boundaries_of_exclusive_range() -> None:
    pred = parse_uint("100-200", "dsize", U16)
    assert not pred(100) and pred(101) and pred(199) and not pred(200)
    neg = parse_uint("!100-200", "dsize", U16)
    assert neg(100) and not neg(101) and not neg(199) and neg(200)


def test_u8_maximum_accepted_for_ttl() -> None:
    assert parse_uint("255", "ttl", U8)(255)
    assert parse_uint(">=255", "ttl", U8)(255)
    assert parse_uint("<255", "ttl", U8)(254)
    assert not parse_uint("<255", "ttl", U8)(255)


def test_mib_and_gib_units_with_wide_maximum() -> None:
    wide = (1 << 32) - 1
    assert parse_uint("1mb", "bsize", wide)(1 << 20)
    assert parse_uint("2mib", "bsize", wide)(2 << 20)
    assert parse_uint("1gb", "bsize", wide)(1 << 30)
    assert parse_uint("3GiB", "bsize", wide)(3 << 30)


# ------------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "   ",
        "x",
        "abc",
        "-1",
        "5.0",
        "+5",
        "=!5",
        "!<5",
        "=<5",
        "!=!5",
        "1 kb",  # unit must follow the digits
        "1k",
        "0x",
        "0x1kb",  # no units on hex
        "=10-20",
        "6-5",  # first value must be below the second
        "5-5",
        "&0xc0 ! = 0x80",
        "!&0xc0=0x80",
        "65536",  # out of range for u16
        "0x10000",
        "1mb",
        "1mib",
        "64KiB",
        "1gb",
    ],
)
def test_setup_errors_u16(value: str | None) -> None:
    with pytest.raises(RuleCompileError) as info:
        parse_uint(value, "dsize", U16)
    assert info.value.keyword == "dsize"


@pytest.mark.parametrize("value", ["256", "abc", "0x100", "1kb"])
def test_setup_errors_u8(value: str) -> None:
    with pytest.raises(RuleCompileError) as info:
        parse_uint(value, "ttl", U8)
    assert info.value.keyword == "ttl"


# Values Suricata 8.0.8 refuses because they can never (or always) match, or are not its syntax.
# Confirmed: `dsize:<value>` makes Suricata log "error parsing signature" for each of these.
@pytest.mark.parametrize(
    ("value", "max_value"),
    [
        pytest.param("<0", U16, id="lt-zero"),
        pytest.param(">=0", U16, id="ge-zero"),
        pytest.param("<=65535", U16, id="le-u16-max"),
        pytest.param(">65535", U16, id="gt-u16-max"),
        pytest.param("<=255", U8, id="le-u8-max"),
        pytest.param(">255", U8, id="gt-u8-max"),
        pytest.param("5-6", U16, id="range-without-interior"),
        pytest.param("&0x0f=0x10", U16, id="bitmask-value-outside-mask"),
        pytest.param("0X14", U16, id="uppercase-hex-prefix"),
    ],
)
def test_setup_errors_suricata_refuses(value: str, max_value: int) -> None:
    with pytest.raises(RuleCompileError) as info:
        parse_uint(value, "dsize", max_value)
    assert info.value.keyword == "dsize"


# ------------------------------------------------------------------------------ parse_number


@pytest.mark.parametrize(
    ("text", "max_value", "expected"),
    [
        ("0", 255, 0),
        ("255", 255, 255),
        (" 42 ", 255, 42),
        ("0x1F", 255, 31),
        ("0xff", 255, 255),
        ("1kb", 65535, 1024),
        ("2KiB", 65535, 2048),
        ("1mb", 1 << 32, 1 << 20),
        ("1gib", 1 << 32, 1 << 30),
        ("4294967295", 0xFFFFFFFF, 0xFFFFFFFF),
    ],
)
def test_parse_number_ok(text: str, max_value: int, expected: int) -> None:
    assert parse_number(text, "seq", max_value) == expected


@pytest.mark.parametrize(
    ("text", "max_value"),
    [
        ("256", 255),
        ("0x100", 255),
        ("64kb", 65535),
        ("4294967296", 0xFFFFFFFF),
        ("-1", 255),
        ("", 255),
        ("abc", 255),
        ("0x", 255),
        ("12ab", 255),
        ("1.5", 255),
        ("kb", 65535),
    ],
)
def test_parse_number_errors_name_the_keyword(text: str, max_value: int) -> None:
    with pytest.raises(RuleCompileError) as info:
        parse_number(text, "window", max_value)
    assert info.value.keyword == "window"
    assert str(info.value).startswith("window: ")
