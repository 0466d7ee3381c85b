"""Unit tests for sensor.detect.keywords.ip: ttl, tos, id, ip_proto, sameip, fragbits, fragoffset.

Packets are real bytes (scapy) run through the decoder. Every expected match list was produced
by Suricata 8.0.8 (tools/peer) on a pcap holding exactly the packets of PKTS, in that order, with
one `alert ip any any -> any any (<keyword>:<value>; sid:N;)` rule per case: the numbers are the
1-based positions of the packets it alerted on (each packet is its own flow, so IP-only
per-direction evaluation does not hide any). "Suricata refuses" means it logged
"error parsing signature" for the rule.
"""

from __future__ import annotations

import pytest
from scapy.all import ARP, ICMP, IP, TCP, UDP, Ether, IPv6, IPv6ExtHdrFragment, Raw  # type: ignore[import-untyped]

import sensor.detect.build  # noqa: F401  (registers every keyword)
from rules.classification import load_default_classification
from rules.parse import parse_rule
from rules.vars import VarTable
from sensor.decode.dispatch import decode_frame
from sensor.decode.packet import Packet
from sensor.detect.build import BuildContext, compile_rule
from sensor.detect.keywords.registry import KEYWORDS
from sensor.detect.threshold import ThresholdEngine
from sensor.errors import RuleCompileError

ETH = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
A, B = "10.0.0.1", "10.0.0.2"
V6A, V6B = "2001:db8::1", "2001:db8::2"

FRAMES = [
    ETH / IP(src=A, dst=B, ttl=64, tos=0x10, id=1234, flags="DF") / TCP(sport=1001, dport=80, flags="S"),  # 1
    ETH
    / IP(src=A, dst=B, ttl=1, tos=0, id=0, flags="MF", frag=0)
    / UDP(sport=1002, dport=53)
    / Raw(b"a" * 16),  # 2
    ETH / IP(src=A, dst=B, ttl=255, id=7, flags=0, frag=64, proto=17) / Raw(b"b" * 16),  # 3: offset 64 units
    ETH / IPv6(src=V6A, dst=V6B, hlim=64, tc=0x10) / TCP(sport=1004, dport=80, flags="S"),  # 4
    ETH / IP(src="10.0.0.3", dst="10.0.0.3", ttl=64) / UDP(sport=1005, dport=53) / Raw(b"c"),  # 5: same ip
    ETH / IP(src=A, dst=B, ttl=64, flags="evil+DF", id=9) / TCP(sport=1006, dport=80, flags="S"),  # 6: R+D
    ETH
    / IPv6(src=V6A, dst=V6B, hlim=10)
    / IPv6ExtHdrFragment(offset=64, m=1, id=5, nh=17)
    / Raw(b"d" * 16),  # 7
    ETH
    / IP(src=A, dst=B, ttl=64, id=99, flags="MF+DF", frag=8, proto=17)
    / Raw(b"e" * 16),  # 8: M+D, 8 units
    ETH / IP(src=A, dst=B, ttl=64, tos=0xFF, id=65535) / ICMP(type=8) / Raw(b"f"),  # 9
    ETH / IP(src=A, dst=B, ttl=64, id=5, proto=200) / Raw(b"g"),  # 10: unknown transport
]
ARP_FRAME = ETH / ARP(psrc=A, pdst=B)
IPV4 = [1, 2, 3, 5, 6, 8, 9, 10]


def decode(frame: object) -> Packet:
    pkt = Packet(1_700_000_000_000_000, 1, 1, bytes(frame))  # type: ignore[arg-type]
    decode_frame(pkt)
    return pkt


PKTS = [decode(f) for f in FRAMES]
ARP_PKT = decode(ARP_FRAME)


def hits(name: str, value: str | None, among: list[int] | None = None) -> list[int]:
    setup = KEYWORDS[name].setup
    assert setup is not None
    check = setup(value)
    numbers = sorted(among) if among is not None else list(range(1, len(PKTS) + 1))
    return [n for n in numbers if check(PKTS[n - 1])]


def refuses(name: str, value: str | None) -> None:
    setup = KEYWORDS[name].setup
    assert setup is not None
    with pytest.raises(RuleCompileError) as info:
        setup(value)
    assert info.value.keyword == name


def compile_text(text: str) -> object:
    ctx = BuildContext(VarTable.defaults(), load_default_classification(), ThresholdEngine([]))
    return compile_rule(parse_rule(text), ctx)


