"""The signed batch frame: what the forwarder POSTs and the collector verifies.

Byte layout (all integers big-endian):

    offset  size  field
    0       4     magic b"PHB1"
    4       1     frame version, 1
    5       1     K, length of the key id (1..64)
    6       K     key id, ASCII (16 lowercase hex digits: the first 8 bytes of
                  SHA-256 over the raw 32-byte Ed25519 public key)
    6+K     4     N, length of the payload
    10+K    N     payload: msgpack [header map, body] (alertwire.codec)
    10+K+N  64    Ed25519 signature

Signed bytes: everything before the signature, offsets 0 to 10+K+N, exactly as
sent. The body inside the payload may be compressed; it is signed compressed,
so the collector verifies before it decompresses or decodes anything. The batch
hash that chains batches is SHA-256 over the same signed bytes.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from alertwire.codec import BatchHeader, compress, encode_payload
from alertwire.errors import BadSignature, MalformedEnvelope

MAGIC = b"PHB1"
FRAME_VERSION = 1
SIGNATURE_BYTES = 64
_LEN = struct.Struct(">I")
_MIN_FRAME = 4 + 1 + 1 + 1 + 4 + SIGNATURE_BYTES


@dataclass(frozen=True, slots=True)
class Frame:
    """A parsed, not yet verified frame."""

    key_id: str
    signed: bytes
    payload: bytes
    signature: bytes

    @property
    def batch_hash(self) -> bytes:
        """SHA-256 over the signed bytes: what the next batch's prev_hash names."""
        return hashlib.sha256(self.signed).digest()

    def verify(self, public_key: Ed25519PublicKey) -> None:
        """Raise BadSignature unless the signature verifies over the signed bytes."""
        try:
            public_key.verify(self.signature, self.signed)
        except InvalidSignature:
            raise BadSignature(f"signature does not verify with key {self.key_id}") from None


def seal(header: BatchHeader, body: bytes, key_id: str, private_key: Ed25519PrivateKey) -> bytes:
    """Compress the body as the header says, frame it, sign it: the bytes to send."""
    payload = encode_payload(header, compress(body, header.compression))
    kid = key_id.encode("ascii")
    if not 0 < len(kid) <= 64:
        raise MalformedEnvelope("key id must be 1-64 ASCII characters")
    signed = b"".join((MAGIC, bytes((FRAME_VERSION, len(kid))), kid, _LEN.pack(len(payload)), payload))
    return signed + private_key.sign(signed)


def parse_frame(frame: bytes) -> Frame:
    """Split a frame into key id, signed bytes, payload and signature; no cryptography yet."""
    if len(frame) < _MIN_FRAME:
        raise MalformedEnvelope(f"frame of {len(frame)} bytes is shorter than the smallest frame")
    if frame[:4] != MAGIC:
        raise MalformedEnvelope("frame does not start with the magic b'PHB1'")
    if frame[4] != FRAME_VERSION:
        raise MalformedEnvelope(f"unsupported frame version {frame[4]}")
    k = frame[5]
    if not 0 < k <= 64:
        raise MalformedEnvelope(f"key id length {k} is outside 1..64")
    try:
        key_id = frame[6:6 + k].decode("ascii")
    except UnicodeDecodeError:
        raise MalformedEnvelope("key id is not ASCII") from None
    (n,) = _LEN.unpack_from(frame, 6 + k)
    end = 10 + k + n
    if end + SIGNATURE_BYTES != len(frame):
        raise MalformedEnvelope(
            f"payload length {n} does not fit a frame of {len(frame)} bytes (expected {end + SIGNATURE_BYTES})"
        )
    return Frame(key_id=key_id, signed=frame[:end], payload=frame[10 + k:end], signature=frame[end:])
