"""Unit tests for rules.parse: one test (or parametrised group) per grammar feature and per error."""

from __future__ import annotations

from pathlib import Path

import pytest

from rules import ACTIONS, AddressSpec, Option, PortSpec, Rule, RuleError, parse_file, parse_lines, parse_rule

BASIC = (
    'alert http $HOME_NET any -> $EXTERNAL_NET any (msg:"HTTP GET Request Containing Rule in URI"; '
    'flow:established,to_server; http.method; content:"GET"; http.uri; content:"rule"; fast_pattern; '
    "classtype:bad-unknown; sid:123; rev:1;)"
)


def rule_with(header: str = "tcp any any -> any any", options: str = "sid:1;", action: str = "alert") -> str:
    return f"{action} {header} ({options})"


def error_of(text: str, **kw: object) -> RuleError:
    with pytest.raises(RuleError) as info:
        parse_rule(text, **kw)  # type: ignore[arg-type]
    return info.value


# ----------------------------------------------------------------------------- basics


def test_basic_rule_fields() -> None:
    rule = parse_rule(BASIC, file="local.rules", line=7)
    assert rule.action == "alert"
    assert rule.header is not None
    assert rule.header.proto == "http"
    assert rule.header.src == AddressSpec("var", "HOME_NET")
    assert rule.header.sp == PortSpec("any")
    assert rule.header.direction == "->"
    assert rule.header.dst == AddressSpec("var", "EXTERNAL_NET")
    assert rule.sid == 123 and rule.rev == 1 and rule.gid == 1
    assert rule.msg == "HTTP GET Request Containing Rule in URI"
    assert rule.classtype == "bad-unknown"
    assert rule.priority is None
    assert rule.enabled is True
    assert (rule.file, rule.line) == ("local.rules", 7)
    assert rule.options[1] == Option("flow", "established,to_server")
    assert rule.options[2] == Option("http.method", None)
    assert [o.name for o in rule.options].count("content") == 2


def test_defaults_when_optional_fields_absent() -> None:
    rule = parse_rule(rule_with())
    assert (rule.rev, rule.gid, rule.msg, rule.classtype, rule.priority) == (0, 1, "", None, None)


def test_gid_priority_derived() -> None:
    rule = parse_rule(rule_with(options="gid:3; priority:2; sid:9; rev:4;"))
    assert (rule.gid, rule.priority, rule.sid, rule.rev) == (3, 2, 9, 4)


def test_quoted_integer_sid_is_accepted() -> None:
    assert parse_rule(rule_with(options='sid:"42";')).sid == 42


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_every_action(action: str) -> None:
    assert parse_rule(rule_with(action=action)).action == action


@pytest.mark.parametrize(
    "proto",
    [
        "ip", "tcp", "udp", "icmp", "icmpv6", "pkthdr", "tcp-pkt", "tcp-stream", "http", "http1",
        "http2", "dns", "tls", "ssh", "smtp", "ftp", "ftp-data", "smb", "dcerpc", "IP",
        "http1:request_line", "tcp:flow_start", "ip:flow_start",
    ],
)  # fmt: skip
def test_protocols_kept_as_written(proto: str) -> None:
    rule = parse_rule(rule_with(header=f"{proto} any any -> any any"))
    assert rule.header is not None and rule.header.proto == proto


@pytest.mark.parametrize("direction", ["->", "<>", "=>"])
def test_directions(direction: str) -> None:
    rule = parse_rule(rule_with(header=f"tcp any any {direction} any any"))
    assert rule.header is not None and rule.header.direction == direction


