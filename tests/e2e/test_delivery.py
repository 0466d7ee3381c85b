"""Sensor -> spool -> forwarder -> collector with real processes on 127.0.0.1.

Every alert of a real capture arrives exactly once with its signature verified,
through a collector answering 503 for a while, through a collector that is down
and comes up later, and through forwarders killed with SIGKILL at random points.
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from processes import (
    CORPUS,
    SAMPLE_PCAP,
    SAMPLE_RULES,
    Collector,
    Sensor,
    free_port,
    kill9,
    popen,
    run,
    start_collector,
)

from alertwire import Alert, Direction, encode_alert
from alertwire.spool import SpoolReader, SpoolWriter


def pending(spool: Path) -> int:
    reader = SpoolReader(spool)
    try:
        return reader.pending()
    finally:
        reader.close()


def assert_exactly_once(alerts: list[dict], sensor_id: str, count: int) -> None:
    seqs = sorted(a["seq"] for a in alerts if a["sensor_id"] == sensor_id)
    assert seqs == list(range(1, count + 1))
    assert all(a["verified"] for a in alerts)


def test_corpus_capture_arrives_once_and_verified(tmp_path: Path, collector: Collector, sensor: Sensor) -> None:
    case = CORPUS / "tests" / "detect-ttl"
    pcap = CORPUS / "tests" / "rfb-protocol-3.8" / "04-vnc-openwall-3.8.pcap"
    if not pcap.exists():
        pytest.skip("the suricata-verify corpus is not beside the project")
    eve = tmp_path / "eve.json"
    sensor.replay(pcap, case / "test.rules", "--eve", str(eve))
    lines = [json.loads(line) for line in eve.read_text().splitlines()]
    assert len(lines) == 3866  # what Suricata 8.0.8 alerts on this case
    collector.enroll(sensor.sensor_id, sensor.public_key)
    run(*sensor.drain_args(collector.url))
    assert pending(sensor.spool) == 0
    stored = sorted(collector.alerts(), key=lambda a: a["seq"])
    assert_exactly_once(stored, sensor.sensor_id, len(lines))
    for line, alert in zip(lines, stored, strict=True):
        assert alert["sid"] == line["alert"]["signature_id"]
        assert (alert["src_ip"], alert["dest_ip"]) == (line["src_ip"], line["dest_ip"])
        assert alert["timestamp"][:26] == line["timestamp"][:26]
    assert not collector.gaps()


class _Flaky503Proxy(BaseHTTPRequestHandler):
    """A load balancer in front of the collector that answers 503 to the first `failures` POSTs."""

    upstream = ""
    failures = 0
    seen_503 = 0
    lock = threading.Lock()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with self.lock:
            fail = _Flaky503Proxy.seen_503 < _Flaky503Proxy.failures
            if fail:
                _Flaky503Proxy.seen_503 += 1
        if fail:
            self._answer(503, b'{"error":"unavailable"}')
            return
        resp = httpx.post(self.upstream + self.path, content=body,
                          headers={"content-type": "application/octet-stream"}, timeout=30)
        self._answer(resp.status_code, resp.content)

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def flaky_proxy(collector: Collector) -> Iterator[str]:
    _Flaky503Proxy.upstream = collector.url
    _Flaky503Proxy.failures = 4
    _Flaky503Proxy.seen_503 = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky503Proxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_collector_answering_503_for_a_while(collector: Collector, sensor: Sensor, flaky_proxy: str) -> None:
    for _ in range(3):
        sensor.replay(SAMPLE_PCAP, SAMPLE_RULES)
    total = pending(sensor.spool)
    collector.enroll(sensor.sensor_id, sensor.public_key)
    run(*sensor.drain_args(flaky_proxy, "--batch-max-alerts", "4", "--retry-base", "0.05", "--retry-cap", "0.5",
                             "--max-wait", "90"), timeout=120)
    assert _Flaky503Proxy.seen_503 == 4
    assert_exactly_once(collector.alerts(), sensor.sensor_id, total)


def test_collector_itself_answering_503_while_its_database_is_locked(tmp_path: Path, sensor: Sensor) -> None:
    """The real collector answers 503 store_busy while a backup holds its database's write lock."""
    sensor.replay(SAMPLE_PCAP, SAMPLE_RULES)
    total = pending(sensor.spool)
    data = tmp_path / "busy-collector"
    run("collector", "enroll", "--data", str(data), "--sensor-id", sensor.sensor_id, "--sector", "ajk",
        "--public-key", str(sensor.public_key))
    collector = start_collector(data, 0, "--store-busy-timeout", "0.2")
    holder = sqlite3.connect(data / "collector.db", isolation_level=None)
    drain = None
    try:
        holder.execute("BEGIN IMMEDIATE")
        drain = popen(*sensor.drain_args(collector.url, "--retry-base", "0.1", "--retry-cap", "0.5",
                                         "--max-wait", "90", "--log-level", "info"))
        time.sleep(2.0)
        assert drain.poll() is None, "drain gave up while the collector answered 503"
        holder.execute("ROLLBACK")
        out, _ = drain.communicate(timeout=90)
        assert drain.returncode == 0
        retries = [json.loads(line) for line in out.splitlines() if '"batch_retry_scheduled"' in line]
        assert retries and all(r["status"] == 503 and r["reason"] == "store_busy" for r in retries)
        assert_exactly_once(collector.alerts(), sensor.sensor_id, total)
    finally:
        holder.close()
        if drain is not None:
            kill9(drain)
        collector.stop()


