"""`pehredar forwarder drain|run|inspect`: exit codes, one-line errors, a real drain on loopback."""

from __future__ import annotations

import datetime
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from click.testing import CliRunner, Result
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID
from fwd_helpers import write_key, write_spool

from alertwire import decode_payload, parse_frame
from alertwire.spool import SpoolReader
from forwarder.app import build_client
from forwarder.config import ForwarderConfig
from forwarder.errors import ConfigError
from pehredar.cli import main


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def one_line_error(result: Result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("pehredar: error: ")
    return lines[0]


class _Collector(BaseHTTPRequestHandler):
    frames: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        n = int(self.headers["content-length"])
        type(self).frames.append(self.rfile.read(n))
        body = b'{"status":"stored"}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_collector() -> Iterator[str]:
    _Collector.frames = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def spool_and_key(tmp_path: Path, key: Ed25519PrivateKey) -> tuple[Path, Path]:
    spool = tmp_path / "spool"
    write_spool(spool, 25)
    return spool, write_key(tmp_path / "private.key", key)


def test_drain_ships_to_a_real_http_collector_and_exits_0(
    spool_and_key: tuple[Path, Path], http_collector: str
) -> None:
    spool, keyfile = spool_and_key
    result = invoke("forwarder", "drain", "--spool", str(spool), "--collector", http_collector, "--key", str(keyfile),
                    "--batch-max-alerts", "10", "--compression", "zlib", "--max-wait", "30")
    assert result.exit_code == 0, result.stderr
    headers = [decode_payload(parse_frame(f).payload)[0] for f in _Collector.frames]
    assert [(h.batch_seq, h.first_seq, h.last_seq, h.compression) for h in headers] == [
        (1, 1, 10, 1), (2, 11, 20, 1), (3, 21, 25, 1)
    ]
    logs = [json.loads(line) for line in result.stdout.splitlines()]
    assert {"forwarder_started", "batch_shipped", "drain_finished", "stats"} <= {e["event"] for e in logs}
    with SpoolReader(spool) as reader:
        assert reader.pending() == 0

    inspected = invoke("forwarder", "inspect", "--spool", str(spool), "--json")
    assert inspected.exit_code == 0
    info = json.loads(inspected.stdout)
    assert info["pending"] == 0 and info["chain"]["batch_seq"] == 3 and info["chain"]["acked_seq"] == 25
    assert info["outbox"] == [] and info["quarantine"] == []
    text = invoke("forwarder", "inspect", "--spool", str(spool))
    assert "pending:     0" in text.stdout and "batch_seq 3" in text.stdout


def test_drain_gives_up_at_max_wait_with_exit_1_and_loses_nothing(spool_and_key: tuple[Path, Path]) -> None:
    spool, keyfile = spool_and_key
    result = invoke("forwarder", "drain", "--spool", str(spool), "--collector", "http://127.0.0.1:9",
                    "--key", str(keyfile), "--max-wait", "0.5", "--log-level", "error")
    assert result.exit_code == 1
    assert "not drained within --max-wait 0.5s: 25 record(s) still pending" in one_line_error(result)
    info = json.loads(invoke("forwarder", "inspect", "--spool", str(spool), "--json").stdout)
    assert info["pending"] == 25 and len(info["outbox"]) == 1


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--collector", "http://x"], "Missing option '--spool'"),
        (["--spool", "S", "--collector", "ftp://x", "--key", "K"], "must be an http:// or https:// URL"),
        (["--spool", "S", "--collector", "http://x", "--key", "K", "--compression", "lz4"], "--compression"),
        (["--spool", "S", "--collector", "http://x", "--key", "K", "--batch-max-alerts", "0"], "--batch-max-alerts"),
        (["--spool", "S", "--collector", "http://x", "--key", "/nonexistent"], "--key"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(tmp_path: Path, key: Ed25519PrivateKey, args: list[str],
                                             needle: str) -> None:
    keyfile = str(write_key(tmp_path / "k", key))
    args = [keyfile if a == "K" else str(tmp_path / "s") if a == "S" else a for a in args]
    result = invoke("forwarder", "drain", *args)
    assert result.exit_code == 2
    assert needle in one_line_error(result)


def test_spool_never_created_exits_1(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    (tmp_path / "spool").mkdir()
    result = invoke("forwarder", "drain", "--spool", str(tmp_path / "spool"), "--collector", "http://127.0.0.1:9",
                    "--key", str(write_key(tmp_path / "k", key)))
    assert result.exit_code == 1
    assert "has not created this spool" in one_line_error(result)


def test_unsafe_key_exits_1(spool_and_key: tuple[Path, Path]) -> None:
    spool, keyfile = spool_and_key
    keyfile.chmod(0o644)
    result = invoke("forwarder", "run", "--spool", str(spool), "--collector", "http://127.0.0.1:9",
                    "--key", str(keyfile))
    assert result.exit_code == 1
    assert "chmod 600" in one_line_error(result)


def _ca(tmp_path: Path) -> Path:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CERT CA")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = tmp_path / "ca.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def test_ca_pins_only_that_ca(tmp_path: Path) -> None:
    cfg = ForwarderConfig(spool="s", collector_url="https://c", key="k", ca=str(_ca(tmp_path)))
    with build_client(cfg) as client:
        ctx = client._transport._pool._ssl_context  # type: ignore[attr-defined]
        assert [c["subject"] for c in ctx.get_ca_certs()] == [((("commonName", "Test CERT CA"),),)]


def test_bad_ca_file_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "bad.pem").write_text("not a cert")
    with pytest.raises(ConfigError):
        build_client(ForwarderConfig(spool="s", collector_url="https://c", key="k", ca=str(tmp_path / "bad.pem")))


def test_http2_prior_knowledge_for_http_urls() -> None:
    with build_client(ForwarderConfig(spool="s", collector_url="http://c", key="k", http2=True)) as client:
        pool = client._transport._pool  # type: ignore[attr-defined]
        assert (pool._http1, pool._http2) == (False, True)
    with build_client(ForwarderConfig(spool="s", collector_url="https://c", key="k", http2=True)) as client:
        pool = client._transport._pool  # type: ignore[attr-defined]
        assert (pool._http1, pool._http2) == (True, True)


def test_run_ships_then_stops_cleanly_on_sigterm(spool_and_key: tuple[Path, Path], http_collector: str) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    spool, keyfile = spool_and_key
    proc = subprocess.Popen(
        [sys.executable, "-c", "from pehredar.cli import main; main()", "forwarder", "run", "--spool", str(spool),
         "--collector", http_collector, "--key", str(keyfile), "--poll-interval", "0.1", "--batch-max-age", "0.1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=Path(__file__).resolve().parents[3],
    )
    try:
        deadline = time.monotonic() + 20
        while len(_Collector.frames) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        os.kill(proc.pid, signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    events = [json.loads(line)["event"] for line in out.decode().splitlines()]
    assert "stop_requested" in events and events[-2:] == ["forwarder_stopped", "stats"]
    headers = [decode_payload(parse_frame(f).payload)[0] for f in _Collector.frames]
    assert sum(h.count for h in headers) == 25


def test_inspect_while_a_forwarder_holds_the_spool(spool_and_key: tuple[Path, Path]) -> None:
    spool, _ = spool_and_key
    with SpoolReader(spool):
        result = invoke("forwarder", "inspect", "--spool", str(spool))
    assert result.exit_code == 0
    assert "pending:     unknown (a forwarder is running" in result.stdout
    assert "chain:       none yet" in result.stdout


def test_inspect_of_a_directory_that_is_no_spool_exits_1(tmp_path: Path) -> None:
    result = invoke("forwarder", "inspect", "--spool", str(tmp_path))
    assert result.exit_code == 1
    assert "has not created this spool" in one_line_error(result)