# -------------------------------------------------------------------------- addresses


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("any", AddressSpec("any")),
        ("ANY", AddressSpec("any")),
        ("$HOME_NET", AddressSpec("var", "HOME_NET")),
        ("!$HOME_NET", AddressSpec("var", "HOME_NET", negated=True)),
        ("10.0.0.1", AddressSpec("ip", "10.0.0.1")),
        ("10.0.0.0/8", AddressSpec("ip", "10.0.0.0/8")),
        ("10.0.0.0/255.0.0.0", AddressSpec("ip", "10.0.0.0/255.0.0.0")),
        ("::1", AddressSpec("ip", "::1")),
        ("2001:db8::/32", AddressSpec("ip", "2001:db8::/32")),
        ("!fe80::1", AddressSpec("ip", "fe80::1", negated=True)),
        ("10.0.0.1-10.0.0.9", AddressSpec("range", "10.0.0.1-10.0.0.9")),
        ("2001:db8::1-2001:db8::ff", AddressSpec("range", "2001:db8::1-2001:db8::ff")),
    ],
)
def test_address_forms(text: str, spec: AddressSpec) -> None:
    rule = parse_rule(rule_with(header=f"ip {text} any -> any any"))
    assert rule.header is not None and rule.header.src == spec


def test_address_groups_nested_and_negated() -> None:
    rule = parse_rule(rule_with(header="ip [10.0.0.0/8, ![10.1.0.0/16, !10.1.2.3], $X] any -> any any"))
    assert rule.header is not None
    assert rule.header.src == AddressSpec(
        "group",
        items=(
            AddressSpec("ip", "10.0.0.0/8"),
            AddressSpec(
                "group",
                items=(AddressSpec("ip", "10.1.0.0/16"), AddressSpec("ip", "10.1.2.3", negated=True)),
                negated=True,
            ),
            AddressSpec("var", "X"),
        ),
    )


def test_negated_group() -> None:
    rule = parse_rule(rule_with(header="ip ![1.1.1.1,1.1.1.2] any -> any any"))
    assert rule.header is not None
    assert rule.header.src.kind == "group" and rule.header.src.negated


# ------------------------------------------------------------------------------ ports


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("any", PortSpec("any")),
        ("$HTTP_PORTS", PortSpec("var", "HTTP_PORTS")),
        ("!$HTTP_PORTS", PortSpec("var", "HTTP_PORTS", negated=True)),
        ("80", PortSpec("port", "80", 80, 80)),
        ("!80", PortSpec("port", "80", 80, 80, negated=True)),
        ("1024:65535", PortSpec("range", "1024:65535", 1024, 65535)),
        (":1024", PortSpec("range", ":1024", 0, 1024)),
        ("1024:", PortSpec("range", "1024:", 1024, 65535)),
        ("0", PortSpec("port", "0", 0, 0)),
    ],
)
def test_port_forms(text: str, spec: PortSpec) -> None:
    rule = parse_rule(rule_with(header=f"tcp any any -> any {text}"))
    assert rule.header is not None and rule.header.dp == spec


def test_port_groups_with_spaces_negation_and_nesting() -> None:
    rule = parse_rule(rule_with(header="tcp any [80: 82, [443,8443], !81] -> any [5060, 5061]"))
    assert rule.header is not None
    assert rule.header.sp == PortSpec(
        "group",
        items=(
            PortSpec("range", "80:82", 80, 82),
            PortSpec(
                "group", items=(PortSpec("port", "443", 443, 443), PortSpec("port", "8443", 8443, 8443))
            ),
            PortSpec("port", "81", 81, 81, negated=True),
        ),
    )
    assert rule.header.dp.items == (
        PortSpec("port", "5060", 5060, 5060),
        PortSpec("port", "5061", 5061, 5061),
    )


# ---------------------------------------------------------------------------- options


def test_escapes_kept_raw_in_value_and_removed_in_msg() -> None:
    rule = parse_rule(rule_with(options=r'msg:"a \"quoted\" x\;y \\ z\: w"; content:"a\;b"; sid:1;'))
    assert rule.options[0].value == r'"a \"quoted\" x\;y \\ z\: w"'
    assert rule.msg == r'a "quoted" x;y \ z: w'
    assert rule.options[1] == Option("content", r'"a\;b"')


def test_quoted_string_may_contain_semicolon() -> None:
    rule = parse_rule(rule_with(options='msg:"one; two"; content:"x;y"; sid:5;'))
    assert rule.msg == "one; two"
    assert rule.options[1] == Option("content", '"x;y"')
    assert rule.sid == 5


