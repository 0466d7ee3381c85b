"""Property tests: rule AST -> text -> AST round-trips, and the parser is total over text.

`parse_rule(format_rule(r)) == r` for generated ASTs (every header form, option values
with escapes and quoted `;`), `format_rule` is a fixed point for the shipped rule files,
and arbitrary text makes `parse_rule` raise only `RuleError`.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

import rules
from rules import (
    ACTIONS,
    AddressSpec,
    Header,
    Option,
    PortSpec,
    Rule,
    RuleError,
    format_rule,
    parse_file,
    parse_rule,
)
from rules.content import unquote

DERIVED = {"sid", "rev", "gid", "msg", "classtype", "priority"}

# ------------------------------------------------------------------------ addresses

IPV4 = st.integers(0, (1 << 32) - 1).map(lambda n: str(ipaddress.IPv4Address(n)))
IPV6 = st.integers(0, (1 << 128) - 1).map(lambda n: str(ipaddress.IPv6Address(n)))
CIDR = st.one_of(
    st.tuples(IPV4, st.integers(0, 32)).map(lambda t: f"{t[0]}/{t[1]}"),
    st.tuples(IPV6, st.integers(0, 128)).map(lambda t: f"{t[0]}/{t[1]}"),
)
V4_RANGE = st.tuples(st.integers(0, (1 << 32) - 1), st.integers(0, (1 << 32) - 1)).map(
    lambda t: f"{ipaddress.IPv4Address(min(t))}-{ipaddress.IPv4Address(max(t))}"
)
V6_RANGE = st.tuples(st.integers(0, (1 << 128) - 1), st.integers(0, (1 << 128) - 1)).map(
    lambda t: f"{ipaddress.IPv6Address(min(t))}-{ipaddress.IPv6Address(max(t))}"
)
VAR_NAME = st.from_regex(r"[A-Z_][A-Z0-9_]{0,12}", fullmatch=True)

ADDRESS_LEAF = st.one_of(
    st.just(AddressSpec("any")),
    st.tuples(VAR_NAME, st.booleans()).map(lambda t: AddressSpec("var", t[0], negated=t[1])),
    st.tuples(st.one_of(IPV4, IPV6, CIDR), st.booleans()).map(
        lambda t: AddressSpec("ip", t[0], negated=t[1])
    ),
    st.tuples(st.one_of(V4_RANGE, V6_RANGE), st.booleans()).map(
        lambda t: AddressSpec("range", t[0], negated=t[1])
    ),
)
ADDRESSES = st.recursive(
    ADDRESS_LEAF,
    lambda inner: st.tuples(st.lists(inner, min_size=1, max_size=4), st.booleans()).map(
        lambda t: AddressSpec("group", items=tuple(t[0]), negated=t[1])
    ),
    max_leaves=10,
)

# ---------------------------------------------------------------------------- ports


def _range(lo: int, hi: int, style: int) -> PortSpec:
    if style == 1:
        return PortSpec("range", f":{hi}", 0, hi)
    if style == 2:
        return PortSpec("range", f"{lo}:", lo, 65535)
    return PortSpec("range", f"{lo}:{hi}", lo, hi)


PORT_LEAF = st.one_of(
    st.just(PortSpec("any")),
    VAR_NAME.map(lambda name: PortSpec("var", name)),
    st.integers(0, 65535).map(lambda p: PortSpec("port", str(p), p, p)),
    st.tuples(st.integers(0, 65535), st.integers(0, 65535), st.integers(0, 2)).map(
        lambda t: _range(min(t[0], t[1]), max(t[0], t[1]), t[2])
    ),
)
PORT_NEGATABLE = st.tuples(PORT_LEAF, st.booleans()).map(
    lambda t: t[0] if t[0].kind == "any" else PortSpec(t[0].kind, t[0].value, t[0].lo, t[0].hi, negated=t[1])
)
PORTS = st.recursive(
    PORT_NEGATABLE,
    lambda inner: st.tuples(st.lists(inner, min_size=1, max_size=4), st.booleans()).map(
        lambda t: PortSpec("group", items=tuple(t[0]), negated=t[1])
    ),
    max_leaves=10,
)


def _no_negated_any(spec: AddressSpec) -> AddressSpec:
    if spec.kind == "any":
        return AddressSpec("any")
    return AddressSpec(spec.kind, spec.value, tuple(_no_negated_any(i) for i in spec.items), spec.negated)


PROTOS = st.one_of(
    st.sampled_from(
        ["ip", "tcp", "udp", "icmp", "http", "tls", "dns", "tcp-pkt", "http1:request_line", "IP"]
    ),
    st.from_regex(r"[a-z][a-z0-9_\-]{0,8}(:[a-z_]{1,12})?", fullmatch=True),
)
HEADERS = st.builds(
    Header,
    proto=PROTOS,
    src=ADDRESSES.map(_no_negated_any),
    sp=PORTS,
    direction=st.sampled_from(["->", "<>", "=>"]),
    dst=ADDRESSES.map(_no_negated_any),
    dp=PORTS,
)

# -------------------------------------------------------------------------- options

ESCAPES = st.sampled_from(["\\;", '\\"', "\\\\", "\\:"])
PLAIN = st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters=';"\\')
INNER = st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters='"\\')  # ';' allowed
UNQUOTED = (
    st.lists(st.one_of(PLAIN, PLAIN, st.just(" "), ESCAPES), min_size=1, max_size=20)
    .map("".join)
    .filter(lambda v: v == v.strip())
)
QUOTED = st.tuples(st.booleans(), st.lists(st.one_of(INNER, ESCAPES), max_size=20).map("".join)).map(
    lambda t: ("!" if t[0] else "") + f'"{t[1]}"'
)
OPTION_NAMES = st.from_regex(r"[a-z][a-z0-9_.\-]{0,15}", fullmatch=True).filter(lambda n: n not in DERIVED)
OPTIONS = st.lists(
    st.builds(Option, OPTION_NAMES, st.one_of(st.none(), st.just(""), UNQUOTED, QUOTED)),
    max_size=8,
)
MSG_TEXT = st.lists(st.one_of(INNER, ESCAPES), max_size=30).map("".join)


@st.composite
def rule_asts(draw: st.DrawFn) -> Rule:
    options = list(draw(OPTIONS))
    sid = draw(st.integers(1, 0xFFFFFFFF))
    extras: list[Option] = [Option("sid", str(sid))]
    rev = draw(st.none() | st.integers(0, 1000))
    gid = draw(st.none() | st.integers(0, 10))
    msg = draw(st.none() | MSG_TEXT)
    classtype = draw(st.none() | st.from_regex(r"[a-z][a-z\-]{0,20}", fullmatch=True))
    priority = draw(st.none() | st.integers(1, 255))
    if rev is not None:
        extras.append(Option("rev", str(rev)))
    if gid is not None:
        extras.append(Option("gid", str(gid)))
    if msg is not None:
        extras.append(Option("msg", f'"{msg}"'))
    if classtype is not None:
        extras.append(Option("classtype", classtype))
    if priority is not None:
        extras.append(Option("priority", str(priority)))
    for extra in extras:
        options.insert(draw(st.integers(0, len(options))), extra)
    return Rule(
        action=draw(st.sampled_from(sorted(ACTIONS))),
        header=draw(HEADERS),
        options=tuple(options),
        sid=sid,
        rev=rev or 0,
        gid=1 if gid is None else gid,
        msg="" if msg is None else unquote(f'"{msg}"'),
        classtype=classtype,
        priority=priority,
        enabled=draw(st.booleans()),
    )


@settings(max_examples=500, deadline=None)
@given(rule_asts())
@example(
    Rule(
        "alert",
        Header("tcp", AddressSpec("any"), PortSpec("any"), "->", AddressSpec("any"), PortSpec("any")),
        (Option("msg", '"a; b:c"'), Option("content", '"x;"'), Option("sid", "1")),
        sid=1,
        msg="a; b:c",
    )
)
def test_parse_inverts_format(rule: Rule) -> None:
    text = format_rule(rule)
    parsed = parse_rule(text)
    assert parsed == rule, text
    assert format_rule(parsed) == text


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('alert tcp any ->[]!$:;,()"\\#80.1/sid:msg-')), max_size=80))
def test_parser_raises_only_rule_errors(text: str) -> None:
    try:
        rule = parse_rule(text)
    except RuleError:
        return
    assert parse_rule(format_rule(rule)) == rule


def test_shipped_rule_files_are_format_fixed_points() -> None:
    builtin = Path(rules.__file__).parent / "builtin"
    for path in sorted(builtin.glob("*.rules")):
        for item in parse_file(str(path)):
            assert isinstance(item, Rule), str(item)
            text = format_rule(item)
            assert format_rule(parse_rule(text)) == text
            assert parse_rule(text) == item
