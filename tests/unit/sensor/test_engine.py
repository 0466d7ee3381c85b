"""Detection engine behaviour (sensor/detect/engine.py, build.py, sensor/ruleset.py) on crafted pcaps.

Each test writes a small rule file and a scapy pcap to tmp_path and replays it in-process
(`pehredar sensor replay`). Every expected alert list was first observed with Suricata 8.0.8
(tools/peer: `suricata --runmode single -k none -r PCAP -S RULES -l DIR [--simulate-ips]`) on the
same pcap and rules: "confirmed" below means Suricata's eve.json held exactly that list of
(pcap_cnt, sid[, action]). Where this engine differs, the test states Suricata's result and is
marked xfail(strict) with the bug.

Payload rules on UDP avoid TCP stream reassembly, so packet-level behaviour is what is compared;
the TCP cases say when a match came from the reassembled stream.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from scapy.all import ARP, IP, TCP, UDP, Ether, Raw, wrpcap  # type: ignore[import-untyped]

from pehredar.cli import main
from sensor.ruleset import load_ruleset
from sensor.suricata_yaml import load_suricata_yaml

ETH = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
C, S, C3 = "10.0.0.1", "10.0.0.2", "10.0.0.3"


def tcp_session(sport: int, exchanges: list[tuple[bytes, bytes]]) -> list[Any]:
    """Handshake then request/response pairs with correct sequence numbers (no FIN)."""
    cseq, sseq = 1000, 5000
    frames = [
        ETH / IP(src=C, dst=S) / TCP(sport=sport, dport=80, flags="S", seq=cseq),
        ETH / IP(src=S, dst=C) / TCP(sport=80, dport=sport, flags="SA", seq=sseq, ack=cseq + 1),
        ETH / IP(src=C, dst=S) / TCP(sport=sport, dport=80, flags="A", seq=cseq + 1, ack=sseq + 1),
    ]
    cseq, sseq = cseq + 1, sseq + 1
    for req, resp in exchanges:
        frames.append(
            ETH / IP(src=C, dst=S) / TCP(sport=sport, dport=80, flags="PA", seq=cseq, ack=sseq) / Raw(req)
        )
        cseq += len(req)
        frames.append(
            ETH / IP(src=S, dst=C) / TCP(sport=80, dport=sport, flags="PA", seq=sseq, ack=cseq) / Raw(resp)
        )
        sseq += len(resp)
    return frames


# 1-3 handshake, 4 LOGIN (13 bytes), 5 OK (12), 6 SECRET one (12), 7 ACK one (9), 8 SECRET two (12),
# 9 ACK two (9); second flow: 10-12 handshake, 13 SECRET three (14), 14 ACK three (11)
TCP_FRAMES = tcp_session(
    40001,
    [
        (b"LOGIN alice\r\n", b"OK welcome\r\n"),
        (b"SECRET one\r\n", b"ACK one\r\n"),
        (b"SECRET two\r\n", b"ACK two\r\n"),
    ],
) + tcp_session(40002, [(b"SECRET three\r\n", b"ACK three\r\n")])


def udp(src: str, sp: int, dst: str, dp: int, data: bytes) -> Any:
    return ETH / IP(src=src, dst=dst) / UDP(sport=sp, dport=dp) / Raw(data)


UDP_FRAMES = [
    udp(C, 5001, S, 53, b"LOGIN alice"),  # 1  flow A (client 10.0.0.1:5001)
    udp(S, 53, C, 5001, b"OK welcome"),  # 2  flow A reply
    udp(C, 5001, S, 53, b"SECRET one"),  # 3  flow A
    udp(S, 53, C, 5001, b"ACK one"),  # 4  flow A reply
    udp(C, 5001, S, 53, b"SECRET two"),  # 5  flow A
    udp(C, 5002, S, 53, b"SECRET three"),  # 6  flow B (same client address)
    udp(C3, 5003, S, 53, b"SECRET four"),  # 7  flow C (client 10.0.0.3)
    udp(C3, 5003, S, 53, b"SECRET five"),  # 8  flow C
    udp(C3, 5003, S, 53, b"SECRET six"),  # 9  flow C
    udp(S, 53, C3, 5003, b"ACK six"),  # 10 flow C reply
]


def write_pcap(path: Path, frames: list[Any]) -> Path:
    frames = [f.copy() for f in frames]
    for i, f in enumerate(frames):
        f.time = 1_700_000_000 + i * 0.1
    wrpcap(str(path), frames)
    return path


def replay(tmp_path: Path, frames: list[Any], rules: str, *extra: str) -> list[dict[str, Any]]:
    pcap = write_pcap(tmp_path / "t.pcap", frames)
    rule_file = tmp_path / "t.rules"
    rule_file.write_text(rules)
    eve = tmp_path / "eve.json"
    result = CliRunner().invoke(
        main, ["sensor", "replay", str(pcap), "--rules", str(rule_file), "--eve", str(eve), *extra]
    )
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in eve.read_text().splitlines()]


def seq(records: list[dict[str, Any]]) -> list[tuple[int, int]]:
    return [(r.get("pcap_cnt"), r["alert"]["signature_id"]) for r in records]  # type: ignore[misc]


def seq_action(records: list[dict[str, Any]]) -> list[tuple[int, int, str]]:
    return [(r.get("pcap_cnt"), r["alert"]["signature_id"], r["alert"]["action"]) for r in records]  # type: ignore[misc]


# ------------------------------------------------------------------------------ IP-only rules


def test_ip_only_rules_fire_once_per_flow_direction(tmp_path: Path) -> None:
    rules = (
        'alert ip 10.0.0.1 any -> any any (msg:"client"; sid:1;)\n'
        'alert ip any any -> any any (msg:"any"; sid:2;)\n'
        'alert ip 10.0.0.2 any -> any any (msg:"server"; sid:3;)\n'
    )
    # confirmed: the first packet of each direction of each flow only
    expected = [(1, 1), (1, 2), (2, 2), (2, 3), (10, 1), (10, 2), (11, 2), (11, 3)]
    assert seq(replay(tmp_path, TCP_FRAMES, rules)) == expected


def test_ip_only_rule_with_ports_fires_once_per_flow_direction(tmp_path: Path) -> None:
    rules = (
        'alert tcp any any -> any 80 (msg:"to 80"; sid:13;)\n'
        'alert tcp any 80 -> any any (msg:"from 80"; sid:14;)\n'
        'alert tcp any any -> any any (msg:"tcp"; sid:15;)\n'
    )
    expected = [(1, 13), (1, 15), (2, 14), (2, 15), (10, 13), (10, 15), (11, 14), (11, 15)]  # confirmed
    assert seq(replay(tmp_path, TCP_FRAMES, rules)) == expected


def test_pkthdr_rule_without_decode_event_ignores_non_ip(tmp_path: Path) -> None:
    frames = [ETH / ARP(psrc=C, pdst=S), udp(C, 1, S, 2, b"x")]
    # confirmed: Suricata runs no rule on an ARP frame that raised no decoder event
    assert seq(replay(tmp_path, frames, 'alert pkthdr any any -> any any (msg:"x"; sid:1;)\n')) == [(2, 1)]


# ------------------------------------------------------------------------------ pass


def test_pass_stops_later_rules_on_that_packet(tmp_path: Path) -> None:
    rules = (
        'pass udp any any -> any any (msg:"pass"; content:"SECRET t"; sid:10;)\n'
        'alert udp any any -> any any (msg:"secret"; content:"SECRET"; sid:11;)\n'
    )
    # confirmed: packet 6 ("SECRET three") alerts nothing
    assert seq(replay(tmp_path, UDP_FRAMES, rules)) == [(3, 11), (7, 11), (8, 11), (9, 11)]


def test_pass_ip_only_rule_passes_rest_of_flow(tmp_path: Path) -> None:
    rules = (
        'pass ip 10.0.0.3 any -> any any (msg:"pass"; sid:10;)\n'
        'alert udp any any -> any any (msg:"secret"; content:"SECRET"; sid:11;)\n'
        'alert udp any any -> any any (msg:"ack"; content:"ACK"; sid:13;)\n'
    )
    # confirmed: flow C (packets 7-10, both directions) passed from its first packet on
    assert seq(replay(tmp_path, UDP_FRAMES, rules)) == [(3, 11), (4, 13), (5, 11), (6, 11)]


def test_pass_stream_match_passes_rest_of_tcp_flow(tmp_path: Path) -> None:
    rules = (
        'pass tcp any any -> any any (msg:"pass"; content:"LOGIN"; sid:10;)\n'
        'alert tcp any any -> any any (msg:"secret"; content:"SECRET"; sid:11;)\n'
        'alert tcp any any -> any any (msg:"ack"; content:"ACK"; sid:13;)\n'
    )
    records = replay(tmp_path, TCP_FRAMES, rules)
    # confirmed: nothing more on the first flow; the second flow alerts 11 and 13 (Suricata from its
    # stream, at flow end, without pcap_cnt)
    assert sorted(r["alert"]["signature_id"] for r in records) == [11, 13]
    assert all(r["flow"]["src_port"] == 40002 for r in records)


def test_pass_packet_match_on_udp_passes_that_packet_only(tmp_path: Path) -> None:
    rules = (
        'pass udp any any -> any any (msg:"pass"; content:"LOGIN"; sid:10;)\n'
        'alert udp any any -> any any (msg:"secret"; content:"SECRET"; sid:11;)\n'
        'alert udp any any -> any any (msg:"ack"; content:"ACK"; sid:13;)\n'
    )
    expected = [(3, 11), (4, 13), (5, 11), (6, 11), (7, 11), (8, 11), (9, 11), (10, 13)]  # confirmed
    assert seq(replay(tmp_path, UDP_FRAMES, rules)) == expected


def test_pass_packet_keyword_match_on_tcp_passes_that_packet_only(tmp_path: Path) -> None:
    rules = (
        'pass tcp any any -> any any (msg:"pass"; dsize:13; sid:10;)\n'
        'alert tcp any any -> any any (msg:"big"; dsize:>10; sid:11;)\n'
    )
    expected = [(5, 11), (6, 11), (8, 11), (13, 11), (14, 11)]  # confirmed
    assert seq(replay(tmp_path, TCP_FRAMES, rules)) == expected


# ------------------------------------------------------------------------------ drop (IPS)


def test_ips_drop_ip_only_rule_drops_rest_of_flow(tmp_path: Path) -> None:
    rules = (
        'drop ip 10.0.0.3 any -> any any (msg:"drop"; sid:10;)\n'
        'alert udp any any -> any any (msg:"secret"; content:"SECRET"; sid:11;)\n'
        'alert udp any any -> any any (msg:"ack"; content:"ACK"; sid:13;)\n'
    )
    expected = [  # confirmed with --simulate-ips: the dropping packet still alerts its other rules
        (3, 11, "allowed"),
        (4, 13, "allowed"),
        (5, 11, "allowed"),
        (6, 11, "allowed"),
        (7, 10, "blocked"),
        (7, 11, "allowed"),
    ]
    assert seq_action(replay(tmp_path, UDP_FRAMES, rules, "--simulate-ips")) == expected


def test_ips_drop_stream_match_drops_rest_of_tcp_flow(tmp_path: Path) -> None:
    rules = (
        'drop tcp any any -> any any (msg:"drop"; content:"LOGIN"; sid:30;)\n'
        'alert tcp any any -> any any (msg:"secret"; content:"SECRET"; sid:31;)\n'
        'alert tcp any any -> any any (msg:"ack"; content:"ACK"; sid:32;)\n'
    )
    expected = [(4, 30, "blocked"), (13, 31, "allowed"), (14, 32, "allowed")]  # confirmed
    assert seq_action(replay(tmp_path, TCP_FRAMES, rules, "--simulate-ips")) == expected


def test_drop_without_ips_is_an_alert(tmp_path: Path) -> None:
    rules = (
        'drop udp any any -> any any (msg:"drop"; content:"LOGIN"; sid:30;)\n'
        'alert udp any any -> any any (msg:"secret"; content:"SECRET"; sid:31;)\n'
        'alert udp any any -> any any (msg:"ack"; content:"ACK"; sid:32;)\n'
    )
    expected = [(1, 30), (3, 31), (4, 32), (5, 31), (6, 31), (7, 31), (8, 31), (9, 31), (10, 32)]  # confirmed
    records = replay(tmp_path, UDP_FRAMES, rules)
    assert seq(records) == expected
    assert {r["alert"]["action"] for r in records} == {"allowed"}


def test_ips_drop_packet_match_on_udp_drops_that_packet_only(tmp_path: Path) -> None:
    rules = (
        'drop udp any any -> any any (msg:"drop"; content:"LOGIN"; sid:30;)\n'
        'alert udp any any -> any any (msg:"secret"; content:"SECRET"; sid:31;)\n'
        'alert udp any any -> any any (msg:"ack"; content:"ACK"; sid:32;)\n'
    )
    expected = [(1, 30, "blocked")] + [
        (n, sid, "allowed")
        for n, sid in [(3, 31), (4, 32), (5, 31), (6, 31), (7, 31), (8, 31), (9, 31), (10, 32)]
    ]  # confirmed
    assert seq_action(replay(tmp_path, UDP_FRAMES, rules, "--simulate-ips")) == expected


# ------------------------------------------------------------------------------ flowbits, thresholds, order


def test_noalert_flowbits_set_enables_later_isset(tmp_path: Path) -> None:
    rules = (
        'alert udp any any -> any any (msg:"login"; content:"LOGIN"; flowbits:set,logged_in; flowbits:noalert; sid:20;)\n'
        'alert udp any any -> any any (msg:"secret"; content:"SECRET"; flowbits:isset,logged_in; sid:21;)\n'
        'alert udp any any -> any any (msg:"ack"; content:"ACK"; flowbits:isset,logged_in; sid:22;)\n'
    )
    # confirmed: only flow A set the bit; no alert for sid 20 itself
    assert seq(replay(tmp_path, UDP_FRAMES, rules)) == [(3, 21), (4, 22), (5, 21)]


def test_threshold_limit_by_src(tmp_path: Path) -> None:
    rules = (
        'alert udp any any -> any any (msg:"src"; content:"SECRET"; '
        "threshold:type limit, track by_src, count 2, seconds 60; sid:40;)\n"
        'alert udp any any -> any any (msg:"dst"; content:"SECRET"; '
        "threshold:type limit, track by_dst, count 2, seconds 60; sid:41;)\n"
    )
    # confirmed: two per source (10.0.0.1: 3, 5; 10.0.0.3: 7, 8), two in all for the one destination
    expected = [(3, 40), (3, 41), (5, 40), (5, 41), (7, 40), (8, 40)]
    assert seq(replay(tmp_path, UDP_FRAMES, rules)) == expected


def test_alerts_of_one_packet_in_rule_order(tmp_path: Path) -> None:
    rules = (
        'alert udp any any -> any any (msg:"p3"; content:"SECRET"; priority:3; sid:50;)\n'
        'alert udp any any -> any any (msg:"p1"; content:"SECRET"; priority:1; sid:51;)\n'
        'alert udp any any -> any any (msg:"none"; content:"ECRE"; sid:49;)\n'
        'alert udp any any -> any any (msg:"class p1"; content:"SECRET"; classtype:trojan-activity; sid:52;)\n'
        'alert udp any any -> any any (msg:"p2"; content:"SECRET"; priority:2; sid:53;)\n'
        'alert ip any any -> any any (msg:"ip"; content:"SECRET"; sid:48;)\n'
    )
    # confirmed: by priority, then sid, on every matching packet
    per_packet = [51, 52, 53, 48, 49, 50]
    expected = [(n, sid) for n in (3, 5, 6, 7, 8, 9) for sid in per_packet]
    assert seq(replay(tmp_path, UDP_FRAMES, rules)) == expected


# ------------------------------------------------------------------------------ load report


def test_load_report_failed_and_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "r.rules"
    path.write_text(
        'alert udp any any -> any any (msg:"first"; content:"LOGIN"; sid:5; rev:1;)\n'
        'alert udp any any -> any any (msg:"dup"; content:"SECRET"; sid:5; rev:1;)\n'
        'alert udp any any -> any any (msg:"kw"; content:"LOGIN"; nosuchkeyword:1; sid:6;)\n'
        'alert udp any any -> any any (msg:"uri"; http.uri; content:"/x"; sid:7;)\n'
        'alert http any any -> any any (msg:"app"; content:"/x"; sid:8;)\n'
    )
    report = load_ruleset([str(path)], load_suricata_yaml(None, [])).report
    # Suricata 8.0.8: lines 2 and 3 fail to load ("Duplicate signature", unknown keyword); 4 and 5 load
    assert [cr.sid for cr in report.rules] == [5]
    assert [(p.line, p.sid, p.keyword, p.unsupported) for p in report.failed] == [
        (2, 5, "sid", False),
        (3, 6, "nosuchkeyword", False),
    ]
    assert [(p.line, p.sid, p.keyword, p.unsupported) for p in report.unsupported] == [
        (4, 7, "http.uri", True),
        (5, 8, "protocol", True),
    ]
    assert str(report.failed[0]).startswith(f"{path}:2 sid=5 keyword=sid: ")


def test_duplicate_sid_with_higher_rev_replaces(tmp_path: Path) -> None:
    rules = (
        'alert udp any any -> any any (msg:"old"; content:"ACK"; sid:8; rev:1;)\n'
        'alert udp any any -> any any (msg:"new"; content:"OK"; sid:8; rev:2;)\n'
        'alert udp any any -> any any (msg:"kept"; content:"LOGIN"; sid:9; rev:3;)\n'
        'alert udp any any -> any any (msg:"older"; content:"SECRET"; sid:9; rev:2;)\n'
    )
    records = replay(tmp_path, UDP_FRAMES, rules)
    # confirmed: sid 8 alerts as rev 2 "new" on packet 2 only; sid 9 keeps rev 3
    assert [
        (r["pcap_cnt"], r["alert"]["signature_id"], r["alert"]["rev"], r["alert"]["signature"])
        for r in records
    ] == [
        (1, 9, 3, "kept"),
        (2, 8, 2, "new"),
    ]