def test_collector_down_then_up(tmp_path: Path, sensor: Sensor) -> None:
    sensor.replay(SAMPLE_PCAP, SAMPLE_RULES)
    total = pending(sensor.spool)
    segments = sorted(p.name for p in sensor.spool.glob("*.seg"))
    port = free_port()
    drain = popen(*sensor.drain_args(f"http://127.0.0.1:{port}", "--max-wait", "90", "--retry-cap", "1"))
    try:
        time.sleep(2.0)
        assert drain.poll() is None, "drain gave up while the collector was down"
        # the spool keeps everything meanwhile (the running forwarder holds the reader lock)
        assert sorted(p.name for p in sensor.spool.glob("*.seg")) == segments
        data = tmp_path / "late-collector"
        run("collector", "enroll", "--data", str(data), "--sensor-id", sensor.sensor_id, "--sector", "sindh",
            "--public-key", str(sensor.public_key))
        late = start_collector(data, port)
        try:
            assert drain.wait(timeout=90) == 0
            assert pending(sensor.spool) == 0
            assert_exactly_once(late.alerts(), sensor.sensor_id, total)
        finally:
            late.stop()
    finally:
        kill9(drain)


def _synthetic_spool(sensor: Sensor, count: int) -> None:
    """`count` distinct alerts in the sensor's spool (the sensor's own output is tested elsewhere)."""
    writer = SpoolWriter(sensor.spool, sensor_id=sensor.sensor_id, ruleset_version="t", ruleset_hash=bytes(32),
                         segment_bytes=16 << 10)
    for i in range(count):
        writer.append(encode_alert(Alert(
            ts_us=1_700_000_000_000_000 + i, gid=1, sid=9000001 + i % 9, rev=1, proto=6,
            src_ip=bytes([10, 0, i >> 8 & 255, i & 255]), src_port=1024 + i % 60000,
            dest_ip=bytes([192, 0, 2, 1]), dest_port=80, flow_id=i + 1, direction=Direction.TO_SERVER,
        )))
        if i % 100 == 99:
            writer.commit()
    writer.close()


def test_forwarder_killed_mid_batch_loses_and_duplicates_nothing(collector: Collector, sensor: Sensor) -> None:
    count = 3000
    _synthetic_spool(sensor, count)
    collector.enroll(sensor.sensor_id, sensor.public_key)
    rng = random.Random(20261128)
    args = sensor.drain_args(collector.url, "--batch-max-alerts", "37", "--compression", "zlib")
    kills = 0
    for _ in range(8):
        proc = popen(*args)
        time.sleep(rng.uniform(0.2, 1.0))
        if proc.poll() is None:
            kills += 1
        kill9(proc)
        if pending(sensor.spool) == 0:
            break
    run(*args)
    assert kills >= 1
    assert pending(sensor.spool) == 0
    assert_exactly_once(collector.alerts(), sensor.sensor_id, count)
    assert not collector.gaps()
