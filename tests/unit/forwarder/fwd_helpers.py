"""Helpers for the forwarder's unit tests (fixtures in conftest.py): a spool with alerts, a key, a fake clock, a fake collector.

The fake collector runs behind httpx.MockTransport and checks what a real one checks: the
Ed25519 signature, the batch chain (batch_seq + 1, prev_hash), and byte-identical resends
(409 replayed_batch). A script of (status, json) answers can precede its normal behaviour.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from alertwire import Alert, decode_body, decode_payload, decompress, encode_alert, parse_frame
from alertwire.spool import SpoolReader, SpoolWriter
from forwarder.app import Forwarder, LoopSettings
from forwarder.batcher import Batcher
from forwarder.clock import FakeClock
from forwarder.retry import RetryPolicy
from forwarder.shipper import Shipper
from forwarder.signer import Signer
from forwarder.state import StateStore

SENSOR_ID = "sensor-test-01"


def alert(i: int) -> Alert:
    return Alert(ts_us=1_700_000_000_000_000 + i, gid=1, sid=1000 + i, rev=1, proto=6,
                 src_ip=bytes([10, 0, 0, 1]), src_port=1024 + i, dest_ip=bytes([10, 0, 0, 2]), dest_port=80)


def write_spool(path: Path, n: int, *, start: int = 0, ruleset: tuple[str, bytes] = ("r1", b"\x01" * 4),
                per_segment: int = 10) -> list[int]:
    """Append n alerts and seal every `per_segment`; returns their seqs."""
    seqs = []
    with SpoolWriter(path, sensor_id=SENSOR_ID, ruleset_version=ruleset[0], ruleset_hash=ruleset[1],
                     fsync=False) as w:
        for i in range(start, start + n):
            seq = w.append(encode_alert(alert(i)))
            assert seq is not None
            seqs.append(seq)
            if len(seqs) % per_segment == 0:
                w.seal()
    return seqs


def write_key(path: Path, key: Ed25519PrivateKey, mode: int = 0o600) -> Path:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    path.write_bytes(pem)
    os.chmod(path, mode)
    return path


@dataclass
class FakeCollector:
    """A collector behind MockTransport: verifies, chains, stores seqs, answers replays with 409."""

    public_key: Ed25519PublicKey
    script: list[tuple[int, dict[str, str] | None, dict[str, str]]] = field(default_factory=list)
    stored: dict[tuple[int, int], bytes] = field(default_factory=dict)  # (epoch, batch_seq) -> frame
    seqs: list[int] = field(default_factory=list)
    requests: int = 0
    last_hash: dict[int, bytes] = field(default_factory=dict)
    headers: list[object] = field(default_factory=list)
    chain_breaks: list[int] = field(default_factory=list)

    def answer(self, status: int, body: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> None:
        self.script.append((status, body, headers or {}))

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        assert request.url.path == "/v1/batches"
        assert request.headers["content-type"] == "application/octet-stream"
        frame = request.read()
        if self.script:
            status, body, headers = self.script.pop(0)
            return httpx.Response(status, json=body, headers=headers)
        parsed = parse_frame(frame)
        parsed.verify(self.public_key)
        header, stored_body = decode_payload(parsed.payload)
        self.headers.append(header)
        key = (header.epoch, header.batch_seq)
        if key in self.stored:
            if self.stored[key] == frame:
                return httpx.Response(409, json={"error": "replayed_batch"})
            return httpx.Response(409, json={"error": "batch_conflict"})
        expected_seq = max((k[1] for k in self.stored if k[0] == header.epoch), default=0) + 1
        if header.prev_hash != self.last_hash.get(header.epoch, bytes(32)) or header.batch_seq != expected_seq:
            self.chain_breaks.append(header.batch_seq)  # a real collector reports this as a gap
        entries = decode_body(decompress(stored_body, header.compression), header)
        self.stored[key] = frame
        self.last_hash[header.epoch] = parsed.batch_hash
        self.seqs.extend(seq for seq, _ in entries)
        return httpx.Response(200, json={"status": "stored"})


@dataclass
class Rig:
    spool: Path
    clock: FakeClock
    key: Ed25519PrivateKey
    collector: FakeCollector
    max_count: int = 4
    opened: list[object] = field(default_factory=list)

    def forwarder(self, **settings: object) -> Forwarder:
        """A Forwarder on this spool; closes the previous one's files first (a restart)."""
        self.close()
        reader = SpoolReader(self.spool, fsync=False)
        store = StateStore(self.spool)
        self.opened = [reader, store]
        client = httpx.Client(transport=httpx.MockTransport(self.collector.handler))
        loop = LoopSettings(read_limit=settings.pop("read_limit", 5),  # type: ignore[arg-type]
                            poll_interval=0.5, stats_interval=30.0,
                            retry=RetryPolicy(base=0.5, cap=8.0, auth_cap=60.0))
        return Forwarder(
            reader=reader, store=store, batcher=Batcher(self.clock, max_count=self.max_count, max_age=1.0),
            signer=Signer(self.key, 2, 1), shipper=Shipper(client, "http://collector.test/"), clock=self.clock,
            settings=loop,
        )

    def close(self) -> None:
        for thing in self.opened:
            thing.close()  # type: ignore[attr-defined]
        self.opened = []


def sidecars(spool: Path) -> list[dict[str, object]]:
    return [json.loads(p.read_text()) for p in sorted((spool / "forwarder" / "quarantine").glob("*.json"))]
