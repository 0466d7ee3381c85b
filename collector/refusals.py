"""The one table of ways a batch is refused: code word, HTTP status, meaning.

The ingest pipeline (collector.verify, collector.ingest) returns a `Refusal`
naming one of these; the HTTP edge answers `status` with
{"error": code, "reason": ...}; docs/collector.md and the tests are driven from
`REFUSALS`. The forwarder treats 409 `replayed_batch` as "already delivered" and
every other 4xx here as permanent (quarantine), except 403 `unknown_key`, which
it retries because the key may be enrolled later; 503 `store_busy` is retried like
any 5xx.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RefusalKind:
    code: str
    status: int
    meaning: str


REFUSALS: dict[str, RefusalKind] = {
    k.code: k
    for k in (
        RefusalKind("too_large", 413, "the body is longer than --max-batch-bytes"),
        RefusalKind("malformed_envelope", 400, "the frame layout is wrong (magic, version, lengths)"),
        RefusalKind("unknown_key", 403, "no sensor is enrolled with the frame's key id"),
        RefusalKind("revoked_key", 410, "the frame's key id was revoked"),
        RefusalKind("bad_signature", 401, "the Ed25519 signature does not verify with the enrolled key"),
        RefusalKind("malformed_batch", 400, "the signed payload does not decode under the schema"),
        RefusalKind("unsupported_schema", 422, "the batch header names a schema version this build cannot read"),
        RefusalKind("wrong_sensor", 403, "the batch names a sensor other than the one its key is enrolled for"),
        RefusalKind("replayed_batch", 409, "this exact batch (same hash) is already stored: already delivered"),
        RefusalKind("batch_conflict", 409, "another batch with this sensor, epoch and batch_seq is already stored"),
        RefusalKind("store_busy", 503, "the database stayed locked past --store-busy-timeout; nothing was stored, "
                    "send it again later"),
    )
}


@dataclass(frozen=True, slots=True)
class Refusal:
    """A refused batch: the code word of REFUSALS and a human sentence."""

    code: str
    reason: str

    @property
    def status(self) -> int:
        return REFUSALS[self.code].status

    def as_json(self) -> dict[str, str]:
        return {"error": self.code, "reason": self.reason}
