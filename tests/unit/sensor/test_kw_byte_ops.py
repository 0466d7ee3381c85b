"""byte_test, byte_jump, byte_extract, byte_math: setup (ok / error) and matching.

Values, endianness, string bases (C strtoull), bitmasks, relative positions and
byte variables feeding later keywords, as Suricata 8 evaluates them.
"""

from __future__ import annotations

import pytest

from rules.model import Option
from sensor.detect.inspect import BufferProgram, MatchState, compile_buffer
from sensor.errors import RuleCompileError, UnsupportedRule


def prog(*opts: str) -> BufferProgram:
    options = []
    for o in opts:
        name, sep, value = o.partition(":")
        options.append(Option(name.strip(), value.strip() if sep else None))
    return compile_buffer(options)


def hit(buf: bytes, *opts: str) -> bool:
    return prog(*opts).match(buf, MatchState())


def run_vars(buf: bytes, *opts: str) -> dict[str, int] | None:
    state = MatchState()
    return state.vars if prog(*opts).match(buf, state) else None


# -- byte_test ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("buf", "opt", "expected"),
    [
        (b"\x01\x02", "byte_test:2,=,0x0102,0", True),
        (b"\x01\x02", "byte_test:2,=,258,0", True),
        (b"\x01\x02", "byte_test:2,=,0x0201,0,little", True),
        (b"\x01\x02", "byte_test:2,=,0x0201,0,little,big", False),
        (b"\x01\x02", "byte_test:2,!=,0x0102,0", False),
        (b"\x01\x02", "byte_test:2,!,0x0103,0", True),
        (b"\x01\x02", "byte_test:1,<,2,0", True),
        (b"\x01\x02", "byte_test:1,>,1,0", False),
        (b"\x01\x02", "byte_test:1,>=,2,1", True),
        (b"\x01\x02", "byte_test:1,<=,1,1", False),
        (b"\x03", "byte_test:1,&,0x01,0", True),
        (b"\x02", "byte_test:1,&,0x01,0", False),
        (b"\x01", "byte_test:1,^,0x01,0", False),
        (b"\x03", "byte_test:1,^,0x01,0", True),
        (b"\x00\x50", "byte_test:2,=,5,0,bitmask 0x0ff0", True),
        (b"ff", "byte_test:2,=,255,0,string,hex", True),
        (b"010", "byte_test:3,=,8,0,string,oct", True),
        (b"0x10", "byte_test:4,=,16,0,string", True),  # no base: strtoull's automatic base
        (b" 42x", "byte_test:4,=,42,0,string,dec", True),
        (b"zz", "byte_test:2,=,0,0,string,dec", False),  # no digits: no match
        (b"\x01", "byte_test:1,=,1,-1", False),
        (b"\x01", "byte_test:2,=,1,0", False),
        (b"", "byte_test:0,=,0,0", False),
    ],
)
def test_byte_test(buf: bytes, opt: str, expected: bool) -> None:
    assert hit(buf, opt) is expected


def test_byte_test_relative() -> None:
    opts = ('content:"foobar"', "byte_test:4,=,1337,1,relative,string,dec")
    assert hit(b"foobar 1337", *opts)
    assert not hit(b"foobar 1338", *opts)
    assert not hit(b"foobar", 'content:"foobar"', "byte_test:1,=,0,0,relative")


def test_byte_test_value_and_offset_from_variables() -> None:
    assert hit(b"\x02\x00\x07\x07", "byte_extract:1,0,off", "byte_extract:1,2,val", "byte_test:1,=,val,off")
    assert not hit(
        b"\x02\x00\x07\x08", "byte_extract:1,0,off", "byte_extract:1,3,val", "byte_test:1,=,val,off"
    )


