"""pcre: Suricata flag parsing, PCRE2 -> Python re translation, and matching.

Translation cases were checked against Suricata 8.0.8 (PCRE2 10.45): anchors,
newlines, classes, quantifier braces, inline options, backreferences, lookbehind.
"""

from __future__ import annotations

import re

import pytest

from rules.model import Option
from sensor.detect.inspect import BufferProgram, MatchState, compile_buffer
from sensor.detect.keywords.pcre import PCRE_BUFFER_FLAGS, setup_pcre, translate_pcre
from sensor.errors import RuleCompileError, UnsupportedRule


def prog(*opts: str, buffer: str = "payload") -> BufferProgram:
    options = []
    for o in opts:
        name, sep, value = o.partition(":")
        options.append(Option(name.strip(), value.strip() if sep else None))
    return compile_buffer(options, buffer=buffer)


def hit(buf: bytes, *opts: str, buffer: str = "payload") -> bool:
    return prog(*opts, buffer=buffer).match(buf, MatchState())


def rx(pattern: bytes, flags: str = "") -> re.Pattern[bytes]:
    source, py_flags, _ = translate_pcre(pattern, flags)
    return re.compile(source.encode("latin-1"), py_flags)


def found(pattern: bytes, subject: bytes, flags: str = "") -> bytes | None:
    m = rx(pattern, flags).search(subject)
    return None if m is None else m.group(0)


# -- setup -----------------------------------------------------------------------------------------


def test_setup_ok() -> None:
    spec = setup_pcre('"/ab+c/iR"', "payload")
    assert spec.relative and not spec.negated and not spec.anchored
    assert spec.regex.search(b"xABBC")
    # Suricata 8.0.8 also loads the unquoted form (checked with suricata -T)
    assert setup_pcre("/ab+c/i", "payload").regex.search(b"xABBC")


@pytest.mark.parametrize(
    "value",
    [
        '"abc"',
        '"/abc"',
        '"/abc/7"',
        '"/abc/Ui$"',
        '"/abc/UH"',
        '"/abc/BU"',
        '"/a(b/"',
        '"/a)b/"',
        None,
    ],
)
def test_setup_errors(value: str | None) -> None:
    with pytest.raises(RuleCompileError):
        setup_pcre(value, "payload")


def test_http_flags_need_app_layer_on_payload() -> None:
    for flag, buffer in PCRE_BUFFER_FLAGS.items():
        with pytest.raises(UnsupportedRule, match=f"http buffer flag {flag} needs app-layer"):
            setup_pcre(f'"/abc/{flag}"', "payload")
        assert setup_pcre(f'"/abc/{flag}"', buffer).buffer_flag == flag


def test_capture_variables_unsupported() -> None:
    with pytest.raises(UnsupportedRule, match="variables"):
        setup_pcre('"/(a)b/, flow:myvar"', "payload")


def test_relative_pcre_needs_previous_match_in_payload_only() -> None:
    with pytest.raises(RuleCompileError, match="relative"):
        prog('pcre:"/abc/R"')
    assert hit(b"abc", 'pcre:"/abc/R"', buffer="http.uri")


@pytest.mark.parametrize(
    ("pattern", "construct"),
    [
        (rb"(?R)", "recursion"),
        (rb"(a)(?1)", "recursion"),
        (rb"(?&n)", "recursion"),
        (rb"a\Kb", "\\K"),
        (rb"(?|a|b)", "branch reset"),
        (rb"\p{L}", "Unicode property"),
        (rb"(*UTF)a", "VERB"),
        (rb"\Ga", "\\G"),
        (rb"(?(R)a|b)", "conditional"),
        (rb"(?C1)a", "callout"),
        (rb"a*{2}", "quantifier"),
    ],
)
def test_pcre_only_constructs(pattern: bytes, construct: str) -> None:
    with pytest.raises((UnsupportedRule, RuleCompileError), match=re.escape(construct)):
        translate_pcre(pattern, "")


@pytest.mark.parametrize(
    "pattern",
    [rb"[\d-z]", rb"a\y", rb"[z-a]", rb"\1", rb"(a)\2", rb"[a", rb"*a", rb"\x{100}", rb"\x", rb"\xg", rb"\b*"]
    + [rb"^*", rb"\N{U+41}", rb"\400"],
)
def test_invalid_pcre(pattern: bytes) -> None:
    with pytest.raises(RuleCompileError):
        translate_pcre(pattern, "")


