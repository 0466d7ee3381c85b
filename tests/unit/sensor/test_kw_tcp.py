"""Unit tests for sensor.detect.keywords.tcp: flags (tcp.flags), seq, ack, window, tcp.mss.

Packets are real bytes (scapy) run through the decoder. Every expected match list was produced
by Suricata 8.0.8 (tools/peer) on a pcap holding exactly the packets of FRAMES, in that order,
with `alert tcp any any -> any any (<keyword>:<value>; sid:N;)` rules, three rules per run so
that no packet reaches packet_alert_max: the numbers are the 1-based positions of the packets it
alerted on. "Suricata refuses" means it logged "error parsing signature" for the rule.

Suricata's flags semantics, as observed (and as in its FlagsMatch + signature mask):
  exact   the packet's flags, minus the ignored ones, equal the list
  +       all listed flags set, others allowed
  *       any listed flag set
  !       NOT ALL of the listed flags set (`!SA` matches a SYN-only packet)
  mask    a rule naming S, R or F (any modifier) is only tried on packets carrying S, R or F;
          one naming U, E or C only on packets carrying U, E or C
  ignore  the second list is masked out of the packet's flags for every modifier
  0       no flags; with an ignore list, a packet with any flag never matches `0`, and `!0`
          never matches a packet without flags
"""

from __future__ import annotations

import pytest
from scapy.all import IP, TCP, UDP, Ether, Raw  # type: ignore[import-untyped]

import sensor.detect.build  # noqa: F401  (registers every keyword)
from sensor.decode.dispatch import decode_frame
from sensor.decode.packet import Packet
from sensor.detect.keywords.registry import KEYWORDS
from sensor.errors import RuleCompileError

ETH = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")


def tcp(i: int, **kw: object) -> object:
    return ETH / IP(src="10.0.0.1", dst="10.0.0.2") / TCP(sport=2000 + i, dport=80, **kw)


FRAMES = [
    tcp(1, flags="S", window=1024, seq=100, ack=0, options=[("MSS", 1460)]),  # 1
    tcp(2, flags="SA", window=65535, seq=200, ack=101),  # 2
    tcp(3, flags="A", window=512, seq=300, ack=4294967295),  # 3
    tcp(4, flags="PA", window=512, seq=4294967295, ack=5) / Raw(b"data"),  # 4
    tcp(5, flags="FA", window=0, seq=500, ack=6),  # 5
    tcp(6, flags="SEC", window=1024, seq=600, options=[("MSS", 536)]),  # 6
    tcp(7, flags="", window=1024, seq=700),  # 7: no flags
    tcp(8, flags="R", window=0, seq=800),  # 8
    tcp(9, flags="FPU", window=1024, seq=900),  # 9
    ETH / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=3000, dport=53) / Raw(b"u"),  # 10: not TCP
    tcp(11, flags="S", window=1024, seq=1100),  # 11: no options
    tcp(12, flags="SAE", window=1024, seq=1200),  # 12
    tcp(13, flags="SF", window=1024, seq=1300),  # 13
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


def refuses(name: str, value: str | None, keyword: str | None = None) -> None:
    setup = KEYWORDS[name].setup
    assert setup is not None
    with pytest.raises(RuleCompileError) as info:
        setup(value)
    assert info.value.keyword == (keyword or name)


def test_every_tcp_keyword_is_covered() -> None:
    registered = {
        n for n, kw in KEYWORDS.items() if kw.setup and kw.setup.__module__ == "sensor.detect.keywords.tcp"
    }
    assert registered == {"flags", "tcp.flags", "seq", "tcp.seq", "ack", "tcp.ack", "window", "tcp.mss"}
    assert KEYWORDS["tcp.flags"].setup is KEYWORDS["flags"].setup


def test_decoded_fixture_is_what_the_cases_assume() -> None:
    assert [p.tcp_flags for p in PKTS[:9]] == [0x02, 0x12, 0x10, 0x18, 0x11, 0xC2, 0x00, 0x04, 0x29]
    assert PKTS[9].proto == 17