@pytest.mark.parametrize(
    ("opt", "exc"),
    [
        ("byte_test:9,=,1,0", RuleCompileError),
        ("byte_test:24,=,1,0,string", RuleCompileError),
        ("byte_test:2,=,1,0,hex", RuleCompileError),
        ("byte_test:2,~,1,0", RuleCompileError),
        ("byte_test:2,=,1", RuleCompileError),
        ("byte_test:2,=,1,0,string hex", RuleCompileError),
        ("byte_test:2,=,nope,0", RuleCompileError),
        ("byte_test:2,=,1,0,bitmask", RuleCompileError),
        ("byte_test:2,=,zz1,0", RuleCompileError),
        ("byte_test:2,=,1,0,dce", UnsupportedRule),
    ],
)
def test_byte_test_errors(opt: str, exc: type[Exception]) -> None:
    with pytest.raises(exc):
        prog(opt)


# -- byte_jump ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("buf", "opts", "expected"),
    [
        (b"\x02abX", ("byte_jump:1,0", 'content:"X"', "within:1"), True),
        (b"\x01abX", ("byte_jump:1,0", 'content:"X"', "within:1"), False),
        (b"Alice\x02xxBob", ('content:"Alice"', "byte_jump:1,0,relative", 'content:"Bob"', "within:3"), True),
        (b"\x02abcdX", ("byte_jump:1,0,multiplier 2", 'content:"X"', "within:1"), True),
        (b"\x01abcdX", ("byte_jump:1,0,align", 'content:"X"', "within:1"), True),
        (b"\x03abZ", ("byte_jump:1,0,from_beginning", 'content:"Z"', "within:1"), True),
        (
            b"xxxxl33tabcd",
            ("byte_jump:0,0,from_end,post_offset -8", 'content:"l33t"', "distance:0", "within:4"),
            True,
        ),
        (b"03abcQ", ("byte_jump:2,0,string,dec", 'content:"Q"', "within:1"), True),
        (b"\x00\x02abQ", ("byte_jump:2,0,little", 'content:"Q"', "within:1"), False),
        (b"\x02\x00abQ", ("byte_jump:2,0,little", 'content:"Q"', "within:1"), True),
        (b"a\x00", ("byte_jump:1,1,post_offset -100", 'content:"a"', "within:1"), True),  # clamped to 0
        (b"\xff", ("byte_jump:1,0",), False),  # beyond the end
        (b"\x00", ("byte_jump:1,0",), True),  # the end of the buffer is a valid target
        (b"\x01", ("byte_jump:1,0",), False),
        (b"\x01", ("byte_jump:2,0",), False),
    ],
)
def test_byte_jump(buf: bytes, opts: tuple[str, ...], expected: bool) -> None:
    assert hit(buf, *opts) is expected


def test_byte_jump_nbytes_and_offset_from_variables() -> None:
    opts = ("byte_extract:1,0,n", "byte_extract:1,1,o", "byte_jump:n,o", 'content:"Z"', "within:1")
    assert hit(b"\x01\x02\x03abcZ", *opts)
    assert not hit(b"\x09\x02\x03abcZ", *opts)  # 9 bytes without string: no match


@pytest.mark.parametrize(
    ("opt", "exc"),
    [
        ("byte_jump:9,0", RuleCompileError),
        ("byte_jump:24,0,string", RuleCompileError),
        ("byte_jump:2,0,from_end,from_beginning", RuleCompileError),
        ("byte_jump:2,0,dec", RuleCompileError),
        ("byte_jump:2,0,multiplier 0", RuleCompileError),
        ("byte_jump:2,0,post_offset 70000", RuleCompileError),
        ("byte_jump:2,70000", RuleCompileError),
        ("byte_jump:2", RuleCompileError),
        ("byte_jump:2,0,bitmask 0xff", RuleCompileError),
        ("byte_jump:nb,0", RuleCompileError),
        ("byte_jump:2,0,dce", UnsupportedRule),
    ],
)
def test_byte_jump_errors(opt: str, exc: type[Exception]) -> None:
    with pytest.raises(exc):
        prog(opt)


