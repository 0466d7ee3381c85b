"""POST a signed frame to the collector and map the answer to OK / RETRY / REJECT (step 9 of 10).

The only module that catches httpx exceptions (STYLE.md section 4, network edge). The
httpx.Client is injected: the CLI builds one with TLS settings, tests pass MockTransport.

    200..299                          OK
    409 {"error":"replayed_batch"}    OK      the collector already stored exactly these bytes
    409 batch_conflict (or other)     REJECT
    403 {"error":"wrong_sensor"}      REJECT
    403 unknown_key (or any other)    RETRY   auth=True: long cap, loud forwarder_auth_failed
    408, 429, 5xx                     RETRY   Retry-After honoured (capped by retry.py)
    3xx                               RETRY   a misrouted URL is fixed by the operator, not lost
    other 4xx                         REJECT  400/401/410/413/422...: resending cannot help
    httpx.HTTPError (transport)       RETRY
"""

from __future__ import annotations

import dataclasses
import email.utils
import enum
import json
import time
from dataclasses import dataclass

import httpx

CONTENT_TYPE = "application/octet-stream"
BATCHES_PATH = "/v1/batches"
_REASON_MAX = 500


class Outcome(enum.Enum):
    OK = "ok"
    RETRY = "retry"
    REJECT = "reject"


@dataclass(frozen=True, slots=True)
class Result:
    outcome: Outcome
    reason: str
    status: int | None = None
    retry_after: float | None = None
    auth: bool = False
    detail: str = ""
    http_version: str = ""  # as negotiated ("HTTP/1.1", "HTTP/2"); empty when no answer came


class Shipper:
    def __init__(self, client: httpx.Client, collector_url: str, timeout: float | None = None) -> None:
        self._client = client
        self.url = collector_url.rstrip("/") + BATCHES_PATH
        self._timeout = timeout

    def ship(self, frame: bytes) -> Result:
        try:
            kwargs = {} if self._timeout is None else {"timeout": self._timeout}
            response = self._client.post(
                self.url, content=frame, headers={"content-type": CONTENT_TYPE}, **kwargs  # type: ignore[arg-type]
            )
            body = response.read()
        except httpx.HTTPError as e:
            return Result(Outcome.RETRY, f"transport_{type(e).__name__}", detail=str(e)[:_REASON_MAX])
        result = classify(response.status_code, body, response.headers.get("retry-after"))
        return dataclasses.replace(result, http_version=response.http_version)


def classify(status: int, body: bytes, retry_after_header: str | None = None, now: float | None = None) -> Result:
    """Pure mapping of a collector answer to a Result."""
    error, detail = _error_of(body)
    if 200 <= status < 300:
        return Result(Outcome.OK, "stored", status)
    if status == 409:
        if error == "replayed_batch":
            return Result(Outcome.OK, "replayed_batch", status, detail=detail)
        return Result(Outcome.REJECT, error or "conflict", status, detail=detail)
    if status == 403:
        if error == "wrong_sensor":
            return Result(Outcome.REJECT, error, status, detail=detail)
        return Result(Outcome.RETRY, error or "forbidden", status, auth=True, detail=detail)
    if status in (408, 429) or status >= 500:
        retry_after = parse_retry_after(retry_after_header, now)
        return Result(Outcome.RETRY, error or f"http_{status}", status, retry_after=retry_after, detail=detail)
    if 300 <= status < 400 or status < 200:
        return Result(Outcome.RETRY, f"unexpected_status_{status}", status, detail=detail)
    return Result(Outcome.REJECT, error or f"http_{status}", status, detail=detail)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date; None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def _error_of(body: bytes) -> tuple[str, str]:
    """The collector's {"error": ...} code and a short printable copy of the body."""
    detail = body[:_REASON_MAX].decode("utf-8", "replace")
    try:
        obj = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return "", detail
    if isinstance(obj, dict) and isinstance(obj.get("error"), str):
        return obj["error"][:100], detail
    return "", detail