# ------------------------------------------------------------------------------ flags


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("S", [1, 11]),
        ("SA", [2]),
        ("A,S", [2, 3]),  # exact A with S ignored: SA and A
        ("R", [8]),
        ("FPU", [9]),
        ("SEC", [6]),
        ("S12", [6]),  # legacy 1 = CWR, 2 = ECE
        ("0", [7]),
        ("*0", []),
        ("+S", [1, 2, 6, 11, 12, 13]),
        ("S+", [1, 2, 6, 11, 12, 13]),  # modifier after the flags
        ("*SF", [1, 2, 5, 6, 9, 11, 12, 13]),
        ("*U", [9]),
        ("!A", [1, 6, 7, 8, 9, 11, 13]),
        ("S,CE", [1, 6, 11]),
        ("S,12", [1, 6, 11]),
        (" S , CE ", [1, 6, 11]),
        ("+SA,E", [2, 12]),
        ("+S,A", [1, 2, 6, 11, 12, 13]),
        ("SA,A", []),
    ],
)
def test_flags_match(value: str, expected: list[int]) -> None:
    assert hits("flags", value) == expected


def test_tcp_flags_alias_matches_like_flags() -> None:
    assert hits("tcp.flags", "S") == [1, 11]


def test_flags_no_match_on_udp() -> None:
    assert 10 not in hits("flags", "!S")
    assert 10 not in hits("flags", "0")


@pytest.mark.parametrize("value", ["X", "!,S", "", None, "+", "SZ"])
def test_flags_setup_errors(value: str | None) -> None:
    refuses("flags", value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("!S", [5, 8, 9]),
        ("S!", [5, 8, 9]),
        ("!SA", [1, 5, 6, 8, 9, 11, 13]),
        ("!S,A", [5, 8, 9]),
        ("!F", [1, 2, 6, 8, 11, 12]),
    ],
)
def test_flags_not_modifier_as_suricata(value: str, expected: list[int]) -> None:
    assert hits("flags", value) == expected


@pytest.mark.parametrize(("value", "expected"), [("*FPU", [9]), ("!C", [9, 12])])
def test_flags_signature_mask(value: str, expected: list[int]) -> None:
    assert hits("flags", value) == expected


def test_flags_ignore_list_applies_to_any_modifier() -> None:
    assert hits("flags", "*SA,A") == [1, 2, 6, 11, 12, 13]


@pytest.mark.parametrize(("value", "expected"), [("0,A", [7]), ("!0", [1, 2, 3, 4, 5, 6, 8, 9, 11, 12, 13])])
def test_flags_zero_forms(value: str, expected: list[int]) -> None:
    assert hits("flags", value) == expected


def test_flags_lowercase_refused() -> None:
    refuses("flags", "sa")


# ------------------------------------------------------------------------------ seq / ack


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("seq", "100", [1]),
        ("seq", "4294967295", [4]),
        ("tcp.seq", "100", [1]),
        ("seq", "0", []),  # the UDP packet (10) has no sequence number
        ("ack", "101", [2]),
        ("ack", "0", [1, 6, 7, 8, 9, 11, 12, 13]),
        ("ack", "4294967295", [3]),
        ("tcp.ack", "101", [2]),
    ],
)
def test_seq_ack_match(name: str, value: str, expected: list[int]) -> None:
    assert hits(name, value) == expected


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("seq", "4294967296"),
        ("seq", "abc"),
        ("seq", ""),
        ("seq", None),
        ("ack", "-1"),
        ("ack", ">5"),
        ("ack", None),
    ],
)
def test_seq_ack_setup_errors(name: str, value: str | None) -> None:
    refuses(name, value)


@pytest.mark.parametrize("name", ["seq", "ack"])
def test_seq_ack_refuse_hex(name: str) -> None:
    refuses(name, "0x64")


# ------------------------------------------------------------------------------ window


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1024", [1, 6, 7, 9, 11, 12, 13]),
        ("!1024", [2, 3, 4, 5, 8]),
        ("! 1024", [2, 3, 4, 5, 8]),
        ("0", [5, 8]),
        ("65535", [2]),
    ],
)
def test_window_match(value: str, expected: list[int]) -> None:
    assert hits("window", value) == expected


@pytest.mark.parametrize("value", ["65536", ">1000", "abc", "", None])
def test_window_setup_errors(value: str | None) -> None:
    refuses("window", value)


def test_window_refuses_hex() -> None:
    refuses("window", "0x400")


# ------------------------------------------------------------------------------ tcp.mss


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1460", [1]),
        ("<1000", [6]),
        ("!1460", [6]),  # packets without an MSS option never match
        (">0", [1, 6]),
        ("500-1500", [1, 6]),
    ],
)
def test_tcp_mss_match(value: str, expected: list[int]) -> None:
    assert hits("tcp.mss", value) == expected


@pytest.mark.parametrize("value", ["65536", "abc", "", None])
def test_tcp_mss_setup_errors(value: str | None) -> None:
    refuses("tcp.mss", value)


def test_tcp_mss_refuses_always_true() -> None:
    refuses("tcp.mss", ">=0")