# -- translation semantics -------------------------------------------------------------------------


def test_flags_i_s_m_x() -> None:
    assert found(rb"abc", b"xABC", "i") == b"ABC"
    assert found(rb"a.b", b"a\nb") is None
    assert found(rb"a.b", b"a\nb", "s") == b"a\nb"
    assert found(rb"^b", b"a\nb") is None
    assert found(rb"^b", b"a\nb", "m") == b"b"
    assert found(rb"a b  c # comment", b"abc", "x") == b"abc"
    assert found(rb"a\ b", b"a b", "x") == b"a b"


def test_dollar_variants() -> None:
    assert found(rb"abc$", b"abc\n") == b"abc"  # PCRE: before a final newline
    assert found(rb"abc$", b"abc\n", "E") is None  # dollar end-only
    assert found(rb"abc$", b"abc\nx") is None
    assert found(rb"abc$", b"abc\nx", "m") == b"abc"
    assert found(rb"abc\z", b"abc\n") is None
    assert found(rb"abc\Z", b"abc\n") == b"abc"


def test_multiline_caret_not_after_final_newline() -> None:
    assert rx(rb"^", "m").findall(b"a\n") == [b""]


def test_anchored_flag() -> None:
    assert hit(b"abc", 'pcre:"/abc/A"')
    assert not hit(b"xabc", 'pcre:"/abc/A"')


def test_xx_and_n_options() -> None:
    assert found(rb"(?xx)[a b]+", b" ab") == b"ab"
    assert found(rb"(?n)(a)(?<k>b)\1", b"abb") == b"abb"  # (?n): plain groups don't capture


def test_ungreedy_flag() -> None:
    assert found(rb"a+", b"aaa", "G") == b"a"
    assert found(rb"a+?", b"aaa", "G") == b"aaa"
    assert found(rb"a++", b"aaa", "G") == b"aaa"
    assert found(rb"(?U)a+", b"aaa") == b"a"


def test_escapes() -> None:
    assert found(rb"a\hb", b"a\xa0b") == b"a\xa0b"
    assert found(rb"a\vb", b"a\x85b") == b"a\x85b"  # PCRE \v: vertical space, not VT only
    assert found(rb"\x{41}\101\x4", b"AA\x04") == b"AA\x04"
    assert found(rb"\0\012", b"\x00\n") == b"\x00\n"
    assert found(rb"\cA\e", b"\x01\x1b") == b"\x01\x1b"
    assert found(rb"\Qa.b\E.", b"a.bc") == b"a.bc"
    assert found(rb"\Qa.b", b"axb") is None
    assert found(rb"a\R+b", b"a\r\n\nb") == b"a\r\n\nb"
    assert found(rb"\N+", b"ab\ncd") == b"ab"
    assert found(rb"\d\w\s", b"1a ") == b"1a "


def test_classes() -> None:
    assert found(rb"[[:alpha:]]+", b"12abC3") == b"abC"
    assert found(rb"[[:^digit:]x]+", b"12ab3") == b"ab"
    assert found(rb"[]a]+", b"x]a]") == b"]a]"
    assert found(rb"[^]a]+", b"]]bc") == b"bc"
    assert found(rb"[\d-]+", b"x1-2") == b"1-2"
    assert found(rb"[^a]", b"aAb", "i") == b"b"
    assert found(rb"[a-c]+", b"xABCd", "i") == b"ABC"
    assert found(rb"[\x00-\x02]+", b"a\x00\x01\x03") == b"\x00\x01"


def test_quantifier_braces() -> None:
    # PCRE2 10.43+ (Suricata 8.0.8's 10.45): {,n} means {0,n}; spaces are allowed inside braces
    assert found(rb"x{,3}y", b"y") == b"y"
    assert found(rb"x{ 2 , 3 }", b"xxxx") == b"xxx"
    assert found(rb"x{,}", b"x{,}") == b"x{,}"
    assert found(rb"\x{ 41 }", b"A") == b"A"
    assert found(rb"x{2,3}", b"xxxx") == b"xxx"
    assert found(rb"x{2}", b"xxx") == b"xx"
    assert found(rb"a{b", b"a{b") == b"a{b"


