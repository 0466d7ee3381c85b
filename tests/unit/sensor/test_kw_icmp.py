"""Unit tests for sensor.detect.keywords.icmp: itype, icode, icmp_id, icmp_seq.

Packets are real bytes (scapy) run through the decoder. Every expected match list was produced
by Suricata 8.0.8 (tools/peer) on a pcap holding exactly the packets of FRAMES, in that order,
with `alert ip any any -> any any (<keyword>:<value>; sid:N;)` rules (three per run): the
numbers are the 1-based positions of the packets it alerted on. ICMPv4 and ICMPv6 both match;
icmp_id/icmp_seq only match messages that carry them (echo, timestamp, ...). "Suricata
refuses" means it logged "error parsing signature" for the rule.
"""

from __future__ import annotations

import pytest
from scapy.all import (  # type: ignore[import-untyped]
    ICMP,
    IP,
    TCP,
    UDP,
    Ether,
    ICMPv6DestUnreach,
    ICMPv6EchoRequest,
    IPv6,
    Raw,
)

import sensor.detect.build  # noqa: F401  (registers every keyword)
from sensor.decode.dispatch import decode_frame
from sensor.decode.packet import Packet
from sensor.detect.keywords.registry import KEYWORDS
from sensor.errors import RuleCompileError

ETH = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
A, B = "10.0.0.1", "10.0.0.2"
V6A, V6B = "2001:db8::1", "2001:db8::2"

FRAMES = [
    ETH / IP(src=A, dst=B) / ICMP(type=8, code=0, id=77, seq=1) / Raw(b"ping"),  # 1 echo request
    ETH / IP(src=B, dst=A) / ICMP(type=0, code=0, id=77, seq=1) / Raw(b"ping"),  # 2 echo reply
    ETH / IP(src=B, dst=A) / ICMP(type=3, code=3) / IP(src=A, dst=B) / UDP(sport=1, dport=2),  # 3 unreachable
    ETH / IP(src=A, dst=B) / ICMP(type=13, code=0, id=500, seq=9),  # 4 timestamp request
    ETH / IPv6(src=V6A, dst=V6B) / ICMPv6EchoRequest(id=77, seq=2),  # 5 ICMPv6 echo request
    ETH
    / IPv6(src=V6B, dst=V6A)
    / ICMPv6DestUnreach(code=4)
    / IPv6(src=V6A, dst=V6B)
    / UDP(sport=1, dport=2),  # 6
    ETH / IP(src=A, dst=B) / TCP(sport=77, dport=1, flags="S"),  # 7 not ICMP
    ETH / IP(src=A, dst="10.0.0.9") / ICMP(type=8, code=5, id=0, seq=65535),  # 8 echo, odd code
]


def decode(frame: object) -> Packet:
    pkt = Packet(1_700_000_000_000_000, 1, 1, bytes(frame))  # type: ignore[arg-type]
    decode_frame(pkt)
    return pkt


PKTS = [decode(f) for f in FRAMES]


def hits(name: str, value: str | None) -> list[int]:
    setup = KEYWORDS[name].setup
    assert setup is not None
    check = setup(value)
    return [n for n, p in enumerate(PKTS, 1) if check(p)]


def refuses(name: str, value: str | None) -> None:
    setup = KEYWORDS[name].setup
    assert setup is not None
    with pytest.raises(RuleCompileError) as info:
        setup(value)
    assert info.value.keyword == name


def test_every_icmp_keyword_is_covered() -> None:
    registered = {
        n for n, kw in KEYWORDS.items() if kw.setup and kw.setup.__module__ == "sensor.detect.keywords.icmp"
    }
    assert registered == {"itype", "icode", "icmp_id", "icmp_seq"}


def test_decoded_fixture_is_what_the_cases_assume() -> None:
    assert [p.icmp_type for p in PKTS] == [8, 0, 3, 13, 128, 1, -1, 8]
    assert [p.icmp_code for p in PKTS] == [0, 0, 3, 0, 0, 4, -1, 5]


# ------------------------------------------------------------------------------ itype / icode


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("itype", "8", [1, 8]),
        ("itype", "0", [2]),
        ("itype", "128", [5]),  # ICMPv6 echo request
        ("itype", "1", [6]),  # ICMPv6 destination unreachable
        ("itype", ">2", [1, 3, 4, 5, 8]),
        ("itype", "!8", [2, 3, 4, 5, 6]),  # never the TCP packet
        ("itype", "1<>5", [3]),
        ("icode", "3", [3]),
        ("icode", "0", [1, 2, 4, 5]),
        ("icode", ">3", [6, 8]),
        ("icode", "!0", [3, 6, 8]),
    ],
)
def test_itype_icode_match(name: str, value: str, expected: list[int]) -> None:
    assert hits(name, value) == expected


@pytest.mark.parametrize(
    ("name", "value"), [("itype", "256"), ("itype", "x"), ("itype", None), ("icode", "x"), ("icode", "")]
)
def test_itype_icode_setup_errors(name: str, value: str | None) -> None:
    refuses(name, value)


@pytest.mark.parametrize(("name", "value"), [("itype", "<=255"), ("icode", ">=0")])
def test_itype_icode_refuse_always_true(name: str, value: str) -> None:
    refuses(name, value)


# ------------------------------------------------------------------------------ icmp_id / icmp_seq


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("icmp_id", "77", [1, 2, 5]),  # echo request/reply, ICMPv4 and ICMPv6
        ("icmp_id", " 77 ", [1, 2, 5]),
        ("icmp_id", "500", [4]),  # timestamp carries an id too
        ("icmp_id", "0", [8]),  # unreachable (3, 6) has no id: not matched by id 0
        ("icmp_seq", "1", [1, 2]),
        ("icmp_seq", "9", [4]),
        ("icmp_seq", "2", [5]),
        ("icmp_seq", "65535", [8]),
    ],
)
def test_icmp_id_seq_match(name: str, value: str, expected: list[int]) -> None:
    assert hits(name, value) == expected


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("icmp_id", "65536"),
        ("icmp_id", "!77"),
        ("icmp_id", ""),
        ("icmp_id", None),
        ("icmp_seq", "abc"),
        ("icmp_seq", "!1"),
    ],
)
def test_icmp_id_seq_setup_errors(name: str, value: str | None) -> None:
    refuses(name, value)


@pytest.mark.parametrize(
    ("name", "value"), [("icmp_id", '"77"'), ("icmp_seq", '"1"'), ("icmp_id", "0x4d"), ("icmp_seq", "0x1")]
)
def test_icmp_id_seq_refuse_quotes_and_hex(name: str, value: str) -> None:
    refuses(name, value)
