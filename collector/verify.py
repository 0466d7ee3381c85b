"""Steps 1-6 of ingest: size, framing, key, signature, then (only then) decoding.

Sans-IO: bytes in, a `VerifiedBatch` or a `Refusal` out; no HTTP, no SQL beyond
the key lookup it is handed. The order is the security argument: nothing the
sender controls is decompressed or msgpack-decoded before its Ed25519 signature
verified against the key the CERT enrolled for that key id.

    1 len(body) > max_bytes                      413 too_large
    2 alertwire.parse_frame fails                400 malformed_envelope
    3 key id not enrolled / revoked              403 unknown_key / 410 revoked_key
    4 Frame.verify fails                         401 bad_signature
    5 decode_payload / decompress / decode_body  400 malformed_batch, 422 unsupported_schema
    6 header.sensor_id != the key's sensor       403 wrong_sensor

Keys are looked up per request (no cache of enrollment state, so a revoke takes
effect on the next batch); only the PEM -> public key parse is cached, by PEM.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from alertwire import (
    Alert,
    BadSignature,
    BatchHeader,
    CodecError,
    Frame,
    KeyFileError,
    MalformedEnvelope,
    UnsupportedSchema,
    decode_body,
    decode_payload,
    decompress,
    parse_frame,
    parse_public_key,
)
from collector.refusals import Refusal
from collector.store import EnrolledKey

DEFAULT_MAX_BATCH_BYTES = 16 << 20


class KeyLookup(Protocol):
    def lookup_key(self, key_id: str) -> EnrolledKey | None: ...


@dataclass(frozen=True, slots=True)
class VerifiedBatch:
    frame: Frame
    raw: bytes
    key: EnrolledKey
    header: BatchHeader
    entries: Sequence[tuple[int, Alert]]


class KeyRing:
    """Enrolled keys as the verifier sees them: looked up per call, parsed keys cached by PEM."""

    def __init__(self, lookup: KeyLookup) -> None:
        self._lookup = lookup
        self._parsed: dict[bytes, Ed25519PublicKey] = {}

    def get(self, key_id: str) -> tuple[EnrolledKey, Ed25519PublicKey] | None:
        enrolled = self._lookup.lookup_key(key_id)
        if enrolled is None:
            return None
        key = self._parsed.get(enrolled.public_key_pem)
        if key is None:
            key = parse_public_key(enrolled.public_key_pem, source=f"enrolled key {key_id}")
            if len(self._parsed) > 4096:
                self._parsed.clear()
            self._parsed[enrolled.public_key_pem] = key
        return enrolled, key


def verify_batch(raw: bytes, keys: KeyRing, *, max_bytes: int = DEFAULT_MAX_BATCH_BYTES) -> VerifiedBatch | Refusal:
    """Run steps 1-6 on one request body."""
    if len(raw) > max_bytes:
        return Refusal("too_large", f"batch of {len(raw)} bytes exceeds the limit of {max_bytes} bytes")
    try:
        frame = parse_frame(raw)
    except MalformedEnvelope as e:
        return Refusal("malformed_envelope", str(e))
    try:
        found = keys.get(frame.key_id)
    except KeyFileError as e:  # an enrolled PEM that no longer parses: treat the key as unusable
        return Refusal("unknown_key", str(e))
    if found is None:
        return Refusal("unknown_key", f"key id {frame.key_id} is not enrolled at this collector")
    enrolled, public_key = found
    if enrolled.revoked_us is not None:
        return Refusal("revoked_key", f"key id {frame.key_id} of sensor {enrolled.sensor_id} was revoked")
    try:
        frame.verify(public_key)
    except BadSignature as e:
        return Refusal("bad_signature", str(e))
    try:
        header, stored_body = decode_payload(frame.payload)
    except UnsupportedSchema as e:
        return Refusal("unsupported_schema", str(e))
    except CodecError as e:
        return Refusal("malformed_batch", str(e))
    try:
        entries = decode_body(decompress(stored_body, header.compression), header)
    except CodecError as e:
        return Refusal("malformed_batch", str(e))
    if header.sensor_id != enrolled.sensor_id:
        return Refusal(
            "wrong_sensor",
            f"batch names sensor {header.sensor_id!r}, key {frame.key_id} is enrolled for {enrolled.sensor_id!r}",
        )
    return VerifiedBatch(frame=frame, raw=raw, key=enrolled, header=header, entries=entries)