def test_every_ip_keyword_is_covered() -> None:
    registered = {
        n for n, kw in KEYWORDS.items() if kw.setup and kw.setup.__module__ == "sensor.detect.keywords.ip"
    }
    assert registered == {"ttl", "tos", "id", "ip_proto", "sameip", "fragbits", "fragoffset"}
    assert all(KEYWORDS[n].kind == "packet" for n in registered)


def test_decoded_fixture_is_what_the_cases_assume() -> None:
    assert [p.ip_version for p in PKTS] == [4, 4, 4, 6, 4, 4, 6, 4, 4, 4]
    assert PKTS[2].is_fragment and PKTS[7].is_fragment and PKTS[6].is_fragment
    assert ARP_PKT.ip_version == 0


# ------------------------------------------------------------------------------ ttl


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("64", [1, 4, 5, 6, 8, 9, 10]),  # IPv6 hop limit counts as ttl
        ("0x40", [1, 4, 5, 6, 8, 9, 10]),
        ("<2", [2]),
        (">=255", [3]),
        ("10", [7]),
        ("!64", [2, 3, 7]),
        ("1-10", []),
    ],
)
def test_ttl_match(value: str, expected: list[int]) -> None:
    assert hits("ttl", value) == expected


def test_ttl_no_match_without_ip() -> None:
    check = KEYWORDS["ttl"].setup("0")  # type: ignore[misc]
    assert not check(ARP_PKT)


@pytest.mark.parametrize("value", ["256", "abc", "", None])
def test_ttl_setup_errors(value: str | None) -> None:
    refuses("ttl", value)


# ------------------------------------------------------------------------------ tos


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("16", [1]),  # IPv4 only: the IPv6 packet with traffic class 0x10 is not matched
        ("!16", [2, 3, 5, 6, 8, 9, 10]),
        ("! 16", [2, 3, 5, 6, 8, 9, 10]),
        ("255", [9]),
        ("0", [2, 3, 5, 6, 8, 10]),
    ],
)
def test_tos_match(value: str, expected: list[int]) -> None:
    assert hits("tos", value) == expected


@pytest.mark.parametrize("value", ["256", ">5", "x100", "abc", "", None])
def test_tos_setup_errors(value: str | None) -> None:
    refuses("tos", value)


@pytest.mark.parametrize(
    ("value", "expected"), [("x10", [1]), ("X10", [1]), ("xff", [9]), ("!x10", [2, 3, 5, 6, 8, 9, 10])]
)
def test_tos_x_hex(value: str, expected: list[int]) -> None:
    assert hits("tos", value) == expected


@pytest.mark.parametrize("value", ["0x10", "!0x10"])
def test_tos_refuses_0x_hex(value: str) -> None:
    refuses("tos", value)


# ------------------------------------------------------------------------------ id


@pytest.mark.parametrize(("value", "expected"), [("1234", [1]), (" 1234 ", [1]), ("0", [2]), ("65535", [9])])
def test_id_match(value: str, expected: list[int]) -> None:
    # the IPv6 fragment (7) carries id 5 in its fragment header: Suricata's id is IPv4-only
    assert hits("id", value) == expected


def test_id_ipv6_fragment_id_not_matched() -> None:
    assert hits("id", "5") == [10]


@pytest.mark.parametrize("value", ["65536", '"1234"', "abc", "", None])
def test_id_setup_errors(value: str | None) -> None:
    refuses("id", value)


@pytest.mark.parametrize("value", [">60000", "!0", "<5", "1-10", "0x4d2"])
def test_id_refuses_operators_and_hex(value: str) -> None:
    refuses("id", value)


# ------------------------------------------------------------------------------ ip_proto


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("17", [2, 3, 5, 8]),
        ("udp", [2, 3, 5, 8]),
        ("TCP", [1, 6]),
        ("!6", [2, 3, 5, 8, 9, 10]),
        ("!tcp", [2, 3, 5, 8, 9, 10]),
        ("<6", [9]),
        (">17", [10]),
        ("200", [10]),
        ("ipv6-icmp", []),
        ("<1", []),
    ],
)
def test_ip_proto_match_ipv4(value: str, expected: list[int]) -> None:
    assert hits("ip_proto", value, among=IPV4) == expected


def test_ip_proto_ipv6_unfragmented() -> None:
    assert hits("ip_proto", "6", among=[4, 7]) == [4]


def test_ip_proto_no_match_without_ip() -> None:
    check = KEYWORDS["ip_proto"].setup("!6")  # type: ignore[misc]
    assert not check(ARP_PKT)


