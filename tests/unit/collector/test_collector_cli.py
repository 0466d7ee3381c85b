"""`pehredar collector ...` through click's CliRunner and the real shell group."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from collector_helpers import Identity, make_alert, new_identity

from collector.ingest import Accepted, Ingest
from collector.store import SqliteStore
from pehredar.cli import main


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, ["collector", *args])


@pytest.fixture
def ident(tmp_path: Path) -> Identity:
    return new_identity(tmp_path / "keys", "lhr-core-1")


def enroll(data: Path, ident: Identity, sector: str = "telecom") -> Result:
    return cli("enroll", "--data", str(data), "--sensor-id", ident.sensor_id, "--sector", sector,
               "--public-key", str(ident.public_key_file))  # fmt: skip


def deliver(data: Path, *frames: bytes) -> None:
    store = SqliteStore(data)
    try:
        ingest = Ingest(store)
        for f in frames:
            assert isinstance(ingest.ingest(f), Accepted)
    finally:
        store.close()


def test_enroll_sensors_revoke(tmp_path: Path, ident: Identity) -> None:
    data = tmp_path / "data"
    r = enroll(data, ident)
    assert r.exit_code == 0, r.output
    assert ident.key_id in r.output
    again = enroll(data, ident)
    assert again.exit_code == 1 and again.output.startswith("pehredar: error: ") and again.output.count("\n") == 1
    listing = json.loads(cli("sensors", "--data", str(data), "--json").output)
    assert listing[0]["sensor_id"] == "lhr-core-1" and listing[0]["keys"][0]["key_id"] == ident.key_id
    assert "lhr-core-1" in cli("sensors", "--data", str(data)).output
    r = cli("revoke", "--data", str(data), "--key-id", ident.key_id)
    assert r.exit_code == 0 and ident.key_id in r.output
    assert "(revoked)" in cli("sensors", "--data", str(data)).output
    assert enroll(data, ident).exit_code == 1  # a revoked key cannot come back
    assert cli("revoke", "--data", str(data), "--sensor-id", "nobody").exit_code == 1


def test_enroll_refusals(tmp_path: Path, ident: Identity) -> None:
    data = tmp_path / "data"
    r = enroll(data, ident, sector="mars")
    assert r.exit_code == 1 and "unknown sector" in r.output
    not_a_key = tmp_path / "x.pem"
    not_a_key.write_text("hello")
    r = cli("enroll", "--data", str(data), "--sensor-id", "a", "--sector", "kp", "--public-key", str(not_a_key))
    assert r.exit_code == 1 and "not a PEM public key" in r.output
    private = ident.public_key_file.with_name("private.key")
    r = cli("enroll", "--data", str(data), "--sensor-id", "a", "--sector", "kp", "--public-key", str(private))
    assert r.exit_code == 1 and "public key" in r.output
    (data / "sectors").write_text("# our own\nbank-a\nbank-b\n")
    assert enroll(data, ident, sector="telecom").exit_code == 1
    assert enroll(data, ident, sector="bank-b").exit_code == 0


def test_bad_arguments_exit_2(tmp_path: Path) -> None:
    for args in (["revoke", "--data", str(tmp_path)], ["alerts"], ["alerts", "--data", str(tmp_path), "--limit", "0"],
                 ["revoke", "--data", str(tmp_path), "--sensor-id", "a", "--key-id", "b"]):  # fmt: skip
        r = cli(*args)
        assert r.exit_code == 2, (args, r.output)
        assert r.output.startswith("pehredar: error: ") and r.output.count("\n") == 1


def test_query_commands_need_a_database(tmp_path: Path) -> None:
    r = cli("alerts", "--data", str(tmp_path / "nothing"))
    assert r.exit_code == 1 and "no collector database" in r.output


def test_alerts_gaps_verify_export(tmp_path: Path, ident: Identity) -> None:
    data = tmp_path / "data"
    assert enroll(data, ident).exit_code == 0
    icmp = make_alert(5, proto=1, src_port=8, dest_port=0, app_proto="")
    deliver(data, ident.batch(1, [1, 2]), ident.batch(3, [5, 6], alerts={5: icmp}))

    alerts = json.loads(cli("alerts", "--data", str(data), "--json").output)
    assert [a["seq"] for a in alerts] == [1, 2, 5, 6]
    required = {"sensor_id", "sector", "epoch", "seq", "timestamp", "sid", "gid", "rev", "signature", "src_ip",
                "src_port", "dest_ip", "dest_port", "proto", "verified"}  # fmt: skip
    assert required <= set(alerts[0])
    assert all(a["verified"] is True for a in alerts)
    assert alerts[0]["signature"] is None and alerts[0]["sector"] == "telecom"
    newest = json.loads(cli("alerts", "--data", str(data), "--json", "--limit", "2").output)
    assert [a["seq"] for a in newest] == [5, 6]
    assert len(json.loads(cli("alerts", "--data", str(data), "--json", "--sid", "1").output)) == 0
    table = cli("alerts", "--data", str(data)).output
    assert "sid 2000001" in table and "10.0.0.1:40001" in table

    gaps = json.loads(cli("gaps", "--data", str(data), "--json").output)
    assert {(g["kind"], g["first"], g["last"]) for g in gaps} == {("batch_seq", 2, 2), ("alert_seq", 3, 4)}
    assert "missing batches 2" in cli("gaps", "--data", str(data)).output

    r = cli("verify", "--data", str(data))
    assert r.exit_code == 0 and "frames: 2 verified, 0 failed; alerts: 4 verified, 0 failed" in r.output

    out = tmp_path / "eve.json"
    assert cli("export-eve", "--data", str(data), "--out", str(out)).exit_code == 0
    eve = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(eve) == 4 and eve[2]["proto"] == "ICMP" and eve[2]["icmp_type"] == 8
    assert "src_port" not in eve[2] and eve[0]["src_port"] == 40001
    assert eve[0]["timestamp"].endswith("+0000") and eve[0]["alert"]["signature_id"] == 2000001
    assert len(cli("export-eve", "--data", str(data)).output.splitlines()) == 4

    store = SqliteStore(data)
    store._conn().execute("UPDATE alerts SET sid = 1 WHERE seq = 6")
    (frame,) = store._conn().execute("SELECT frame FROM batches WHERE batch_seq = 1").fetchone()
    tampered = frame[:-1] + bytes([frame[-1] ^ 1])  # the signature's last byte
    store._conn().execute("UPDATE batches SET frame = ? WHERE batch_seq = 1", (tampered,))
    store.close()
    r = cli("verify", "--data", str(data))
    assert r.exit_code == 1
    assert "frames: 1 verified, 1 failed; alerts: 1 verified, 3 failed" in r.output
    assert "FAILED lhr-core-1 epoch 1 batch 1" in r.output
