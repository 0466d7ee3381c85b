"""Unit tests for sensor.detect.keywords.dsize: the packet payload size (integer keyword).

The integer grammar itself is covered in test_kw_numeric.py; here: what "payload" means per
protocol, setup errors, and dsize's own rules. Every expected match list was produced by
Suricata 8.0.8 (tools/peer) on a pcap holding exactly the packets of FRAMES (or the UDP sizes of
UDP_SIZES), in that order, with `alert ip any any -> any any (dsize:<value>; sid:N;)` rules.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
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
from pehredar.cli import main
from sensor.decode.dispatch import decode_frame
from sensor.decode.packet import Packet
from sensor.detect.keywords.registry import KEYWORDS
from sensor.errors import RuleCompileError

ETH = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
A, B = "10.0.0.1", "10.0.0.2"
V6A, V6B = "2001:db8::1", "2001:db8::2"
SAMPLE = Path(__file__).resolve().parents[3] / "pehredar" / "samples" / "sample.pcap"

FRAMES = [
    ETH / IP(src=A, dst=B) / ICMP(type=8, id=77, seq=1) / Raw(b"ping"),  # 1: 4 bytes after the ICMP header
    ETH / IP(src=B, dst=A) / ICMP(type=0, id=77, seq=1) / Raw(b"ping"),  # 2
    ETH / IP(src=B, dst=A) / ICMP(type=3, code=3) / IP(src=A, dst=B) / UDP(sport=1, dport=2),  # 3: 28 quoted
    ETH / IP(src=A, dst=B) / ICMP(type=13, id=500, seq=9),  # 4: timestamp request
    ETH / IPv6(src=V6A, dst=V6B) / ICMPv6EchoRequest(id=77, seq=2),  # 5: no data
    ETH
    / IPv6(src=V6B, dst=V6A)
    / ICMPv6DestUnreach(code=4)
    / IPv6(src=V6A, dst=V6B)
    / UDP(sport=1, dport=2),  # 6: 48
    ETH / IP(src=A, dst=B) / TCP(sport=77, dport=1, flags="S"),  # 7: no payload
    ETH / IP(src=A, dst="10.0.0.9") / ICMP(type=8, code=5, id=0, seq=65535),  # 8: no data
]
UDP_SIZES = [0, 10, 19, 20, 21, 22, 1024]


def decode(frame: object) -> Packet:
    pkt = Packet(1_700_000_000_000_000, 1, 1, bytes(frame))  # type: ignore[arg-type]
    decode_frame(pkt)
    return pkt


PKTS = [decode(f) for f in FRAMES]
UDP_PKTS = [
    decode(ETH / IP(src=A, dst=B) / UDP(sport=1000 + i, dport=9) / Raw(b"x" * n))
    for i, n in enumerate(UDP_SIZES)
]


def dsize(value: str | None) -> object:
    setup = KEYWORDS["dsize"].setup
    assert setup is not None
    return setup(value)


def hits(value: str) -> list[int]:
    check = dsize(value)
    return [n for n, p in enumerate(PKTS, 1) if check(p)]  # type: ignore[operator]


def udp_hits(value: str) -> list[int]:
    check = dsize(value)
    return [n for n, p in zip(UDP_SIZES, UDP_PKTS) if check(p)]  # type: ignore[operator]


def test_dsize_is_the_only_keyword_of_its_module() -> None:
    registered = {
        n for n, kw in KEYWORDS.items() if kw.setup and kw.setup.__module__ == "sensor.detect.keywords.dsize"
    }
    assert registered == {"dsize"}
    assert KEYWORDS["dsize"].kind == "packet"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("4", [1, 2]),  # ICMP echo: the data after the 8-byte header
        ("28", [3]),  # ICMP error: the quoted datagram
        ("48", [6]),
        (">20", [3, 6]),
        ("0", [5, 7, 8]),
    ],
)
def test_dsize_per_protocol(value: str, expected: list[int]) -> None:
    assert [n for n in hits(value) if n != 4] == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("10", [10]),
        ("<10", [0]),
        ("<=10", [0, 10]),
        ("19<>22", [20, 21]),
        ("!19-22", [0, 10, 19, 22, 1024]),
        ("1kb", [1024]),
        ("&0x01=0", [0, 10, 20, 22, 1024]),
        (">=1000", [1024]),
    ],
)
def test_dsize_udp_payloads(value: str, expected: list[int]) -> None:
    assert udp_hits(value) == expected


@pytest.mark.parametrize("value", ["", None, "x", "65536", "1mb", "6-5", "-1"])
def test_dsize_setup_errors(value: str | None) -> None:
    with pytest.raises(RuleCompileError) as info:
        dsize(value)
    assert info.value.keyword == "dsize"


@pytest.mark.parametrize("value", ["!10", "!=10"])
def test_dsize_not_equal_needs_payload(value: str) -> None:
    assert udp_hits(value) == [19, 20, 21, 22, 1024]


def test_dsize_icmp_timestamp_has_no_payload() -> None:
    assert hits("0") == [4, 5, 7, 8]


def test_dsize_matches_a_reassembled_datagram(tmp_path: Path) -> None:
    # sample.pcap holds a 1408-byte UDP payload in three IPv4 fragments. Suricata 8.0.8 alerts once,
    # on the reassembled datagram (its fragments have no UDP header to measure).
    rules = tmp_path / "t.rules"
    rules.write_text(
        'alert udp any any -> any any (msg:"big"; dsize:1408; sid:1;)\n'
        'alert udp any any -> any any (msg:"big"; dsize:>1000; sid:2;)\n'
    )
    eve = tmp_path / "eve.json"
    result = CliRunner().invoke(
        main, ["sensor", "replay", str(SAMPLE), "--rules", str(rules), "--eve", str(eve)]
    )
    assert result.exit_code == 0, result.output
    sids = [json.loads(line)["alert"]["signature_id"] for line in eve.read_text().splitlines()]
    assert sids == [1, 2]
