"""The inspection chain as a whole.

Backtracking (Suricata's retry of the previous match), the recursion limit, empty
payloads, byte variables shared across buffers, Suricata's propagated offsets, API.
"""

from __future__ import annotations

import time

import pytest

from rules.model import Option
from sensor.detect.inspect import PAYLOAD_KEYWORDS, BufferProgram, MatchState, compile_buffer
from sensor.detect.keywords import content as content_kw
from sensor.errors import RuleCompileError


def opts_of(*opts: str) -> list[Option]:
    options = []
    for o in opts:
        name, sep, value = o.partition(":")
        options.append(Option(name.strip(), value.strip() if sep else None))
    return options


def prog(*opts: str, buffer: str = "payload", rule_vars: set[str] | None = None) -> BufferProgram:
    return compile_buffer(opts_of(*opts), buffer=buffer, rule_vars=rule_vars)


def hit(buf: bytes, *opts: str) -> bool:
    return prog(*opts).match(buf, MatchState())


def test_payload_keywords_table() -> None:
    assert PAYLOAD_KEYWORDS >= {
        "content",
        "nocase",
        "depth",
        "offset",
        "distance",
        "within",
        "startswith",
        "endswith",
        "fast_pattern",
        "rawbytes",
        "pcre",
        "isdataat",
        "byte_test",
        "byte_jump",
        "byte_extract",
        "byte_math",
        "bsize",
    }


def test_unknown_option_is_rejected() -> None:
    with pytest.raises(RuleCompileError) as e:
        prog("ttl:5")
    assert e.value.keyword == "ttl"


def test_empty_program_matches() -> None:
    p = prog()
    assert p.match(b"x", MatchState()) and not p.has_content and p.fast_pattern is None


def test_empty_payload_never_matches_payload_keywords() -> None:
    # Suricata: a rule with payload keywords needs a non-empty packet payload
    assert not prog('content:!"x"').match(b"", MatchState())
    assert not prog("isdataat:!1").match(b"", MatchState())
    assert prog('content:!"x"').match(b"a", MatchState())
    assert prog('content:!"x"', buffer="http.uri").match(b"", MatchState())


def test_backtracking_finds_the_second_occurrence() -> None:
    opts = ('content:"a"', 'content:"b"', "distance:0", "within:1")
    assert hit(b"axab", *opts)
    assert not hit(b"axa b", *opts)


def test_backtracking_three_levels() -> None:
    opts = ('content:"a"', 'content:"b"', "distance:0", "within:2", 'content:"c"', "distance:0", "within:1")
    assert hit(b"a-b a-bxa-bc", *opts)
    assert not hit(b"a-b a-bxa-b c", *opts)


def test_backtracking_through_byte_jump() -> None:
    # the first "A" jumps past the end; its retry (byte_jump is relative to it) succeeds
    opts = ('content:"A"', "byte_jump:1,0,relative", 'content:"B"', "within:1")
    assert hit(b"A\x09A\x01xB", *opts)
    assert not hit(b"A\x09A\x02xB", *opts)


def test_absolute_content_after_relative_failure_stops() -> None:
    opts = ('content:"a"', 'content:"zz"')
    assert not hit(b"aaaa", *opts)
    assert hit(b"aazz", *opts)


def test_recursion_limit_bounds_the_work(monkeypatch: pytest.MonkeyPatch) -> None:
    opts = (
        'content:"a"',
        'content:"a"',
        "distance:0",
        "within:100",
        'content:"a"',
        "distance:0",
        "within:100",
        'content:"b"',
        "distance:0",
        "within:1",
    )
    buf = b"a" * 150 + b"b"
    start = time.perf_counter()
    assert not hit(buf, *opts)  # Suricata gives up at 3000 keyword evaluations
    assert time.perf_counter() - start < 1.0
    monkeypatch.setattr(content_kw, "RECURSION_LIMIT", 10**9)
    assert hit(buf, *opts)  # the match exists beyond the limit


def test_variables_are_shared_across_buffers() -> None:
    rule_vars: set[str] = set()
    first = prog('content:"len="', "byte_extract:1,0,n,relative", rule_vars=rule_vars)
    assert first.defines == frozenset({"n"}) and rule_vars == {"n"}
    second = prog('content:"X"', "offset:n", buffer="http.uri", rule_vars=rule_vars)
    assert second.defines == frozenset()
    state = MatchState()
    assert first.match(b"len=\x02", state) and state.vars == {"n": 2}
    assert second.match(b"abX", state)
    assert not second.match(b"Xab", state)


def test_variable_must_be_defined_earlier() -> None:
    with pytest.raises(RuleCompileError, match="unknown"):
        prog('content:"X"', "offset:n", 'content:"a"', "byte_extract:1,0,n")


def test_match_state_holds_only_vars() -> None:
    state = MatchState()
    assert state.vars == {}
    with pytest.raises(AttributeError):
        state.other = 1  # type: ignore[attr-defined]


def test_nocase_lowering_is_per_call() -> None:
    p = prog('content:"abc"', "nocase", 'content:"X"')
    assert p.match(b"ABC X", MatchState())
    assert not p.match(b"ABC x", MatchState())
    assert p.match(b"aBc X", MatchState())


@pytest.mark.parametrize(
    ("opts", "buf", "expected"),
    [
        # a negated content without modifiers counts as having matched its own length
        (('content:!"zzz"', 'content:"X"', "distance:0"), b"..X...", False),
        (('content:!"zzz"', 'content:"X"', "distance:0"), b"...X..", True),
        (('content:!"zzz"', 'content:"X"', "distance:-2"), b"X.....", False),
        (('content:!"zzz"', 'content:"X"', "distance:-2"), b".X....", True),
        (('content:!"zzz"', 'pcre:"/\\./R"', 'content:"X"', "distance:0"), b".X....", False),
        (('content:"ab"', "depth:2", 'content:!"zzz"', 'content:"Y"', "distance:0"), b"abY....", False),
        # a modifier on the negated content, or another keyword in between, resets it
        (('content:!"zzz"', "depth:9", 'content:"X"', "distance:0"), b"X.....", True),
        (('content:!"zzz"', "isdataat:1", 'content:"X"', "distance:0"), b"X.....", True),
        # a byte-variable distance counts as the variable's local id (here 1)
        (
            ("byte_extract:1,2,n", "byte_extract:1,2,m", 'content:"a"', 'content:"X"', "distance:m"),
            b"aX\x00",
            False,
        ),
        (
            ("byte_extract:1,2,n", "byte_extract:1,2,m", 'content:"a"', 'content:"X"', "distance:n"),
            b"aX\x00",
            True,
        ),
    ],
)
def test_suricata_propagated_offsets(opts: tuple[str, ...], buf: bytes, expected: bool) -> None:
    # measured against Suricata 8.0.8 (DetectContentPropagateLimits feeds inspection)
    assert hit(buf, *opts) is expected
