"""EVE output of `pehredar sensor replay` on the bundled sample, checked against Suricata's EVE schema.

Runs `pehredar sensor replay pehredar/samples/sample.pcap --rules pehredar/samples/sample.rules
--eve OUT` in-process (click's CliRunner) once per module, then validates every line with
Suricata's own JSON schema (../shared/corpus/eve-schema/schema.json, draft 2020-12; skipped when
absent) and checks the fields that tools read.

The sample (tests/pcaps/gen.py, 33 frames at BASE_TS + i * 10 ms): TCP sessions to :80 (HTTP GET),
:23 (a `uid=0(root)` reply) and :4444 on VLAN 42 (NOP sled + /bin/sh), a DNS query for
update.badexample.test, an ICMP echo request/reply with "pehredar-ping", an IPv6 SYN to :22, a
1408-byte UDP datagram in three fragments ending in "EVILFRAG", a TTL-0 SYN and a 12-byte IPv4
header (decoder.ipv4.pkt_too_small).

Suricata 8.0.8 on the same files alerts on the same packets with the same categories,
severities, directions, timestamps and ICMP/VLAN fields; like Suricata, the reassembled
datagram's alert has no pcap_cnt and pkt_src "defrag".
"""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from scapy.all import GRE, IP, TCP, UDP, Ether, Raw, wrpcap  # type: ignore[import-untyped]

from pehredar.cli import main

ROOT = Path(__file__).resolve().parents[3]
SAMPLE_PCAP = ROOT / "pehredar" / "samples" / "sample.pcap"
SAMPLE_RULES = ROOT / "pehredar" / "samples" / "sample.rules"
SCHEMA = ROOT.parent / "shared" / "corpus" / "eve-schema" / "schema.json"
BASE_TS = 1_764_000_000  # tests/pcaps/gen.py

EXPECTED = [
    (4, 9000001),  # GET request, flow:established,to_server: in the packet
    (6, 9000001),  # ... and again in the reassembled to_server stream, on the client's FIN
    (15, 9000002),  # uid=0(root) in the telnet reply (to_client), in the reassembled stream
    (22, 9000003),  # NOP sled + /bin/sh on VLAN 42, in the reassembled stream
    (25, 9000004),  # DNS query for badexample
    (26, 9000005),  # ICMP echo request, itype:8, "pehredar" at depth 8 (not the reply at 27)
    (28, 9000009),  # IPv6 SYN to :22
    (None, 9000006),  # EVILFRAG in the reassembled datagram (a pseudo packet: no pcap_cnt)
    (32, 9000007),  # TTL 0
    (33, 9000008),  # 12-byte IPv4 header: decoder.ipv4.pkt_too_small
]

# (category, severity) as Suricata 8.0.8 reports them for the same rules (default classification.config)
CLASS = {
    9000001: ("Potential Corporate Privacy Violation", 1),
    9000002: ("Potentially Bad Traffic", 2),
    9000003: ("Executable code was detected", 1),
    9000004: ("A Network Trojan was detected", 1),
    9000005: ("Misc activity", 3),
    9000006: ("Misc Attack", 2),
    9000007: ("Misc activity", 3),
    9000008: ("Generic Protocol Command Decode", 3),
    9000009: ("Misc activity", 3),
}
DIRECTION = {
    9000001: "to_server",
    9000002: "to_client",
    9000003: "to_server",
    9000004: "to_server",
    9000005: "to_server",
    9000006: "to_server",
    9000007: "to_server",
    9000009: "to_server",
}


def replay(pcap: Path, rules: Path, out: Path) -> list[dict[str, Any]]:
    result = CliRunner().invoke(
        main, ["sensor", "replay", str(pcap), "--rules", str(rules), "--eve", str(out)]
    )
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    return replay(SAMPLE_PCAP, SAMPLE_RULES, tmp_path_factory.mktemp("eve") / "eve.json")


