"""Unit and property tests for rules.vars: variable tables, resolution, set algebra laws."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules import (
    AddressMatcher,
    AddressSpec,
    PortMatcher,
    PortSpec,
    RuleError,
    VarTable,
    parse_address,
    parse_port,
    parse_rule,
    resolve_addresses,
    resolve_ports,
)
from rules.vars import SMALL_PORT_SET


def v4(text: str) -> bytes:
    return ipaddress.IPv4Address(text).packed


def v6(text: str) -> bytes:
    return ipaddress.IPv6Address(text).packed


def addrs(text: str, table: VarTable | None = None) -> AddressMatcher:
    return resolve_addresses(parse_address(text), table or VarTable.defaults())


def ports(text: str, table: VarTable | None = None) -> PortMatcher:
    return resolve_ports(parse_port(text), table or VarTable.defaults())


# ---------------------------------------------------------------------- the table


def test_defaults_are_suricata8_vars() -> None:
    table = VarTable.defaults()
    assert table.address_groups["HOME_NET"] == "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"
    assert table.address_groups["EXTERNAL_NET"] == "!$HOME_NET"
    for name in [
        "HTTP_SERVERS",
        "SMTP_SERVERS",
        "SQL_SERVERS",
        "DNS_SERVERS",
        "TELNET_SERVERS",
        "AIM_SERVERS",
        "DC_SERVERS",
        "DNP3_SERVER",
        "DNP3_CLIENT",
        "MODBUS_CLIENT",
        "MODBUS_SERVER",
        "ENIP_CLIENT",
        "ENIP_SERVER",
    ]:
        assert name in table.address_groups
    assert table.port_groups["HTTP_PORTS"] == "80"
    assert table.port_groups["SHELLCODE_PORTS"] == "!80"
    assert table.port_groups["FILE_DATA_PORTS"] == "[$HTTP_PORTS,110,143]"
    assert table.port_groups["SIP_PORTS"] == "[5060, 5061]"
    for name, value in {
        "ORACLE_PORTS": "1521",
        "SSH_PORTS": "22",
        "DNP3_PORTS": "20000",
        "MODBUS_PORTS": "502",
        "FTP_PORTS": "21",
        "GENEVE_PORTS": "6081",
        "VXLAN_PORTS": "4789",
        "TEREDO_PORTS": "3544",
    }.items():
        assert table.port_groups[name] == value


def test_from_mapping_accepts_yaml_ints_and_lists() -> None:
    table = VarTable.from_mapping(
        {"HOME_NET": ["10.0.0.0/8", "192.168.0.0/16"]}, {"SSH_PORTS": 22, "X": [1, 2]}
    )
    assert table.address_groups["HOME_NET"] == "[10.0.0.0/8,192.168.0.0/16]"
    assert table.port_groups == {"SSH_PORTS": "22", "X": "[1,2]"}
    assert ports("$X", table).ports == frozenset({1, 2})
    assert VarTable.from_mapping(None, None).address_groups == {}


def test_from_mapping_rejects_unusable_values() -> None:
    with pytest.raises(RuleError, match="HOME_NET"):
        VarTable.from_mapping({"HOME_NET": None}, {})


# ------------------------------------------------------------------------ addresses


def test_home_and_external_net() -> None:
    home, external = addrs("$HOME_NET"), addrs("$EXTERNAL_NET")
    assert home.contains(4, v4("10.1.2.3")) and home.contains(4, v4("172.31.255.255"))
    assert not home.contains(4, v4("172.32.0.0")) and not home.contains(6, v6("::1"))
    assert external.contains(4, v4("8.8.8.8")) and not external.contains(4, v4("192.168.1.1"))
    assert not external.contains(6, v6("2001:db8::1"))  # complement stays within the versions named
    assert not home.is_any and not external.is_any


def test_any_and_double_negation_via_variables() -> None:
    assert addrs("any").is_any and addrs("any").contains(6, v6("::"))
    assert addrs("!$EXTERNAL_NET") == addrs("$HOME_NET")
    both = addrs("[$HOME_NET,$EXTERNAL_NET]")  # all of IPv4, the only version they name
    assert both.contains(4, v4("8.8.8.8")) and both.contains(4, v4("10.0.0.1"))
    assert not both.contains(6, v6("::1"))


def test_group_minus_negated_item_and_only_negations() -> None:
    matcher = addrs("[10.0.0.0/24, !10.0.0.5]")
    assert matcher.contains(4, v4("10.0.0.4")) and not matcher.contains(4, v4("10.0.0.5"))
    only_neg = addrs("[!1.1.1.1, !1.1.1.2]")
    assert only_neg == addrs("![1.1.1.1,1.1.1.2]")
    assert only_neg.contains(4, v4("1.1.1.3")) and not only_neg.contains(4, v4("1.1.1.2"))
    assert not only_neg.contains(6, v6("::1"))
    assert addrs("![2001:db8::/32]").contains(6, v6("2001:db9::1"))
    assert not addrs("![2001:db8::/32]").contains(4, v4("1.2.3.4"))


def test_cidr_host_bits_range_and_netmask() -> None:
    assert addrs("10.1.2.3/24") == addrs("10.1.2.0/24")
    assert addrs("10.0.0.0/255.255.0.0") == addrs("10.0.0.0/16")
    rng = addrs("10.0.0.10-10.0.0.20")
    assert rng.contains(4, v4("10.0.0.10")) and rng.contains(4, v4("10.0.0.20"))
    assert not rng.contains(4, v4("10.0.0.21")) and not rng.contains(4, v4("10.0.0.9"))
    six = addrs("2001:db8::/32")
    assert six.contains(6, v6("2001:db8:ffff::1")) and not six.contains(6, v6("2001:db9::"))
    assert six.v4 == () and six.v6 == ((0x20010DB8 << 96, (0x20010DB8 << 96) | ((1 << 96) - 1)),)


def test_address_errors() -> None:
    with pytest.raises(RuleError, match=r"undefined address variable \$NOPE") as info:
        addrs("$NOPE")
    assert info.value.keyword == "header"
    cyc = VarTable({"A": "[$B,1.2.3.4]", "B": "$A"}, {})
    with pytest.raises(RuleError, match=r"circular address variable: \$A -> \$B -> \$A"):
        addrs("$A", cyc)
    with pytest.raises(RuleError, match="matches no address"):
        addrs("[1.2.3.4, !1.2.3.4]")
    any_home = VarTable({"HOME_NET": "any", "EXTERNAL_NET": "!$HOME_NET"}, {})
    with pytest.raises(RuleError, match="matches no address"):  # Suricata: negating any
        addrs("$EXTERNAL_NET", any_home)
    with pytest.raises(RuleError, match=r"in \$BAD = 'not-an-ip'"):
        addrs("$BAD", VarTable({"BAD": "not-an-ip"}, {}))


def test_resolution_error_carries_rule_location() -> None:
    rule = parse_rule("alert ip $NOPE any -> any any (sid:77;)", file="x.rules", line=3)
    assert rule.header is not None
    with pytest.raises(RuleError) as info:
        resolve_addresses(rule.header.src, VarTable.defaults(), rule=rule)
    assert str(info.value) == "x.rules:3 sid=77 keyword=header: undefined address variable $NOPE"


def test_matchers_are_shared_per_table() -> None:
    table = VarTable.defaults()
    assert resolve_addresses(parse_address("$HOME_NET"), table) is resolve_addresses(
        parse_address("$HOME_NET"), table
    )
    assert resolve_ports(parse_port("$HTTP_PORTS"), table) is resolve_ports(parse_port("$HTTP_PORTS"), table)


# ---------------------------------------------------------------------------- ports


def test_port_variables() -> None:
    assert ports("$HTTP_PORTS").ports == frozenset({80})
    shell = ports("$SHELLCODE_PORTS")
    assert not shell.contains(80) and shell.contains(81) and shell.contains(0) and shell.ports is None
    assert ports("$FILE_DATA_PORTS").ports == frozenset({80, 110, 143})
    assert ports("$SIP_PORTS").ports == frozenset({5060, 5061})


def test_port_ranges_groups_negation() -> None:
    assert ports("any").is_any and ports("any").contains(65535)
    assert ports("[80:100,!99]").ports == frozenset(range(80, 101)) - {99}
    assert ports("[1:80,![2,4]]").ports == frozenset(range(1, 81)) - {2, 4}
    high = ports("1024:")
    assert high.intervals == ((1024, 65535),) and high.ports is None
    assert high.contains(1024) and not high.contains(1023)
    assert ports(":1023").intervals == ((0, 1023),)
    assert ports("[!80]") == ports("!80")
    assert ports(f"1:{SMALL_PORT_SET}").ports is not None
    assert ports(f"1:{SMALL_PORT_SET + 1}").ports is None


def test_port_errors() -> None:
    with pytest.raises(RuleError, match=r"undefined port variable \$NOPE"):
        ports("$NOPE")
    with pytest.raises(RuleError, match="circular port variable"):
        ports("$P", VarTable({}, {"P": "[$Q]", "Q": "$P"}))
    with pytest.raises(RuleError, match="matches no port"):
        ports("[80,!80]")
    with pytest.raises(RuleError, match="matches no port"):
        ports("!$ALL", VarTable({}, {"ALL": "any"}))
    with pytest.raises(RuleError, match="bad port range"):
        resolve_ports(PortSpec("range", "9:1", 9, 1), VarTable.defaults())


# ------------------------------------------------------------ algebra laws (hypothesis)

V4_BLOCKS = st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(24, 32)).map(
    lambda t: f"10.{t[0]}.{t[1]}.0/{t[2]}"
)
V6_BLOCKS = st.tuples(st.integers(0, 0xFFFF), st.integers(112, 128)).map(
    lambda t: f"2001:db8::{t[0]:x}:0/{t[1]}"
)


def _address_leaf() -> st.SearchStrategy[AddressSpec]:
    return st.one_of(
        st.just(AddressSpec("any")),
        st.tuples(st.one_of(V4_BLOCKS, V6_BLOCKS), st.booleans()).map(
            lambda t: AddressSpec("ip", t[0], negated=t[1])
        ),
    )


ADDRESS_SPECS = st.recursive(
    _address_leaf(),
    lambda inner: st.tuples(st.lists(inner, min_size=1, max_size=4), st.booleans()).map(
        lambda t: AddressSpec("group", items=tuple(t[0]), negated=t[1])
    ),
    max_leaves=8,
)
POINTS = st.one_of(
    st.tuples(st.just(4), st.integers(0, 255), st.integers(0, 255), st.integers(0, 255)).map(
        lambda t: (4, v4(f"10.{t[1]}.{t[2]}.{t[3]}"))
    ),
    st.tuples(st.just(6), st.integers(0, 0xFFFF), st.integers(0, 0xFFFF)).map(
        lambda t: (6, v6(f"2001:db8::{t[1]:x}:{t[2]:x}"))
    ),
    st.just((4, v4("8.8.8.8"))),
    st.just((6, v6("::1"))),
)


def mentions(spec: AddressSpec, version: int) -> bool:
    """Does the expression name an address of this IP version (any names both)?"""
    if spec.kind == "any":
        return True
    if spec.kind == "ip":
        return ipaddress.ip_network(spec.value, strict=False).version == version
    return any(mentions(i, version) for i in spec.items)


def reference_member(spec: AddressSpec, version: int, packed: bytes) -> bool:
    """A deliberately naive evaluator of Suricata's semantics, via ipaddress: each IP version on
    its own; a group whose positives do not name a version starts from all of it when its
    negatives do; negation acts only within the versions the expression names."""
    if spec.kind == "any":
        inside = True
    elif spec.kind == "ip":
        net = ipaddress.ip_network(spec.value, strict=False)
        inside = net.version == version and ipaddress.ip_address(packed) in net
    else:
        positives = [i for i in spec.items if not i.negated]
        negatives = [AddressSpec(i.kind, i.value, i.items) for i in spec.items if i.negated]
        if any(mentions(i, version) for i in positives):
            base = any(reference_member(i, version, packed) for i in positives)
        else:
            base = any(mentions(i, version) for i in negatives)
        inside = base and not any(reference_member(i, version, packed) for i in negatives)
    if spec.negated:
        return mentions(spec, version) and not inside
    return inside


@settings(max_examples=300, deadline=None)
@given(ADDRESS_SPECS, st.lists(POINTS, min_size=1, max_size=20))
def test_address_matcher_agrees_with_reference_semantics(
    spec: AddressSpec, points: list[tuple[int, bytes]]
) -> None:
    if spec.kind == "any" and spec.negated:
        return
    try:
        matcher = resolve_addresses(spec, VarTable({}, {}))
    except RuleError:
        assert not any(reference_member(spec, v, p) for v, p in points)
        return
    for version, packed in points:
        assert matcher.contains(version, packed) == reference_member(spec, version, packed)


@settings(max_examples=200, deadline=None)
@given(ADDRESS_SPECS, ADDRESS_SPECS, st.lists(POINTS, min_size=1, max_size=10))
def test_address_union_and_de_morgan_laws(
    a: AddressSpec, b: AddressSpec, points: list[tuple[int, bytes]]
) -> None:
    table = VarTable({}, {})

    def member(spec: AddressSpec, version: int, packed: bytes) -> bool | None:
        try:
            return resolve_addresses(spec, table).contains(version, packed)
        except RuleError:
            return None  # empty set

    pos_a = AddressSpec(a.kind, a.value, a.items, False)
    pos_b = AddressSpec(b.kind, b.value, b.items, False)
    union = AddressSpec("group", items=(pos_a, pos_b))
    not_union = AddressSpec("group", items=(pos_a, pos_b), negated=True)
    negs = AddressSpec(
        "group", items=(AddressSpec(pos_a.kind, pos_a.value, pos_a.items, pos_a.kind != "any"),)
    )
    for version, packed in points:
        in_a = bool(member(pos_a, version, packed))
        in_b = bool(member(pos_b, version, packed))
        assert bool(member(union, version, packed)) == (in_a or in_b)  # union
        named = mentions(union, version)
        # De Morgan, within the IP versions the expression names
        assert bool(member(not_union, version, packed)) == (named and not in_a and not in_b)
        if pos_a.kind != "any":
            assert bool(member(negs, version, packed)) == (mentions(pos_a, version) and not in_a)  # [!a] == !a
        assert member(AddressSpec("any"), version, packed) is True  # any holds everything


PORT_LEAVES = st.one_of(
    st.just(PortSpec("any")),
    st.tuples(st.integers(0, 300), st.booleans()).map(
        lambda t: PortSpec("port", str(t[0]), t[0], t[0], negated=t[1])
    ),
    st.tuples(st.integers(0, 300), st.integers(0, 40), st.booleans()).map(
        lambda t: PortSpec("range", f"{t[0]}:{t[0] + t[1]}", t[0], t[0] + t[1], negated=t[2])
    ),
)
PORT_SPECS = st.recursive(
    PORT_LEAVES,
    lambda inner: st.tuples(st.lists(inner, min_size=1, max_size=4), st.booleans()).map(
        lambda t: PortSpec("group", items=tuple(t[0]), negated=t[1])
    ),
    max_leaves=8,
)


def reference_port(spec: PortSpec, port: int) -> bool:
    if spec.kind == "any":
        inside = True
    elif spec.kind in ("port", "range"):
        inside = spec.lo <= port <= spec.hi
    else:
        positives = [i for i in spec.items if not i.negated]
        negatives = [PortSpec(i.kind, i.value, i.lo, i.hi, i.items) for i in spec.items if i.negated]
        inside = (not positives or any(reference_port(i, port) for i in positives)) and not any(
            reference_port(i, port) for i in negatives
        )
    return inside != spec.negated


@settings(max_examples=300, deadline=None)
@given(PORT_SPECS, st.lists(st.integers(0, 65535) | st.integers(0, 350), min_size=1, max_size=30))
def test_port_matcher_agrees_with_reference_semantics(spec: PortSpec, probe: list[int]) -> None:
    if spec.kind == "any" and spec.negated:
        return
    try:
        matcher = resolve_ports(spec, VarTable({}, {}))
    except RuleError:
        assert not any(reference_port(spec, p) for p in probe)
        return
    for port in probe:
        assert matcher.contains(port) == reference_port(spec, port)
    if matcher.ports is not None:
        assert all(reference_port(spec, p) for p in matcher.ports)
    assert matcher.is_any == (matcher.intervals == ((0, 65535),))
