"""alertwire: the contract where sensor, forwarder and collector meet.

The Alert record, its msgpack wire schema, the signed batch frame, Ed25519
identities, and the on-disk spool between the sensor and the forwarder. It
depends on none of the roles; every role depends on it (docs/wire-protocol.md).
"""

from alertwire.codec import (
    CLOCK_SYNCHRONISED,
    CLOCK_UNKNOWN,
    CLOCK_UNSYNCHRONISED,
    COMPRESSION_NONE,
    COMPRESSION_ZLIB,
    COMPRESSION_ZSTD,
    COMPRESSIONS,
    SCHEMA_VERSION,
    BatchHeader,
    build_body,
    decode_alert,
    decode_body,
    decode_payload,
    decompress,
    encode_alert,
)
from alertwire.envelope import Frame, parse_frame, seal
from alertwire.errors import (
    AlertWireError,
    BadSignature,
    CodecError,
    EnvelopeError,
    KeyFileError,
    MalformedEnvelope,
    SpoolCorruption,
    SpoolError,
    UnknownKey,
    UnsupportedSchema,
)
from alertwire.identity import generate_identity, key_id, load_private_key, load_public_key, parse_public_key
from alertwire.record import Alert, Direction
from alertwire.spool import SpoolReader, SpoolRecord, SpoolWriter

__all__ = [
    "CLOCK_SYNCHRONISED",
    "CLOCK_UNKNOWN",
    "CLOCK_UNSYNCHRONISED",
    "COMPRESSIONS",
    "COMPRESSION_NONE",
    "COMPRESSION_ZLIB",
    "COMPRESSION_ZSTD",
    "SCHEMA_VERSION",
    "Alert",
    "AlertWireError",
    "BadSignature",
    "BatchHeader",
    "CodecError",
    "Direction",
    "EnvelopeError",
    "Frame",
    "KeyFileError",
    "MalformedEnvelope",
    "SpoolCorruption",
    "SpoolError",
    "SpoolReader",
    "SpoolRecord",
    "SpoolWriter",
    "UnknownKey",
    "UnsupportedSchema",
    "build_body",
    "decode_alert",
    "decode_body",
    "decode_payload",
    "decompress",
    "encode_alert",
    "generate_identity",
    "key_id",
    "load_private_key",
    "load_public_key",
    "parse_frame",
    "parse_public_key",
    "seal",
]
