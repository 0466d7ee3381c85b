"""The collector's composition root: ASGI routes, logging, and `collector run`'s server.

Step 10 of 10 (collect). The HTTP edge is thin: it reads the body with a cap,
hands the bytes to `collector.ingest` (sans-IO, run in a worker thread because
SQLite and Ed25519 block) and maps Accepted/Refusal to JSON answers. Served by
hypercorn, which speaks HTTP/1.1 and HTTP/2 (h2c prior knowledge, and ALPN with
TLS) - the forwarder uses HTTP/2. structlog is configured here, once.

    POST /v1/batches      body = one signed frame (application/octet-stream)
    GET  /v1/alerts       ?sensor=&sector=&sid=&since=&until=&limit=  (JSON)
    GET  /v1/alerts.eve   same filters, EVE-JSON lines
    GET  /v1/gaps         missing batch_seq / alert seq ranges, chain breaks
    GET  /v1/sensors      enrolled sensors, their keys and counts
    GET  /healthz
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import ssl
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from alertwire.logs import configure_logging
from collector.audit import AlertVerifier
from collector.config import CollectorConfig
from collector.errors import ConfigError
from collector.ingest import Ingest
from collector.output import alert_json, eve_record
from collector.refusals import Refusal
from collector.ruleset import load_rules
from collector.store import AlertQuery, SqliteStore, Store

API_DEFAULT_LIMIT = 1000
API_MAX_LIMIT = 100_000


class BadQuery(ValueError):
    pass


def parse_time(name: str, text: str) -> int:
    """Integer microseconds since the epoch, or ISO-8601 (naive means UTC)."""
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise BadQuery(f"{name} must be ISO-8601 or integer microseconds, got {text!r}") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp()) * 1_000_000 + dt.microsecond


def alert_query(params: Any) -> AlertQuery:
    unknown = set(params) - {"sensor", "sector", "sid", "since", "until", "limit"}
    if unknown:
        raise BadQuery(f"unknown query parameter(s): {', '.join(sorted(unknown))}")
    sid = params.get("sid")
    if sid is not None and not sid.isdigit():
        raise BadQuery(f"sid must be an integer, got {sid!r}")
    limit_text = params.get("limit", str(API_DEFAULT_LIMIT))
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= API_MAX_LIMIT:
        raise BadQuery(f"limit must be an integer in 1..{API_MAX_LIMIT}")
    return AlertQuery(
        sensor=params.get("sensor"),
        sector=params.get("sector"),
        sid=int(sid) if sid is not None else None,
        since_us=parse_time("since", params["since"]) if "since" in params else None,
        until_us=parse_time("until", params["until"]) if "until" in params else None,
        limit=int(limit_text),
    )


def create_app(store: Store, *, max_batch_bytes: int) -> Starlette:
    """The ASGI app over one store."""
    ingest = Ingest(store, max_batch_bytes=max_batch_bytes)

    async def post_batch(request: Request) -> Response:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_batch_bytes:
            return _refusal(ingest.refuse_oversized(int(declared)))
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_batch_bytes:
                return _refusal(ingest.refuse_oversized(size))
            chunks.append(chunk)
        outcome = await run_in_threadpool(ingest.ingest, b"".join(chunks))
        if isinstance(outcome, Refusal):
            return _refusal(outcome)
        return JSONResponse(outcome.as_json(), status_code=200)

    def _alert_rows(request: Request) -> list[dict[str, Any]]:
        return store.alerts(alert_query(request.query_params))

    async def get_alerts(request: Request) -> Response:
        try:
            def work() -> list[dict[str, Any]]:
                verifier = AlertVerifier(store)
                return [alert_json(r, verifier) for r in _alert_rows(request)]

            alerts = await run_in_threadpool(work)
        except BadQuery as e:
            return JSONResponse({"error": "bad_query", "reason": str(e)}, status_code=400)
        return JSONResponse({"alerts": alerts, "count": len(alerts)})

    async def get_alerts_eve(request: Request) -> Response:
        try:
            rows = await run_in_threadpool(_alert_rows, request)
        except BadQuery as e:
            return JSONResponse({"error": "bad_query", "reason": str(e)}, status_code=400)
        body = "".join(json.dumps(eve_record(r), separators=(",", ":")) + "\n" for r in rows)
        return Response(body, media_type="application/x-ndjson")

    async def get_gaps(request: Request) -> Response:
        return JSONResponse({"gaps": await run_in_threadpool(store.gaps)})

    async def get_sensors(request: Request) -> Response:
        return JSONResponse({"sensors": await run_in_threadpool(store.sensors)})

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(routes=[
        Route("/v1/batches", post_batch, methods=["POST"]),
        Route("/v1/alerts", get_alerts, methods=["GET"]),
        Route("/v1/alerts.eve", get_alerts_eve, methods=["GET"]),
        Route("/v1/gaps", get_gaps, methods=["GET"]),
        Route("/v1/sensors", get_sensors, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
    ])  # fmt: skip


def _refusal(r: Refusal) -> Response:
    headers = {"Retry-After": "1"} if r.status == 503 else None  # a busy store: come back soon
    return JSONResponse(r.as_json(), status_code=r.status, headers=headers)


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(1024)
    except OSError as e:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {e.strerror}") from None
    return sock


def _write_port_file(path: Path, port: int) -> None:
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(f"{port}\n", encoding="ascii")
        os.replace(tmp, path)
    except OSError as e:
        raise ConfigError(f"{path}: cannot write port file: {e.strerror}") from None


def run(config: CollectorConfig) -> None:
    """`collector run`: bind, announce, serve until SIGTERM/SIGINT, close the store."""
    from hypercorn.asyncio import serve
    from hypercorn.config import Config as HypercornConfig

    configure_logging(config.log_level, sys.stdout)
    # checkpoints run on their own thread, off the ingest path; the high autocheckpoint is the backstop
    store = SqliteStore(config.data_dir, busy_timeout=config.store_busy_timeout,
                        wal_autocheckpoint=_WAL_BACKSTOP_PAGES)
    checkpoints = _Checkpointer(store)
    try:
        loaded = load_rules(store, config.rules) if config.rules else None
        sock = bind_socket(config.host, config.port)
        port = sock.getsockname()[1]
        host = f"[{config.host}]" if ":" in config.host else config.host
        scheme = "https" if config.tls else "http"
        sys.stdout.write(f"listening on {scheme}://{host}:{port}\n")
        sys.stdout.flush()
        if config.port_file is not None:
            _write_port_file(config.port_file, port)
        log = structlog.get_logger("collector").bind(component="app")
        if loaded is not None:
            log.info("rules_loaded", rules=loaded[0], unparsed_lines=loaded[1], patterns=list(config.rules))
        hc = HypercornConfig()
        hc.bind = [f"fd://{sock.detach()}"]
        hc.accesslog = None
        hc.errorlog = "-"
        hc.graceful_timeout = 5.0
        if config.tls:
            hc.certfile = str(config.tls_cert)
            hc.keyfile = str(config.tls_key)
            if config.tls_client_ca is not None:
                hc.ca_certs = str(config.tls_client_ca)
                hc.verify_mode = ssl.CERT_REQUIRED
        app = create_app(store, max_batch_bytes=config.max_batch_bytes)
        log.info("collector_started", host=config.host, port=port, tls=config.tls,
                 client_certs=config.tls_client_ca is not None, data_dir=str(config.data_dir),
                 max_batch_bytes=config.max_batch_bytes)  # fmt: skip
        checkpoints.start()
        asyncio.run(_serve(serve, app, hc))
        log.info("collector_stopped")
    finally:
        checkpoints.stop()
        store.close()


_WAL_BACKSTOP_PAGES = 20_000  # ~80 MB of WAL before a commit checkpoints inline


class _Checkpointer(threading.Thread):
    """Copies SQLite's write-ahead log into the database every second, so that no ingest request
    pays for a checkpoint (which SQLite otherwise runs inside the commit that crosses ~4 MB)."""

    def __init__(self, store: SqliteStore, interval: float = 1.0) -> None:
        super().__init__(name="collector-checkpoint", daemon=True)
        self._store = store
        self._interval = interval
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.wait(self._interval):
            self._store.checkpoint()

    def stop(self) -> None:
        self._stopping.set()
        if self.is_alive():
            self.join(timeout=10)


async def _serve(serve: Any, app: Starlette, hc: Any) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await serve(app, hc, shutdown_trigger=stop.wait)