def test_unescaped_quote_inside_pcre_uses_suricata_splitting() -> None:
    # ET writes character classes such as ['"] inside quoted pcre values.
    text = rule_with(options='pcre:"/[\'"]*vbscript/i"; content:"a"; pcre:"/["\']x/"; sid:2001099;')
    rule = parse_rule(text)
    assert [o.name for o in rule.options] == ["pcre", "content", "pcre", "sid"]
    assert rule.options[0].value == '"/[\'"]*vbscript/i"'


def test_option_whitespace_is_stripped() -> None:
    rule = parse_rule(rule_with(options="  flow : established , to_server ;   nocase ;sid: 3 ;"))
    assert rule.options == (Option("flow", "established , to_server"), Option("nocase"), Option("sid", "3"))


def test_empty_value_and_escaped_trailing_space() -> None:
    rule = parse_rule(rule_with(options="metadata:; content:a\\ ; sid:1;"))
    assert rule.options[0] == Option("metadata", "")
    assert rule.options[1] == Option("content", "a\\ ")


def test_parenthesis_inside_option_value() -> None:
    rule = parse_rule(rule_with(options='pcre:"/(a|b)\\)/"; sid:1;'))
    assert rule.options[0].value == '"/(a|b)\\)/"'


# ----------------------------------------------------------------- commented / files


def test_commented_rule_is_disabled() -> None:
    rule = parse_rule("# " + BASIC)
    assert rule.enabled is False and rule.sid == 123


def test_parse_lines_comments_blank_continuations(tmp_path: Path) -> None:
    lines = [
        "# A comment that mentions alert but is not a rule",
        "",
        BASIC,
        '#alert tcp any any -> any any (msg:"off"; sid:2;)',
        "## alert tcp any any -> any any (sid:3;)",
        "# alert this is not a rule (really)",
        'alert tcp any any -> any any (msg:"multi"; \\',
        '    content:"x"; \\',
        "    sid:4;)",
        "   alert udp any any -> any any (sid:5;)",
        "   sid:6;) indented fragment, ignored like Suricata does",
    ]
    path = tmp_path / "x.rules"
    path.write_text("".join(line + "\n" for line in lines))
    items = list(parse_file(str(path)))
    assert all(isinstance(i, Rule) for i in items)
    rules = [i for i in items if isinstance(i, Rule)]
    assert [(r.sid, r.enabled, r.line) for r in rules] == [
        (123, True, 3),
        (2, False, 4),
        (3, False, 5),
        (4, True, 7),
        (5, True, 10),
    ]
    assert rules[3].options[1] == Option("content", '"x"')
    assert all(r.file == str(path) for r in rules)


def test_continuation_at_end_of_file() -> None:
    # a continuation still open at end of file is flushed as one rule
    (item,) = parse_lines(['alert tcp any any -> any any (msg:"x"; \\\n', "sid:8;)\\\n"], file="f")
    assert isinstance(item, Rule) and item.sid == 8 and item.line == 1
    (item,) = parse_lines(['alert tcp any any -> any any (msg:"x"; \\\n', "sid:8;)\n"], file="f")
    assert isinstance(item, Rule) and item.sid == 8 and item.line == 1


def test_parse_file_yields_every_error_and_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "bad.rules"
    path.write_text(
        "alert tcp any any -> any any (sid:1;)\n"
        'alert tcp any any -> any any (msg:"no sid";)\n'
        "alert tcp any any -> any 99999 (sid:3;)\n"
        "alert tcp any any -> any any (sid:4;)\n"
    )
    items = list(parse_file(str(path)))
    assert [type(i).__name__ for i in items] == ["Rule", "RuleError", "RuleError", "Rule"]
    second, third = items[1], items[2]
    assert isinstance(second, RuleError) and isinstance(third, RuleError)
    assert str(second) == f"{path}:2 keyword=sid: rule has no sid"
    assert str(third).startswith(f"{path}:3 sid=3 keyword=header: ")


