"""Errors of the alertwire contract (records, batches, envelopes, spool).

    AlertWireError
    ├── CodecError            a record or batch that does not decode under the schema
    │   └── UnsupportedSchema     a batch of a schema version this build does not read
    ├── EnvelopeError         a frame that cannot be trusted
    │   ├── MalformedEnvelope     framing is wrong (magic, lengths, version)
    │   ├── BadSignature          Ed25519 verification failed
    │   └── UnknownKey            no enrolled key for the frame's key id
    ├── KeyFileError          a key file is missing, unreadable, unsafe or already exists
    └── SpoolError            the on-disk queue cannot be used
        └── SpoolCorruption       a sealed segment holds a bad record (file and offset named)
"""

from __future__ import annotations


class AlertWireError(Exception):
    """Root of every error raised by alertwire."""


class CodecError(AlertWireError):
    """A record, batch header or body does not decode under the schema."""


class UnsupportedSchema(CodecError):
    """The batch declares a schema version this build does not read."""


class EnvelopeError(AlertWireError):
    """A signed frame that must be refused."""


class MalformedEnvelope(EnvelopeError):
    """Framing is wrong: magic, frame version, lengths or compression."""


class BadSignature(EnvelopeError):
    """The Ed25519 signature does not verify over the signed bytes."""


class UnknownKey(EnvelopeError):
    """The frame names a key id that nobody enrolled."""


class KeyFileError(AlertWireError):
    """A key file is missing, unreadable, has unsafe permissions or would be overwritten."""


class SpoolError(AlertWireError):
    """The spool directory cannot be used (wrong sensor, unknown format, I/O failure)."""


class SpoolCorruption(SpoolError):
    """A sealed segment holds a record whose length or checksum is wrong."""
