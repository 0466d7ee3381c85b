"""isdataat: setup (ok / error) and matching.

Absolute checks need offset < length; relative ones are one byte more lenient
(Suricata's documented table); negation, variables, retries.
"""

from __future__ import annotations

import pytest

from rules.model import Option
from sensor.detect.inspect import BufferProgram, MatchState, compile_buffer
from sensor.detect.keywords.isdataat import setup_isdataat
from sensor.errors import RuleCompileError


def prog(*opts: str) -> BufferProgram:
    options = []
    for o in opts:
        name, sep, value = o.partition(":")
        options.append(Option(name.strip(), value.strip() if sep else None))
    return compile_buffer(options)


def hit(buf: bytes, *opts: str) -> bool:
    return prog(*opts).match(buf, MatchState())


def test_setup_ok() -> None:
    spec = setup_isdataat("!5 , relative, rawbytes", set())
    assert (spec.dataat, spec.relative, spec.negated) == (5, True, True)
    assert setup_isdataat("n", {"n"}).dataat == "n"


@pytest.mark.parametrize(
    "value", ["", "x", "5,relatively", "5,rawbytes,relative", "70000", "-1", "5 6", None]
)
def test_setup_errors(value: str | None) -> None:
    with pytest.raises(RuleCompileError):
        setup_isdataat(value, set())


@pytest.mark.parametrize(
    ("opts", "expected"),
    [
        (("isdataat:31",), True),
        (("isdataat:32",), False),
        (("isdataat:31,relative",), True),
        (("isdataat:32,relative",), True),
        (("isdataat:33,relative",), False),
        (("isdataat:!32",), True),
        (("isdataat:!31",), False),
        (("isdataat:!33,relative",), True),
        (("isdataat:!32,relative",), False),
    ],
)
def test_documented_table_32_byte_payload(opts: tuple[str, ...], expected: bool) -> None:
    assert hit(b"x" * 32, *opts) is expected


@pytest.mark.parametrize(("n", "expected"), [(4, True), (5, True), (6, False)])
def test_relative_after_content(n: int, expected: bool) -> None:
    assert hit(b"abcdefgh", 'content:"c"', f"isdataat:{n},relative") is expected


def test_negated_relative_is_retried_on_next_occurrence() -> None:
    # first "c" has data after it; the second "c" is at the end
    assert hit(b"abcdxc", 'content:"c"', "isdataat:!2,relative")
    assert not hit(b"abcdxczz", 'content:"c"', "isdataat:!2,relative")


def test_isdataat_with_variable() -> None:
    assert hit(b"\x02ab", "byte_extract:1,0,n", "isdataat:n")
    assert not hit(b"\x03ab", "byte_extract:1,0,n", "isdataat:n")
    assert hit(b"\x03ab", "byte_extract:1,0,n", "isdataat:!n")
