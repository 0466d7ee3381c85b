"""Unit tests for sensor.detect.header.compile_header: protocol, addresses, ports, direction.

Headers come from rules.parse_rule and are resolved against VarTable.defaults() (Suricata 8's
shipped variables). Packets are real bytes (scapy) run through the decoder. Every expected match
list was produced by Suricata 8.0.8 (tools/peer) on a pcap holding exactly FRAMES, in that order,
with `<header> (msg:"x"; sid:N;)` rules, three per run: the numbers are the 1-based positions of
the packets it alerted on. Each packet is its own flow, so IP-only evaluation (once per flow
direction) hides nothing. The ARP frame (6) never reaches Suricata's rules (no IP, no decoder
event); how the engine treats it is tested in test_engine.py, here only the header check.
"""

from __future__ import annotations

import pytest
from scapy.all import ARP, ICMP, IP, TCP, UDP, Ether, ICMPv6EchoRequest, IPv6, Raw  # type: ignore[import-untyped]

from rules.errors import RuleError
from rules.parse import parse_rule
from rules.vars import VarTable
from sensor.decode.dispatch import decode_frame
from sensor.decode.packet import Packet
from sensor.detect.header import HeaderMatch, compile_header
from sensor.errors import RuleCompileError, UnsupportedRule

ETH = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
V6A, V6B = "2001:db8::1", "2001:db8::2"

FRAMES = [
    ETH / IP(src="10.0.0.1", dst="8.8.8.8") / TCP(sport=1234, dport=80, flags="S"),  # 1
    ETH / IP(src="10.0.0.1", dst="8.8.8.8") / UDP(sport=5353, dport=53) / Raw(b"q"),  # 2
    ETH / IP(src="10.0.0.1", dst="8.8.8.8") / ICMP(type=8, id=1, seq=1) / Raw(b"ping"),  # 3
    ETH / IPv6(src=V6A, dst=V6B) / ICMPv6EchoRequest(id=1, seq=1),  # 4
    ETH / IPv6(src=V6A, dst=V6B) / TCP(sport=1234, dport=80, flags="S"),  # 5
    ETH / ARP(psrc="10.0.0.1", pdst="10.0.0.2"),  # 6: not IP
    ETH / IP(src="10.0.0.1", dst="8.8.8.8", proto=200) / Raw(b"zzzz"),  # 7: unknown transport
    ETH / IP(src="8.8.8.8", dst="10.0.0.1") / TCP(sport=80, dport=1235, flags="S"),  # 8
    ETH / IP(src="10.0.0.5", dst="10.0.0.6") / TCP(sport=1236, dport=8080, flags="S"),  # 9
]
IP_PKTS = [1, 2, 3, 4, 5, 7, 8, 9]


def decode(frame: object) -> Packet:
    pkt = Packet(1_700_000_000_000_000, 1, 1, bytes(frame))  # type: ignore[arg-type]
    decode_frame(pkt)
    return pkt


PKTS = [decode(f) for f in FRAMES]


def header(text: str, variables: VarTable | None = None) -> HeaderMatch:
    rule = parse_rule(f'{text} (msg:"x"; sid:1;)')
    assert rule.header is not None
    return compile_header(rule.header, variables or VarTable.defaults())


def hits(text: str, variables: VarTable | None = None, *, with_arp: bool = False) -> list[int]:
    h = header(text, variables)
    numbers = range(1, len(PKTS) + 1) if with_arp else IP_PKTS
    return [n for n in numbers if h.match(PKTS[n - 1])]


# ------------------------------------------------------------------------------ protocols


@pytest.mark.parametrize(
    ("proto", "expected"),
    [
        ("ip", [1, 2, 3, 4, 5, 7, 8, 9]),
        ("pkthdr", [1, 2, 3, 4, 5, 7, 8, 9]),
        ("tcp", [1, 5, 8, 9]),
        ("TCP", [1, 5, 8, 9]),
        ("tcp-pkt", [1, 5, 8, 9]),
        ("tcp-stream", [1, 5, 8, 9]),
        ("udp", [2]),
        ("icmp", [3, 4]),  # ICMPv4 and ICMPv6
        ("icmpv4", [3]),
        ("icmpv6", [4]),
        ("ipv4", [1, 2, 3, 7, 8, 9]),
        ("ip4", [1, 2, 3, 7, 8, 9]),
        ("ipv6", [4, 5]),
        ("ip6", [4, 5]),
        ("sctp", []),
    ],
)
def test_protocols(proto: str, expected: list[int]) -> None:
    assert hits(f"alert {proto} any any -> any any") == expected


def test_ip_needs_an_ip_layer_pkthdr_does_not() -> None:
    ip, pkthdr = header("alert ip any any -> any any"), header("alert pkthdr any any -> any any")
    assert ip.needs_ip and not ip.match(PKTS[5])
    assert not pkthdr.needs_ip and pkthdr.match(PKTS[5])
    assert ip.protos is None and pkthdr.protos is None


@pytest.mark.parametrize(
    ("proto", "protos", "version"),
    [
        ("tcp", {6}, 0),
        ("udp", {17}, 0),
        ("icmp", {1, 58}, 0),
        ("icmpv6", {58}, 0),
        ("ipv4", None, 4),
        ("ip6", None, 6),
    ],
)
def test_protocol_attributes(proto: str, protos: set[int] | None, version: int) -> None:
    h = header(f"alert {proto} any any -> any any")
    assert (set(h.protos) if h.protos is not None else None) == protos
    assert h.ip_version == version
    assert h.src_any and h.dst_any and h.sp_any and h.dp_any and not h.bidirectional