@pytest.fixture(scope="module")
def by_sid(records: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {r["alert"]["signature_id"]: r for r in records}


def rule_messages() -> dict[int, str]:
    out = {}
    for line in SAMPLE_RULES.read_text().splitlines():
        m = re.search(r'msg:"([^"]*)".*sid:(\d+);', line)
        if m:
            out[int(m.group(2))] = m.group(1)
    return out


def test_every_line_validates_against_suricata_schema(records: list[dict[str, Any]]) -> None:
    if not SCHEMA.exists():
        pytest.skip(f"{SCHEMA} absent")
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    assert records
    for record in records:
        errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(record)]
        assert not errors, (record["alert"]["signature_id"], errors)


def test_schema_check_is_real() -> None:
    if not SCHEMA.exists():
        pytest.skip(f"{SCHEMA} absent")
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    bad = {
        "timestamp": "2025-11-24 16:00:00",
        "event_type": "alert",
        "alert": {"signature_id": "1", "bogus": 1},
    }
    assert len(list(validator.iter_errors(bad))) >= 3


def test_alerts_are_exactly_the_expected_packets_and_sids(records: list[dict[str, Any]]) -> None:
    assert [(r.get("pcap_cnt"), r["alert"]["signature_id"]) for r in records] == EXPECTED
    assert all(r["event_type"] == "alert" for r in records)


def test_timestamps_are_packet_time_in_suricata_format(records: list[dict[str, Any]]) -> None:
    for r in records:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+0000", r["timestamp"]), r[
            "timestamp"
        ]
        # the reassembled datagram carries the time of its last fragment, packet 31
        expected = datetime.fromtimestamp(BASE_TS + (r.get("pcap_cnt", 31) - 1) * 0.01, tz=UTC)
        assert r["timestamp"] == expected.strftime("%Y-%m-%dT%H:%M:%S.%f") + "+0000"
    assert records[0]["timestamp"] == "2025-11-24T16:00:00.030000+0000"  # Suricata's, for pcap_cnt 4


def test_alert_fields(records: list[dict[str, Any]]) -> None:
    messages = rule_messages()
    for r in records:
        a = r["alert"]
        sid = a["signature_id"]
        assert a["action"] == "allowed"
        assert a["gid"] == 1
        assert a["rev"] == 1
        assert a["signature"] == messages[sid]
        assert (a["category"], a["severity"]) == CLASS[sid]
        assert set(a) <= {
            "action",
            "gid",
            "signature_id",
            "rev",
            "signature",
            "category",
            "severity",
            "metadata",
        }


def test_direction_field(records: list[dict[str, Any]]) -> None:
    for r in records:
        sid = r["alert"]["signature_id"]
        if sid in DIRECTION:
            assert r["direction"] == DIRECTION[sid]
            assert isinstance(r["flow_id"], int) and r["flow_id"] > 0
        else:  # the undecodable packet has no flow: Suricata writes neither direction nor flow
            assert "direction" not in r and "flow" not in r and "flow_id" not in r


def test_community_id_format_and_value(records: list[dict[str, Any]]) -> None:
    communityid = pytest.importorskip("communityid")
    cid = communityid.CommunityID()
    for r in records:
        if "src_ip" not in r:
            assert "community_id" not in r
            continue
        value = r["community_id"]
        assert value.startswith("1:")
        assert len(base64.b64decode(value[2:], validate=True)) == 20
        proto = r["proto"]
        if proto == "TCP":
            tpl = communityid.FlowTuple.make_tcp(r["src_ip"], r["dest_ip"], r["src_port"], r["dest_port"])
        elif proto == "UDP":
            tpl = communityid.FlowTuple.make_udp(r["src_ip"], r["dest_ip"], r["src_port"], r["dest_port"])
        else:
            assert proto == "ICMP"
            tpl = communityid.FlowTuple.make_icmp(r["src_ip"], r["dest_ip"], r["icmp_type"], r["icmp_code"])
        assert value == cid.calc(tpl), r["alert"]["signature_id"]