@pytest.mark.parametrize("value", ["256", "nosuchproto", "", None])
def test_ip_proto_setup_errors(value: str | None) -> None:
    refuses("ip_proto", value)


def test_ip_proto_refuses_hex() -> None:
    refuses("ip_proto", "0x11")


def test_ip_proto_ipv6_fragment_is_44() -> None:
    assert hits("ip_proto", "44") == [7]
    assert hits("ip_proto", "17") == [2, 3, 5, 8]


@pytest.mark.parametrize("proto", ["ip", "ipv4", "pkthdr"])
def test_ip_proto_allowed_with_ip_level_header(proto: str) -> None:
    compile_text(f'alert {proto} any any -> any any (msg:"x"; ip_proto:17; sid:1;)')


@pytest.mark.parametrize("proto", ["tcp", "udp"])
def test_ip_proto_refused_with_transport_header(proto: str) -> None:
    with pytest.raises(RuleCompileError) as info:
        compile_text(f'alert {proto} any any -> any any (msg:"x"; ip_proto:6; sid:1;)')
    assert info.value.keyword == "ip_proto"


def test_ip_proto_two_equalities_refused() -> None:
    with pytest.raises(RuleCompileError):
        compile_text('alert ip any any -> any any (msg:"x"; ip_proto:6; ip_proto:17; sid:1;)')


def test_ip_proto_two_comparisons_combine() -> None:
    cr = compile_text('alert ip any any -> any any (msg:"x"; ip_proto:<17; ip_proto:>1; sid:1;)')
    # Suricata: alerts on 1, 4, 6 (TCP)
    assert [n for n, p in enumerate(PKTS, 1) if cr.match(p, None)] == [1, 4, 6]  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------ sameip


def test_sameip_match_and_no_match() -> None:
    assert hits("sameip", None) == [5]
    check = KEYWORDS["sameip"].setup(None)  # type: ignore[misc]
    assert not check(ARP_PKT)


def test_sameip_setup_error() -> None:
    refuses("sameip", "1")


# ------------------------------------------------------------------------------ fragbits


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("D", [1]),
        ("M", [2]),
        ("RD", [6]),
        (" MD ", [8]),
        ("*MR", [2, 6, 8]),
        ("*D", [1, 6, 8]),
        ("!D", [2, 3, 5, 9, 10]),  # IPv4 only: the IPv6 packets never match
        ("!R", [1, 2, 3, 5, 8, 9, 10]),
    ],
)
def test_fragbits_match(value: str, expected: list[int]) -> None:
    assert hits("fragbits", value) == expected


@pytest.mark.parametrize("value", ["X", "N", "", None, "!,D"])
def test_fragbits_setup_errors(value: str | None) -> None:
    refuses("fragbits", value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("+D", [6, 8]), ("+MD", []), ("!MD", [1, 2, 3, 5, 6, 9, 10]), ("D+", [1])],
)
def test_fragbits_modifiers_as_suricata(value: str, expected: list[int]) -> None:
    assert hits("fragbits", value) == expected


def test_fragbits_lowercase_refused() -> None:
    refuses("fragbits", "md")


# ------------------------------------------------------------------------------ fragoffset


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (">0", [3, 7, 8]),
        ("0", [1, 2, 5, 6, 9, 10]),
    ],
)
def test_fragoffset_match(value: str, expected: list[int]) -> None:
    assert hits("fragoffset", value, among=[*IPV4, 7]) == expected


def test_fragoffset_ipv6_fragment_header_in_bytes() -> None:
    # IPv6 fragment header offset 64 (units of 8): Suricata matches fragoffset:512
    assert 7 in hits("fragoffset", "512")
    assert 7 not in hits("fragoffset", "64")


@pytest.mark.parametrize("value", ["abc", "65536", "", None])
def test_fragoffset_setup_errors(value: str | None) -> None:
    refuses("fragoffset", value)


@pytest.mark.parametrize(("value", "expected"), [("64", [3]), ("512", [7]), ("<64", [1, 2, 5, 6, 8, 9, 10])])
def test_fragoffset_ipv4_in_units_of_8(value: str, expected: list[int]) -> None:
    assert hits("fragoffset", value, among=[*IPV4, 7]) == expected


def test_fragoffset_ipv6_without_fragment_header() -> None:
    assert 4 not in hits("fragoffset", "0")


@pytest.mark.parametrize("value", ["!64", "!0"])
def test_fragoffset_negation_refused(value: str) -> None:
    refuses("fragoffset", value)