@pytest.mark.parametrize("proto", ["http", "dns", "tls", "http2", "smb"])
def test_app_layer_protocol_unsupported(proto: str) -> None:
    # Suricata loads these (they match once app-layer parsing runs); here they are unsupported, by keyword
    with pytest.raises(UnsupportedRule) as info:
        header(f"alert {proto} any any -> any any")
    assert info.value.keyword == "protocol"
    assert proto in str(info.value)


@pytest.mark.parametrize("proto", ["foo", "tcpx", "ipv5"])
def test_unknown_protocol_fails(proto: str) -> None:
    # Suricata: "error parsing signature"
    with pytest.raises(RuleCompileError) as info:
        header(f"alert {proto} any any -> any any")
    assert info.value.keyword == "protocol"
    assert not isinstance(info.value, UnsupportedRule)


# ------------------------------------------------------------------------------ addresses


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("alert ip $HOME_NET any -> $EXTERNAL_NET any", [1, 2, 3, 7]),
        ("alert ip [10.0.0.0/8,!10.0.0.1] any -> any any", [9]),
        ("alert ip 10.0.0.0/30 any -> any any", [1, 2, 3, 7]),
        ("alert ip 2001:db8::/32 any -> any any", [4, 5]),
        ("alert ip [10.0.0.1,2001:db8::1] any -> any any", [1, 2, 3, 4, 5, 7]),
        ("alert ip [$HOME_NET,8.8.8.8] any -> any any", [1, 2, 3, 7, 8, 9]),
        ("alert ip any any -> [8.8.8.8,10.0.0.6] any", [1, 2, 3, 7, 9]),
        ("alert ip !$EXTERNAL_NET any -> any any", [1, 2, 3, 7, 9]),
        ("alert tcp 10.0.0.1 any -> 8.8.8.8 80", [1]),
    ],
)
def test_addresses(text: str, expected: list[int]) -> None:
    assert hits(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("alert ip !10.0.0.1 any -> any any", [8, 9]),
        ("alert ip ![10.0.0.1,10.0.0.5] any -> any any", [8]),
        ("alert ip [!10.0.0.1,!10.0.0.5] any -> any any", [8]),
        ("alert ip any any -> !$HOME_NET any", [1, 2, 3, 7]),
        ("alert ip any any -> $EXTERNAL_NET any", [1, 2, 3, 7]),
        ("alert tcp !10.0.0.1 any -> any any", [8, 9]),
        ("alert ip ![2001:db8::/32] any -> any any", []),
    ],
)
def test_negated_addresses_stay_within_their_ip_version(text: str, expected: list[int]) -> None:
    assert hits(text) == expected


def test_negation_is_recorded() -> None:
    assert header("alert ip !10.0.0.1 any -> any any").negated_address
    assert header("alert ip any any -> $EXTERNAL_NET any").negated_address  # through the variable
    assert not header("alert ip $HOME_NET any -> any any").negated_address


def test_custom_variables() -> None:
    table = VarTable(
        {"HOME_NET": "[10.0.0.0/29]", "EXTERNAL_NET": "any", "NS": "8.8.8.8"}, {"WEB": "[80,8080]"}
    )
    assert hits("alert tcp $HOME_NET any -> any $WEB", table) == [1, 9]
    assert hits("alert ip any any -> $NS any", table) == [1, 2, 3, 7]


def test_undefined_variable_is_a_header_error() -> None:
    with pytest.raises(RuleError) as info:
        header("alert ip $NOPE any -> any any")
    assert info.value.keyword == "header"


# ------------------------------------------------------------------------------ ports


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("alert tcp any 1234 -> any 80", [1, 5]),
        ("alert ip any any -> any [80,53]", [1, 2, 5]),  # ports restrict an ip rule to ported protocols
        ("alert ip any any -> any 80", [1, 5]),
        ("alert icmp any any -> any 80", []),
        ("alert tcp any any -> any !80", [8, 9]),
        ("alert tcp any any -> any 1:100", [1, 5]),
        ("alert tcp any any -> any 1024:", [8, 9]),
        ("alert tcp any any -> any [80:81,8080]", [1, 5, 9]),
        ("alert tcp any any -> any [1:100,!80]", []),
        ("alert tcp any [1234,1236] -> any any", [1, 5, 9]),
        ("alert tcp any any -> any $HTTP_PORTS", [1, 5]),
        ("alert tcp any any -> any !$HTTP_PORTS", [8, 9]),
        ("alert tcp any $SHELLCODE_PORTS -> any any", [1, 5, 9]),  # SHELLCODE_PORTS = !80
        ("alert udp any any -> any !53", []),
    ],
)
def test_ports(text: str, expected: list[int]) -> None:
    assert hits(text) == expected


def test_port_attributes() -> None:
    h = header("alert tcp any any -> any $HTTP_PORTS")
    assert h.sp_any and not h.dp_any


# ------------------------------------------------------------------------------ direction


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("alert tcp 10.0.0.1 any <> 8.8.8.8 80", [1, 8]),  # 8 is 8.8.8.8:80 -> 10.0.0.1
        ("alert tcp any any <> any 1235", [8]),
        ("alert udp any any <> any 5353", [2]),
        ("alert ip any any <> 10.0.0.1 any", [1, 2, 3, 7, 8]),
    ],
)
def test_bidirectional(text: str, expected: list[int]) -> None:
    h = header(text)
    assert h.bidirectional
    assert hits(text) == expected


def test_transactional_direction_is_not_loaded() -> None:
    # Suricata 8.0.8 refuses `alert tcp any any => any any` too
    with pytest.raises(RuleCompileError) as info:
        header("alert tcp any any => any any")
    assert info.value.keyword == "direction"