def test_endpoint_fields(by_sid: dict[int, dict[str, Any]]) -> None:
    http = by_sid[9000001]
    assert (http["src_ip"], http["src_port"], http["dest_ip"], http["dest_port"]) == (
        "10.1.2.3",
        40001,
        "203.0.113.7",
        80,
    )
    assert (http["proto"], http["ip_v"], http["pkt_src"]) == ("TCP", 4, "wire/pcap")
    assert http["flow"]["src_ip"] == "10.1.2.3" and http["flow"]["dest_port"] == 80
    assert http["flow"]["start"] == "2025-11-24T16:00:00.000000+0000"
    reply = by_sid[9000002]  # to_client: src is the server, the flow keeps the client as src
    assert (reply["src_ip"], reply["src_port"]) == ("10.9.9.9", 23)
    assert (reply["flow"]["src_ip"], reply["flow"]["src_port"]) == ("10.1.2.3", 40002)
    assert by_sid[9000003]["vlan"] == [42]
    icmp = by_sid[9000005]
    assert (icmp["proto"], icmp["icmp_type"], icmp["icmp_code"]) == ("ICMP", 8, 0)
    assert "src_port" not in icmp and "dest_port" not in icmp
    v6 = by_sid[9000009]
    assert (v6["ip_v"], v6["src_ip"], v6["dest_ip"]) == (6, "2001:db8::1", "2001:db8::2")
    bare = by_sid[9000008]
    assert bare["pkt_src"] == "wire/pcap" and "src_ip" not in bare and "proto" not in bare


def test_reassembled_datagram_alert_as_suricata(by_sid: dict[int, dict[str, Any]]) -> None:
    frag = by_sid[9000006]
    assert frag["pkt_src"] == "defrag"
    assert "pcap_cnt" not in frag


def test_tunnel_inner_packet_alert_as_suricata(tmp_path: Path) -> None:
    eth = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
    frames = [
        eth
        / IP(src="1.1.1.1", dst="2.2.2.2")
        / GRE()
        / IP(src="10.0.0.1", dst="10.0.0.2")
        / UDP(sport=1, dport=2)
        / Raw(b"TUNNELED"),
        eth
        / IP(src="1.1.1.1", dst="2.2.2.2")
        / IP(src="10.0.0.3", dst="10.0.0.4")
        / UDP(sport=1, dport=2)
        / Raw(b"TUNNELED"),
    ]
    for i, f in enumerate(frames):
        f.time = 1_700_000_000 + i
    pcap = tmp_path / "tun.pcap"
    wrpcap(str(pcap), frames)
    rules = tmp_path / "tun.rules"
    rules.write_text('alert udp any any -> any any (msg:"x"; content:"TUNNELED"; sid:1;)\n')
    recs = replay(pcap, rules, tmp_path / "eve.json")
    assert [(r["src_ip"], r["pkt_src"], "pcap_cnt" in r) for r in recs] == [
        ("10.0.0.1", "gre tunnel", False),
        ("10.0.0.3", "ipv4 tunnel", False),
    ]


def test_end_of_capture_stream_alert_as_suricata(tmp_path: Path) -> None:
    eth = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
    c, s = "10.0.0.1", "10.0.0.2"
    frames = [  # handshake and one request the server never acknowledges
        eth / IP(src=c, dst=s) / TCP(sport=40001, dport=80, flags="S", seq=1000),
        eth / IP(src=s, dst=c) / TCP(sport=80, dport=40001, flags="SA", seq=5000, ack=1001),
        eth / IP(src=c, dst=s) / TCP(sport=40001, dport=80, flags="A", seq=1001, ack=5001),
        eth
        / IP(src=c, dst=s)
        / TCP(sport=40001, dport=80, flags="PA", seq=1001, ack=5001)
        / Raw(b"SECRET one\r\n"),
    ]
    for i, f in enumerate(frames):
        f.time = 1_700_000_000 + i * 0.1
    pcap = tmp_path / "s.pcap"
    wrpcap(str(pcap), frames)
    rules = tmp_path / "s.rules"
    rules.write_text('alert tcp any any -> any any (msg:"x"; content:"SECRET"; sid:1;)\n')
    recs = replay(pcap, rules, tmp_path / "eve.json")
    # Suricata 8.0.8 on these frames (tools/peer): one alert, at flow timeout
    assert [(r.get("pcap_cnt"), r["pkt_src"]) for r in recs] == [(None, "stream (flow timeout)")]