def test_commented_out_rule_that_fails_is_a_comment() -> None:
    assert list(parse_lines(["# alert tcp any any -> any 99999 (sid:1;)\n"])) == []


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("text", "keyword", "reason"),
    [
        ('alert tcp any any -> any any (msg:"x";)', "sid", "rule has no sid"),
        ('alert tcp any any -> any any (msg:"x"; sid:7)', "sid", "unterminated option"),
        ('alert tcp any any -> any any (msg:"x; sid:7;)', "msg", "unterminated quoted string"),
        ("alert tcp any any any any (sid:7;)", "header", "bad header"),
        ("alert tcp any any <- any any (sid:7;)", "header", "bad direction"),
        ("alert tcp 10.0.0.256 any -> any any (sid:7;)", "header", "bad IPv4 address"),
        ("alert tcp 10.0.0.0/33 any -> any any (sid:7;)", "header", "prefix length"),
        ("alert tcp 10.0.0.9-10.0.0.1 any -> any any (sid:7;)", "header", "reversed"),
        ("alert tcp 10.0.0.1-::1 any -> any any (sid:7;)", "header", "mixes IPv4 and IPv6"),
        ("alert tcp nonsense any -> any any (sid:7;)", "header", "bad address"),
        ("alert tcp !any any -> any any (sid:7;)", "header", "'!any'"),
        ("alert tcp [1.2.3.4,] any -> any any (sid:7;)", "header", "empty item"),
        ("alert tcp [1.2.3.4 any -> any any (sid:7;)", "header", "unbalanced"),
        ("alert tcp $BAD-NAME any -> any any (sid:7;)", "header", "bad variable name"),
        ("alert tcp any 70000 -> any any (sid:7;)", "header", "out of range"),
        ("alert tcp any 90:80 -> any any (sid:7;)", "header", "reversed"),
        ("alert tcp any : -> any any (sid:7;)", "header", "bad port range"),
        ("alert tcp any http -> any any (sid:7;)", "header", "bad port"),
        ("alert tcp any !any -> any any (sid:7;)", "header", "'!any'"),
        ("alert t*p any any -> any any (sid:7;)", "header", "bad protocol"),
        ("alarm tcp any any -> any any (sid:7;)", "action", "unknown action"),
        ("alert tcp any any -> any any sid:7;", "header", "missing '('"),
        ("alert tcp any any -> any any (sid:7;", "options", "missing ')'"),
        ("alert tcp any any -> any any (sid:7;) trailing", "options", "missing ')'"),
        ("alert tcp any any -> any any (sid:7; sid:8;)", "sid", "duplicate 'sid'"),
        ("alert tcp any any -> any any (rev:1; rev:2; sid:7;)", "rev", "duplicate 'rev'"),
        ('alert tcp any any -> any any (msg:"a"; msg:"b"; sid:7;)', "msg", "duplicate 'msg'"),
        ("alert tcp any any -> any any (classtype:a; classtype:b; sid:7;)", "classtype", "duplicate"),
        ("alert tcp any any -> any any (sid:seven;)", "sid", "must be an integer"),
        ("alert tcp any any -> any any (sid:0;)", "sid", "out of range"),
        ("alert tcp any any -> any any (sid:4294967296;)", "sid", "out of range"),
        ("alert tcp any any -> any any (sid;)", "sid", "needs a value"),
        ("alert tcp any any -> any any (priority:x; sid:7;)", "priority", "must be an integer"),
        ("alert tcp any any -> any any (msg; sid:7;)", "msg", "needs a value"),
        ("alert tcp any any -> any any (b@d:1; sid:7;)", "b", "expected ':' or ';'"),
        ("alert tcp any any -> any any (@:1; sid:7;)", "options", "invalid option name"),
    ],
)
def test_errors_carry_file_line_sid_keyword(text: str, keyword: str, reason: str) -> None:
    err = error_of(text, file="emerging-test.rules", line=42)
    assert err.file == "emerging-test.rules"
    assert err.line == 42
    assert err.keyword == keyword
    assert reason in err.reason
    expected_sid = 7 if "sid:7" in text else None
    assert err.sid == expected_sid
    prefix = "emerging-test.rules:42" + (" sid=7" if expected_sid else "") + f" keyword={keyword}: "
    assert str(err).startswith(prefix)


def test_empty_rule_errors() -> None:
    assert error_of("(sid:1;)").keyword == "action"
