"""`pehredar sensor replay --spool DIR --sensor-id ID`: every alert of the run is committed to the
spool as the compact record, with the same facts as its EVE line, and no payload unless asked."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

from click.testing import CliRunner, Result

from alertwire import Direction, decode_alert
from alertwire.spool import SpoolReader
from pehredar.cli import main

ROOT = Path(__file__).resolve().parents[3]
SAMPLE_PCAP = str(ROOT / "pehredar" / "samples" / "sample.pcap")
SAMPLE_RULES = str(ROOT / "pehredar" / "samples" / "sample.rules")


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def spooled(spool: Path) -> list:
    reader = SpoolReader(spool)
    try:
        records = reader.read(0, 100_000)
    finally:
        reader.close()
    return records


def test_spool_holds_every_alert_with_the_eve_facts(tmp_path: Path) -> None:
    eve = tmp_path / "eve.json"
    result = run("sensor", "replay", SAMPLE_PCAP, "--rules", SAMPLE_RULES, "--spool", str(tmp_path / "spool"),
                 "--sensor-id", "pk-test-01", "--eve", str(eve))
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in eve.read_text().splitlines()]
    records = spooled(tmp_path / "spool")
    assert [r.seq for r in records] == list(range(1, len(lines) + 1))
    assert len(lines) > 0
    for line, record in zip(lines, records, strict=True):
        alert = decode_alert(record.body)
        assert alert.sid == line["alert"]["signature_id"]
        assert alert.rev == line["alert"]["rev"]
        assert alert.gid == line["alert"]["gid"]
        if "src_ip" in line:
            assert str(ipaddress.ip_address(alert.src_ip)) == line["src_ip"]
            assert str(ipaddress.ip_address(alert.dest_ip)) == line["dest_ip"]
        else:
            assert alert.src_ip == alert.dest_ip == b""
        if "src_port" in line:
            assert (alert.src_port, alert.dest_port) == (line["src_port"], line["dest_port"])
        if "icmp_type" in line:
            assert (alert.src_port, alert.dest_port) == (line["icmp_type"], line["icmp_code"])
        assert alert.flow_id == line.get("flow_id", 0)
        expected = {"to_server": Direction.TO_SERVER, "to_client": Direction.TO_CLIENT}.get(
            line.get("direction", ""), Direction.NONE)
        assert alert.direction == expected
        assert alert.payload == b""
        assert record.ruleset_version.startswith("sha256-")
        assert len(record.ruleset_hash) == 32


def test_spool_alone_writes_no_eve_to_stdout(tmp_path: Path) -> None:
    result = run("sensor", "replay", SAMPLE_PCAP, "--rules", SAMPLE_RULES, "--spool", str(tmp_path / "s"),
                 "--sensor-id", "s1")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert spooled(tmp_path / "s")


def test_second_run_continues_the_sequence(tmp_path: Path) -> None:
    args = ("sensor", "replay", SAMPLE_PCAP, "--rules", SAMPLE_RULES, "--spool", str(tmp_path / "s"),
            "--sensor-id", "s1")
    run(*args)
    first = len(spooled(tmp_path / "s"))
    run(*args)
    assert [r.seq for r in spooled(tmp_path / "s")] == list(range(1, 2 * first + 1))


def test_payload_excerpt_is_capped(tmp_path: Path) -> None:
    result = run("sensor", "replay", SAMPLE_PCAP, "--rules", SAMPLE_RULES, "--spool", str(tmp_path / "s"),
                 "--sensor-id", "s1", "--payload-excerpt", "8")
    assert result.exit_code == 0
    payloads = [decode_alert(r.body).payload for r in spooled(tmp_path / "s")]
    assert any(payloads)
    assert all(len(p) <= 8 for p in payloads)


def test_spool_needs_sensor_id(tmp_path: Path) -> None:
    result = run("sensor", "replay", SAMPLE_PCAP, "--rules", SAMPLE_RULES, "--spool", str(tmp_path / "s"))
    assert result.exit_code == 2
    assert "--sensor-id" in result.stderr


def test_spool_of_another_sensor_is_refused(tmp_path: Path) -> None:
    base = ("sensor", "replay", SAMPLE_PCAP, "--rules", SAMPLE_RULES, "--spool", str(tmp_path / "s"))
    assert run(*base, "--sensor-id", "s1").exit_code == 0
    result = run(*base, "--sensor-id", "s2")
    assert result.exit_code == 2
    assert "--spool" in result.stderr