# -- byte_extract ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("buf", "opt", "expected"),
    [
        (b"\x01\x02", "byte_extract:2,0,v", 0x0102),
        (b"\x01\x02", "byte_extract:2,0,v,little", 0x0201),
        (b"x123", "byte_extract:3,1,v,string,dec", 123),
        (b"ff", "byte_extract:2,0,v,string,hex", 255),
        (b"17", "byte_extract:2,0,v,string,oct", 15),
        (b"\x03", "byte_extract:1,0,v,multiplier 10", 30),
        (b"\x05", "byte_extract:1,0,v,align 4", 8),
        (b"\x05", "byte_extract:1,0,v,align 2,multiplier 3", 16),
    ],
)
def test_byte_extract_values(buf: bytes, opt: str, expected: int) -> None:
    assert run_vars(buf, opt) == {"v": expected}


def test_byte_extract_no_match() -> None:
    assert run_vars(b"\x01", "byte_extract:2,0,v") is None
    assert run_vars(b"ab", "byte_extract:2,0,v,string,dec") is None
    assert run_vars(b"", "byte_extract:0,0,v") is None


def test_byte_extract_relative_and_position() -> None:
    opts = (
        'content:"|00 FF|"',
        "byte_extract:1,0,len,relative",
        'content:"|5c 00|"',
        "distance:2",
        "within:len",
    )
    assert hit(b"\x00\xff\x04..\x5c\x00", *opts)
    assert not hit(b"\x00\xff\x01..\x5c\x00", *opts)  # within:1 from the variable


def test_byte_extract_feeds_content_modifiers() -> None:
    assert hit(b"\x03abX", "byte_extract:1,0,n", 'content:"X"', "offset:n")
    assert not hit(b"\x02abcdX", "byte_extract:1,0,n", 'content:"X"', "offset:n", "depth:n")
    assert hit(b"\x03abX", "byte_extract:1,0,n", 'content:"X"', "offset:1", "depth:n")
    assert not hit(b"\x02abX", "byte_extract:1,0,n", 'content:"X"', "offset:1", "depth:n")
    assert hit(
        b"Alice\x00\x03xxxBob",
        'content:"Alice"',
        "byte_extract:2,0,size,relative",
        'content:"Bob"',
        "distance:size",
        "within:3",
    )
    assert not hit(
        b"Alice\x00\x02xxxBob",
        'content:"Alice"',
        "byte_extract:2,0,size,relative",
        'content:"Bob"',
        "distance:size",
        "within:3",
    )


def test_byte_extract_feeds_isdataat_and_byte_test() -> None:
    assert hit(b"\x03abc", "byte_extract:1,0,n", "isdataat:n")
    assert not hit(b"\x04abc", "byte_extract:1,0,n", "isdataat:n")
    assert hit(b"\x03abc", "byte_extract:1,0,n", "byte_test:1,=,n,0")


@pytest.mark.parametrize(
    ("opt", "exc"),
    [
        ("byte_extract:9,0,v", RuleCompileError),
        ("byte_extract:15,0,v,string,hex", RuleCompileError),
        ("byte_extract:21,0,v,string,dec", RuleCompileError),
        ("byte_extract:4,2", RuleCompileError),
        ("byte_extract:4,2,v,hex", RuleCompileError),
        ("byte_extract:4,2,v,hex,string", RuleCompileError),
        ("byte_extract:4,2,v,string,little", RuleCompileError),
        ("byte_extract:4,2,v,slice", RuleCompileError),
        ("byte_extract:4,2,v,align 3", RuleCompileError),
        ("byte_extract:4,2,v,multiplier 0", RuleCompileError),
        ("byte_extract:4,2,v,relative,relative", RuleCompileError),
        ("byte_extract:4,2,v,bogus", RuleCompileError),
        ("byte_extract:4,40000,v", RuleCompileError),
        ("byte_extract:4 ,2,v", RuleCompileError),
        ("byte_extract:4,2,v,dce", UnsupportedRule),
    ],
)
def test_byte_extract_errors(opt: str, exc: type[Exception]) -> None:
    with pytest.raises(exc):
        prog(opt)