def test_inline_options_scope_follows_pcre() -> None:
    assert found(rb"a(?i)b|c", b"C") == b"C"  # option carries into the next branch
    assert found(rb"a(?i)b|c", b"AB") is None
    assert found(rb"(a(?i)b)c", b"aBc") == b"aBc"
    assert found(rb"(a(?i)b)c", b"aBC") is None
    assert found(rb"(?i:a)b", b"Ab") == b"Ab"
    assert found(rb"(?i)a(?-i)b", b"Ab") == b"Ab"
    assert found(rb"(?i)a(?-i)b", b"AB") is None


def test_backreferences_and_named_groups() -> None:
    assert found(rb"(a)\1", b"xaa") == b"aa"
    assert found(rb"(?<n>ab)\k<n>", b"abab") == b"abab"
    assert found(rb"(?P<n>ab)(?P=n)", b"abab") == b"abab"
    assert found(rb"(?'n'ab)\g{n}", b"abab") == b"abab"
    assert found(rb"(a)(b)\g{-1}", b"abb") == b"abb"
    # Suricata compiles without auto-capture: \1 names the first *named* group here
    assert found(rb"(?<n>x)(y)\1", b"xyx") == b"xyx"
    assert found(rb"(a)\1", b"aA", "i") == b"aA"


def test_lookbehind_with_branches_of_different_length() -> None:
    assert found(rb"(?<=ab|c)d", b"abd") == b"d"
    assert found(rb"(?<=ab|c)d", b"cd") == b"d"
    assert found(rb"(?<!ab|c)d", b"xd") == b"d"
    assert found(rb"(?<!ab|c)d", b"cd") is None


def test_conditionals_atomic_possessive() -> None:
    assert found(rb"(a)?(?(1)b|c)", b"ab") == b"ab"
    assert found(rb"(?>a+)b", b"aab") == b"aab"
    assert found(rb"a*+a", b"aaa") is None


# -- matching -----------------------------------------------------------------------------------------


def test_match_and_no_match() -> None:
    assert hit(b"NICK fooUSAbar123", 'pcre:"/NICK .*USA.*[0-9]{3,}/i"')
    assert not hit(b"NICK fooUSAbar12", 'pcre:"/NICK .*USA.*[0-9]{3,}/i"')


def test_negated_pcre() -> None:
    assert hit(b"abc", 'pcre:!"/xyz/"')
    assert not hit(b"xyz", 'pcre:!"/xyz/"')


def test_relative_pcre_anchors_at_previous_match() -> None:
    assert hit(b"foobar", 'content:"foo"', 'pcre:"/^bar/R"')
    assert not hit(b"foo bar", 'content:"foo"', 'pcre:"/^bar/R"')
    assert not hit(b"barfoo", 'content:"foo"', 'pcre:"/bar/R"')
    assert hit(b"foo-x-bar", 'content:"foo"', 'pcre:"/(?<=x-)bar/R"')
    assert not hit(b"x-foobar", 'content:"foo"', 'pcre:"/(?<=x-)bar/R"')  # lookbehind can't see before


def test_relative_pcre_retries_previous_content() -> None:
    # the first "foo" is not followed by "bar"; Suricata retries with the next "foo"
    assert hit(b"foo x foobar", 'content:"foo"', 'pcre:"/^bar/R"')


def test_pcre_sets_position_for_relative_content() -> None:
    opts = ('pcre:"/a[0-9]+/"', 'content:"z"', "within:1")
    assert hit(b"a12z", *opts)
    assert hit(b"a1x a2z", *opts)  # pcre retried at its next match
    assert not hit(b"a12 z", *opts)


def test_pcre_rawbytes_and_match_limit_flags_accepted() -> None:
    assert hit(b"abc", 'pcre:"/b/BO"')


def test_runaway_match_is_cut_off_and_counted() -> None:
    """Catastrophic backtracking stops at the match limit and counts as no match (Suricata's
    PCRE match limit does the same); the counter says it happened."""
    from sensor.detect.keywords.pcre import COUNTERS, make_pcre_step

    spec = setup_pcre('"/^(?=.*?q=(?:[a-z]{4})*(?:[a-z]{2}|[a-z]{3})+(?:&|$))/"', "payload")
    step = make_pcre_step(spec, None, False)
    before = COUNTERS["pcre_match_limit"]
    assert step(b"q=" + b"a" * 200 + b"!", 0, {}, [0]) == 0
    assert COUNTERS["pcre_match_limit"] == before + 1
