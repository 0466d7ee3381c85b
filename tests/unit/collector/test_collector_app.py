"""The ASGI edge: status codes and JSON answers, the query API, enrollment on a running app."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from collector_helpers import T0, Identity, make_alert, new_identity

from collector.app import create_app, parse_time
from collector.keys import enroll, revoke
from collector.ruleset import load_rules
from collector.store import SqliteStore

OCTETS = {"content-type": "application/octet-stream"}


class AppClient:
    """A blocking face over httpx's ASGITransport (no sockets)."""

    def __init__(self, app: object) -> None:
        self._transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]

    def request(self, method: str, url: str, **kw: object) -> httpx.Response:
        async def go() -> httpx.Response:
            async with httpx.AsyncClient(transport=self._transport, base_url="http://collector") as c:
                return await c.request(method, url, **kw)  # type: ignore[arg-type]

        return asyncio.run(go())

    def get(self, url: str) -> httpx.Response:
        return self.request("GET", url)

    def post(self, url: str, **kw: object) -> httpx.Response:
        return self.request("POST", url, **kw)


@pytest.fixture
def client(store: SqliteStore) -> AppClient:
    return AppClient(create_app(store, max_batch_bytes=64 * 1024))


def post(client: AppClient, frame: bytes) -> tuple[int, dict]:
    r = client.post("/v1/batches", content=frame, headers=OCTETS)
    return r.status_code, r.json()


def test_store_then_replay(client: AppClient, sensor: Identity) -> None:
    frame = sensor.batch(1, [1, 2])
    assert post(client, frame) == (200, {"status": "stored", "batch_seq": 1, "stored": 2, "duplicates": 0})
    status, body = post(client, frame)
    assert status == 409 and body["error"] == "replayed_batch" and body["reason"]


def test_refusal_shape(client: AppClient, sensor: Identity) -> None:
    status, body = post(client, b"garbage")
    assert status == 400 and set(body) == {"error", "reason"} and body["error"] == "malformed_envelope"


def test_too_large_declared_and_streamed(client: AppClient, sensor: Identity, store: SqliteStore) -> None:
    big = b"\x00" * (64 * 1024 + 1)
    status, body = post(client, big)
    assert (status, body["error"]) == (413, "too_large")

    async def chunks() -> AsyncIterator[bytes]:  # no content-length: the cap applies while reading
        for _ in range(20):
            yield b"\x00" * 8192

    r = client.post("/v1/batches", content=chunks(), headers=OCTETS)
    assert (r.status_code, r.json()["error"]) == (413, "too_large")


def test_enroll_and_revoke_take_effect_without_restart(client: AppClient, tmp_path: Path, data_dir: Path) -> None:
    newcomer = new_identity(tmp_path / "keys-n", "n1")
    assert post(client, newcomer.batch(1, [1]))[0] == 403
    other = SqliteStore(data_dir)  # what a separate `collector enroll` process does
    try:
        enroll(other, data_dir, "n1", "sindh", newcomer.public_key_file)
        status, _ = post(client, newcomer.batch(1, [1], prev_hash=bytes(32)))
        assert status == 200
        revoke(other, sensor_id="n1")
    finally:
        other.close()
    status, body = post(client, newcomer.batch(2, [2]))
    assert (status, body["error"]) == (410, "revoked_key")


def test_query_api(client: AppClient, sensor: Identity, store: SqliteStore, tmp_path: Path, data_dir: Path) -> None:
    rules = tmp_path / "local.rules"
    rules.write_text(
        'alert tcp any any -> any 80 (msg:"TEST web attack"; classtype:web-application-attack; sid:2000001; rev:2;)\n'
    )
    assert load_rules(store, [str(tmp_path / "*.rules")]) == (1, 0)
    other = new_identity(tmp_path / "keys-s2", "s2")
    enroll(store, data_dir, "s2", "punjab", other.public_key_file)
    post(client, sensor.batch(1, [1, 2, 3]))
    post(client, other.batch(1, [1], alerts=None))
    post(client, other.batch(2, [2], alerts={2: make_alert(2, sid=99)}))

    r = client.get("/v1/alerts").json()
    assert r["count"] == 5
    first = r["alerts"][0]
    assert first["signature"] == "TEST web attack"
    assert first["category"] == "Web Application Attack" and first["severity"] == 1
    assert first["verified"] is True and first["timestamp"].endswith("Z")
    assert first["src_ip"] == "10.0.0.1" and first["proto"] == "TCP"
    assert [a["seq"] for a in client.get("/v1/alerts?sensor=s1").json()["alerts"]] == [1, 2, 3]
    assert {a["sensor_id"] for a in client.get("/v1/alerts?sector=punjab").json()["alerts"]} == {"s2"}
    unknown = client.get("/v1/alerts?sid=99").json()["alerts"]
    assert len(unknown) == 1 and unknown[0]["signature"] is None
    assert client.get(f"/v1/alerts?since={T0 + 2000}&until={T0 + 3000}").json()["count"] == 2  # seq 2 of each sensor
    iso = "2025-11-24T16:00:00.002Z"
    assert parse_time("since", iso) == 1_764_000_000_002_000
    assert client.get("/v1/alerts?limit=2").json()["count"] == 2
    for bad in ("limit=0", "sid=x", "since=yesterday", "colour=red"):
        resp = client.get(f"/v1/alerts?{bad}")
        assert resp.status_code == 400 and resp.json()["error"] == "bad_query"

    eve = [json.loads(line) for line in client.get("/v1/alerts.eve?sid=99").text.splitlines()]
    assert eve[0]["event_type"] == "alert" and eve[0]["alert"]["signature"] == "sid 99"
    assert eve[0]["community_id"].startswith("1:") and eve[0]["host"] == "s2"

    sensors = client.get("/v1/sensors").json()["sensors"]
    assert [(s["sensor_id"], s["sector"], s["alerts"]) for s in sensors] == [("s1", "telecom", 3), ("s2", "punjab", 2)]
    assert client.get("/v1/gaps").json() == {"gaps": []}
    assert client.get("/healthz").json() == {"status": "ok"}


def test_tampered_row_is_not_verified(client: AppClient, sensor: Identity, store: SqliteStore) -> None:
    post(client, sensor.batch(1, [1, 2]))
    store._conn().execute("UPDATE alerts SET dest_port = 8080 WHERE seq = 2")
    verified = {a["seq"]: a["verified"] for a in client.get("/v1/alerts").json()["alerts"]}
    assert verified == {1: True, 2: False}