# -- byte_math ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("buf", "opt", "expected"),
    [
        (b"\x02", "byte_math:bytes 1,offset 0,oper +,rvalue 5,result r", 7),
        (b"\x02", "byte_math:bytes 1,offset 0,oper -,rvalue 5,result r", (2 - 5) % (1 << 64)),
        (b"\x02", "byte_math:bytes 1,offset 0,oper *,rvalue 5,result r", 10),
        (b"\x0b", "byte_math:bytes 1,offset 0,oper /,rvalue 5,result r", 2),
        (b"\x03", "byte_math:bytes 1,offset 0,oper <<,rvalue 4,result r", 48),
        (b"\x30", "byte_math:bytes 1,offset 0,oper >>,rvalue 4,result r", 3),
        (b"\x01\x02", "byte_math:bytes 2,offset 0,oper +,rvalue 0,result r,endian little", 0x0201),
        (b"x42", "byte_math:bytes 2,offset 1,oper +,rvalue 1,result r,string dec", 43),
        (b"\x0f\xf0", "byte_math:bytes 2,offset 0,oper +,rvalue 0,result r,bitmask 0x0ff0", 0xFF),
    ],
)
def test_byte_math_values(buf: bytes, opt: str, expected: int) -> None:
    assert run_vars(buf, opt) == {"r": expected}


def test_byte_math_relative_result_feeds_byte_test() -> None:
    opts = (
        'content:"|00 04|"',
        "byte_math:bytes 1,offset 0,oper +,rvalue 248,result var,relative",
        "byte_test:2,=,var,4",
    )
    assert hit(b"\x00\x04\x02\x00\x00\xfa", *opts)
    assert not hit(b"\x00\x04\x03\x00\x00\xfa", *opts)


def test_byte_math_division_by_zero_never_matches() -> None:
    opts = ("byte_extract:1,0,zero", "byte_math:bytes 1,offset 1,oper /,rvalue zero,result r")
    assert not hit(b"\x00\x05", *opts)
    assert hit(b"\x01\x05", *opts)


@pytest.mark.parametrize(
    ("opt", "exc"),
    [
        ("byte_math:bytes 1,offset 0,oper +,rvalue 5", RuleCompileError),
        ("byte_math:bytes 1,offset 0,oper %,rvalue 5,result r", RuleCompileError),
        ("byte_math:bytes 11,offset 0,oper +,rvalue 5,result r", RuleCompileError),
        ("byte_math:bytes 5,offset 0,oper <<,rvalue 5,result r", RuleCompileError),
        ("byte_math:bytes 1,offset 70000,oper +,rvalue 5,result r", RuleCompileError),
        ("byte_math:bytes 1,offset 0,oper +,rvalue nope,result r", RuleCompileError),
        ("byte_math:bytes 1,offset 0,oper +,rvalue 5,result r,string bin", RuleCompileError),
        ("byte_math:bytes 1,offset 0,oper +,rvalue 5,result r,bitmask zz", RuleCompileError),
        ("byte_math:bytes 1,offset 0,oper +,rvalue 5,result r,relative,relative", RuleCompileError),
        ("byte_math:bytes 1,offset 0,oper +,rvalue 5,result r,whatever", RuleCompileError),
        ("byte_math:bytes 1,offset 0,oper +,rvalue 5,result r,dce", UnsupportedRule),
        ("byte_math:bytes 1,offset 0,oper +,rvalue 5,result r,endian dce", UnsupportedRule),
    ],
)
def test_byte_math_errors(opt: str, exc: type[Exception]) -> None:
    with pytest.raises(exc):
        prog(opt)
