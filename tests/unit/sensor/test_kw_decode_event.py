"""Unit tests for sensor.detect.keywords.decode_event: `decode-event:<name>` matches decoder events.

The packets are real bytes (scapy, some deliberately broken) run through the decoder, which
records the events. Every expected match list was produced by Suricata 8.0.8 (tools/peer) on a
pcap holding exactly FRAMES, in that order, with
`alert pkthdr any any -> any any (decode-event:<value>; sid:N;)` rules: the numbers are the
1-based positions of the packets it alerted on. "Suricata refuses" means "error parsing signature".
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from scapy.all import ICMP, IP, TCP, UDP, Ether, Raw, wrpcap  # type: ignore[import-untyped]

import sensor.detect.build  # noqa: F401  (registers every keyword)
from pehredar.cli import main
from sensor.decode.dispatch import decode_frame
from sensor.decode.events import EVENT_IDS
from sensor.decode.packet import Packet
from sensor.detect.keywords.registry import KEYWORDS
from sensor.errors import RuleCompileError

ETH = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
A, B = "10.0.0.1", "10.0.0.2"
_GOOD = ETH / IP(src=A, dst=B) / TCP(sport=3, dport=4, flags="S")
_BAD_HLEN = bytearray(bytes(ETH / IP(src=A, dst=B) / UDP(sport=1, dport=2) / Raw(b"abcd")))
_BAD_HLEN[14] = 0x44  # version 4, header length 4 words (16 bytes): too small

FRAMES: list[bytes] = [
    bytes(_GOOD),  # 1: clean
    bytes(_GOOD)[: 14 + 12],  # 2: 12 bytes of IPv4 header -> ipv4.pkt_too_small
    bytes(_BAD_HLEN),  # 3: ipv4.hlen_too_small
    bytes(ETH / IP(src=A, dst=B, len=1000) / UDP(sport=1, dport=2) / Raw(b"abcd")),  # 4: ipv4.trunc_pkt
    bytes(ETH / IP(src=A, dst=B) / ICMP(type=99) / Raw(b"xx")),  # 5: icmpv4.unknown_type
]


def decode(data: bytes, n: int = 1) -> Packet:
    pkt = Packet(1_700_000_000_000_000 + n, n, 1, data)
    decode_frame(pkt)
    return pkt


PKTS = [decode(f, n) for n, f in enumerate(FRAMES, 1)]


def event(value: str | None) -> object:
    setup = KEYWORDS["decode-event"].setup
    assert setup is not None
    return setup(value)


def hits(value: str) -> list[int]:
    check = event(value)
    return [n for n, p in enumerate(PKTS, 1) if check(p)]  # type: ignore[operator]


def replay(tmp_path: Path, rules: str) -> list[tuple[int, int]]:
    pcap = tmp_path / "ev.pcap"
    frames = [Ether(f) for f in FRAMES]
    for i, f in enumerate(frames):
        f.time = 1_700_000_000 + i
    wrpcap(str(pcap), frames)
    rule_file = tmp_path / "t.rules"
    rule_file.write_text(rules)
    eve = tmp_path / "eve.json"
    result = CliRunner().invoke(
        main, ["sensor", "replay", str(pcap), "--rules", str(rule_file), "--eve", str(eve)]
    )
    assert result.exit_code == 0, result.output
    return [
        (r["pcap_cnt"], r["alert"]["signature_id"]) for r in map(json.loads, eve.read_text().splitlines())
    ]


def test_decode_event_is_the_only_keyword_of_its_module() -> None:
    registered = {
        n
        for n, kw in KEYWORDS.items()
        if kw.setup and kw.setup.__module__ == "sensor.detect.keywords.decode_event"
    }
    assert registered == {"decode-event"}
    assert KEYWORDS["decode-event"].kind == "event"


def test_decoder_recorded_the_events_the_cases_assume() -> None:
    assert PKTS[0].events is None
    assert PKTS[1].events == [EVENT_IDS["decoder.ipv4.pkt_too_small"]]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ipv4.pkt_too_small", [2]),
        ("ipv4.hlen_too_small", [3]),
        ("ipv4.trunc_pkt", [4]),
        ("icmpv4.unknown_type", [5]),
        ("IPV4.PKT_TOO_SMALL", [2]),  # names are case-insensitive
        (" ipv4.trunc_pkt ", [4]),
        ("ipv6.trunc_pkt", []),  # a known event nothing here raised
        ("ipv4.opt_invalid", []),
    ],
)
def test_decode_event_match(value: str, expected: list[int]) -> None:
    assert hits(value) == expected


@pytest.mark.parametrize(
    "value",
    ["", None, "ipv4.no_such_event", "stream.3whs_async_wrong_seq", "no_dot", "ipv4."],
)
def test_decode_event_setup_errors(value: str | None) -> None:
    with pytest.raises(RuleCompileError) as info:
        event(value)
    assert info.value.keyword == "decode-event"


@pytest.mark.parametrize("value", ["decoder.ipv4.pkt_too_small", '"ipv4.pkt_too_small"'])
def test_decode_event_refuses_prefix_and_quotes(value: str) -> None:
    with pytest.raises(RuleCompileError):
        event(value)


def test_decode_event_rules_alert_through_the_engine(tmp_path: Path) -> None:
    # Suricata 8.0.8 on the same pcap and rules: [(2, 1), (4, 2), (5, 3)]
    alerts = replay(
        tmp_path,
        'alert pkthdr any any -> any any (msg:"small"; decode-event:ipv4.pkt_too_small; sid:1;)\n'
        'alert pkthdr any any -> any any (msg:"trunc"; decode-event:ipv4.trunc_pkt; sid:2;)\n'
        'alert ip any any -> any any (msg:"icmp"; decode-event:icmpv4.unknown_type; sid:3;)\n',
    )
    assert alerts == [(2, 1), (4, 2), (5, 3)]


def test_decode_event_only_ip_rule_alerts_on_undecodable_packet(tmp_path: Path) -> None:
    alerts = replay(
        tmp_path, 'alert ip any any -> any any (msg:"x"; decode-event:ipv4.pkt_too_small; sid:1;)\n'
    )
    assert alerts == [(2, 1)]
