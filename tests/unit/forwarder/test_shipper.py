"""Outcome mapping of every answer class, through httpx.MockTransport."""

from __future__ import annotations

import httpx
import pytest

from forwarder.shipper import Outcome, Shipper, classify, parse_retry_after


def ship_with(handler: object) -> object:
    client = httpx.Client(transport=httpx.MockTransport(handler))  # type: ignore[arg-type]
    return Shipper(client, "https://collector.test/base/").ship(b"frame")


def answering(status: int, body: object = None, headers: dict[str, str] | None = None) -> object:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url == "https://collector.test/base/v1/batches"
        assert request.headers["content-type"] == "application/octet-stream"
        assert request.read() == b"frame"
        if isinstance(body, bytes):
            return httpx.Response(status, content=body, headers=headers)
        return httpx.Response(status, json=body, headers=headers)
    return ship_with(handler)


@pytest.mark.parametrize(
    ("status", "body", "outcome", "reason"),
    [
        (200, {"status": "stored"}, Outcome.OK, "stored"),
        (201, None, Outcome.OK, "stored"),
        (409, {"error": "replayed_batch"}, Outcome.OK, "replayed_batch"),
        (409, {"error": "batch_conflict"}, Outcome.REJECT, "batch_conflict"),
        (403, {"error": "unknown_key"}, Outcome.RETRY, "unknown_key"),
        (403, {"error": "wrong_sensor"}, Outcome.REJECT, "wrong_sensor"),
        (403, b"<html>proxy says no</html>", Outcome.RETRY, "forbidden"),
        (408, None, Outcome.RETRY, "http_408"),
        (429, {"error": "slow_down"}, Outcome.RETRY, "slow_down"),
        (500, b"oops", Outcome.RETRY, "http_500"),
        (502, None, Outcome.RETRY, "http_502"),
        (503, {"error": "overloaded"}, Outcome.RETRY, "overloaded"),
        (400, {"error": "malformed_envelope"}, Outcome.REJECT, "malformed_envelope"),
        (400, {"error": "malformed_batch"}, Outcome.REJECT, "malformed_batch"),
        (401, {"error": "bad_signature"}, Outcome.REJECT, "bad_signature"),
        (410, {"error": "revoked_key"}, Outcome.REJECT, "revoked_key"),
        (413, {"error": "too_large"}, Outcome.REJECT, "too_large"),
        (422, {"error": "unsupported_schema"}, Outcome.REJECT, "unsupported_schema"),
        (404, b"not found", Outcome.REJECT, "http_404"),
        (302, None, Outcome.RETRY, "unexpected_status_302"),
    ],
)
def test_status_classes(status: int, body: object, outcome: Outcome, reason: str) -> None:
    result = answering(status, body)
    assert (result.outcome, result.reason, result.status) == (outcome, reason, status)  # type: ignore[attr-defined]


def test_unknown_key_is_an_auth_retry() -> None:
    result = answering(403, {"error": "unknown_key"})
    assert result.auth is True  # type: ignore[attr-defined]
    assert answering(503).auth is False  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "exc",
    [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.WriteError("reset"),
     httpx.RemoteProtocolError("garbled"), httpx.PoolTimeout("busy")],
)
def test_transport_errors_are_retried(exc: Exception) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc
    result = ship_with(handler)
    assert result.outcome is Outcome.RETRY  # type: ignore[attr-defined]
    assert result.reason == f"transport_{type(exc).__name__}"  # type: ignore[attr-defined]


def test_retry_after_seconds_and_date() -> None:
    assert answering(503, None, {"retry-after": "7"}).retry_after == 7.0  # type: ignore[attr-defined]
    assert answering(429, None, {"retry-after": "soon"}).retry_after is None  # type: ignore[attr-defined]
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412490.0) == 0.0
    assert parse_retry_after(None) is None


def test_retry_after_is_ignored_on_rejects() -> None:
    assert classify(400, b"{}", "5").retry_after is None


def test_reason_detail_is_bounded() -> None:
    assert len(classify(400, b"x" * 10_000).detail) == 500
