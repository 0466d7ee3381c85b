"""Turn a Batch into a signed frame (step 9 of 10, first half).

Loads the sensor's Ed25519 private key with alertwire.load_private_key, which refuses a key
file that group or others can access; names it by alertwire.key_id of its public key. The
header is built here from the chain position the caller passes (state.py owns the chain);
alertwire.seal compresses, frames and signs. No I/O besides loading the key, no network.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from alertwire import BatchHeader, KeyFileError, build_body, key_id, load_private_key, seal
from forwarder.batcher import Batch
from forwarder.errors import SigningKeyError


@dataclass(frozen=True, slots=True)
class ChainPosition:
    """Where the next batch sits in the sensor's chain."""

    sensor_id: str
    epoch: int
    batch_seq: int
    prev_hash: bytes


class Signer:
    def __init__(self, private_key: Ed25519PrivateKey, compression: int, clock_state: int) -> None:
        self._key = private_key
        self.key_id = key_id(private_key.public_key())
        self.compression = compression
        self.clock_state = clock_state

    def header(self, batch: Batch, position: ChainPosition, created_s: int) -> BatchHeader:
        return BatchHeader(
            sensor_id=position.sensor_id, epoch=position.epoch, batch_seq=position.batch_seq,
            prev_hash=position.prev_hash, first_seq=batch.first_seq, last_seq=batch.last_seq,
            count=batch.count, clock=self.clock_state, ruleset_version=batch.ruleset_version,
            ruleset_hash=batch.ruleset_hash, compression=self.compression, created_s=created_s,
        )

    def sign(self, batch: Batch, position: ChainPosition, created_s: int) -> bytes:
        """The frame to POST: exactly these bytes are kept in the outbox and resent."""
        body = build_body([(r.seq, r.body) for r in batch.records])
        return seal(self.header(batch, position, created_s), body, self.key_id, self._key)


def load_signing_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    try:
        return load_private_key(path)
    except KeyFileError as e:
        raise SigningKeyError(str(e)) from None
