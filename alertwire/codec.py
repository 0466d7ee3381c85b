"""msgpack encoding of Alert records and batch payloads (schema version 1).

The byte layout is specified in docs/wire-protocol.md; tests/unit/alertwire
holds golden vectors. Decoding is strict: every field's type and range is
checked and anything else raises CodecError, because the collector decodes
bytes that came over the network (after their signature verified, but a
sensor can still be buggy or compromised).

An alert is a positional msgpack array (no keys on the wire):
    [ts_us, gid, sid, rev, flags, proto, src_ip, src_port, dest_ip, dest_port,
     flow_id, app_proto] + [payload] when an excerpt is configured
flags = blocked | direction << 1. A batch body is an array of
[seq_delta, alert] entries: the first entry's seq is the header's first_seq,
each later one adds its delta, so the forwarder builds a body by joining
spool record bytes without decoding them.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgpack
import zstandard

from alertwire.errors import CodecError, UnsupportedSchema
from alertwire.record import Alert, Direction

SCHEMA_VERSION = 1

COMPRESSION_NONE = 0
COMPRESSION_ZLIB = 1
COMPRESSION_ZSTD = 2
COMPRESSIONS = {"none": COMPRESSION_NONE, "zlib": COMPRESSION_ZLIB, "zstd": COMPRESSION_ZSTD}

CLOCK_UNKNOWN = 0
CLOCK_SYNCHRONISED = 1
CLOCK_UNSYNCHRONISED = 2

MAX_BODY_BYTES = 64 << 20  # decompressed body cap: refuses decompression bombs
MAX_ALERT_FIELDS = 13
_ALERT_FIELDS = 12
_ZSTD_LEVEL = 3

# batch header keys (small integers on the wire)
_H_SCHEMA, _H_SENSOR, _H_EPOCH, _H_BATCH_SEQ, _H_PREV_HASH = 0, 1, 2, 3, 4
_H_FIRST, _H_LAST, _H_COUNT, _H_CLOCK, _H_RS_VERSION, _H_RS_HASH = 5, 6, 7, 8, 9, 10
_H_COMPRESSION, _H_CREATED = 11, 12
_HEADER_KEYS = frozenset(range(13))


@dataclass(frozen=True, slots=True)
class BatchHeader:
    """What a batch says about itself; signed together with the body."""

    sensor_id: str
    epoch: int
    batch_seq: int
    prev_hash: bytes
    first_seq: int
    last_seq: int
    count: int
    clock: int
    ruleset_version: str
    ruleset_hash: bytes
    compression: int
    created_s: int
    schema_version: int = SCHEMA_VERSION


def encode_alert(alert: Alert) -> bytes:
    """The alert as one msgpack array (what the spool stores per record)."""
    fields: list[Any] = [
        alert.ts_us, alert.gid, alert.sid, alert.rev, int(alert.blocked) | int(alert.direction) << 1,
        alert.proto, alert.src_ip, alert.src_port, alert.dest_ip, alert.dest_port, alert.flow_id,
        alert.app_proto,
    ]
    if alert.payload:
        fields.append(alert.payload)
    return msgpack.packb(fields, use_bin_type=True)


def decode_alert(raw: bytes) -> Alert:
    """One encoded alert back to an Alert; CodecError when it does not follow the schema."""
    try:
        fields = msgpack.unpackb(raw, use_list=True, raw=False, strict_map_key=True)
    except (ValueError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError) as e:
        raise CodecError(f"alert is not msgpack: {e}") from None
    return alert_from_fields(fields)


def alert_from_fields(fields: Any) -> Alert:
    """Validate a decoded positional array and build the Alert."""
    if not _fields_valid(fields):
        _explain_invalid(fields)
    flags = fields[4]
    return _new_alert(
        fields[0], fields[1], fields[2], fields[3], fields[5], fields[6], fields[7], fields[8], fields[9],
        fields[10], _DIRECTIONS[flags >> 1], flags & 1 == 1, fields[11],
        fields[12] if len(fields) == MAX_ALERT_FIELDS else b"",
    )


_new_alert = Alert  # positional construction: the field order of record.Alert
_DIRECTIONS = tuple(Direction)
_U16, _U32, _U63, _U64 = 1 << 16, 1 << 32, 1 << 63, 1 << 64


def _fields_valid(f: Any) -> bool:
    """The whole schema check as one expression: the collector runs it for every alert it receives."""
    return (
        type(f) is list
        and (len(f) == _ALERT_FIELDS or (len(f) == MAX_ALERT_FIELDS and type(f[12]) is bytes and len(f[12]) > 0))
        and type(f[0]) is int and 0 <= f[0] < _U63
        and type(f[1]) is int and 0 <= f[1] < _U32
        and type(f[2]) is int and 0 <= f[2] < _U32
        and type(f[3]) is int and 0 <= f[3] < _U32
        and type(f[4]) is int and 0 <= f[4] < 6
        and type(f[5]) is int and 0 <= f[5] < 256
        and type(f[6]) is bytes and len(f[6]) in (0, 4, 16)
        and type(f[7]) is int and 0 <= f[7] < _U16
        and type(f[8]) is bytes and len(f[8]) == len(f[6])
        and type(f[9]) is int and 0 <= f[9] < _U16
        and type(f[10]) is int and 0 <= f[10] < _U64
        and type(f[11]) is str and len(f[11]) <= 32
    )


def _explain_invalid(fields: Any) -> None:
    """Raise the CodecError that names what is wrong with an array `_fields_valid` refused."""
    if not isinstance(fields, list) or not _ALERT_FIELDS <= len(fields) <= MAX_ALERT_FIELDS:
        raise CodecError("alert must be an array of 12 or 13 fields")
    ts_us, gid, sid, rev, flags, proto, src_ip, src_port, dest_ip, dest_port, flow_id, app_proto = fields[:12]
    _uint("ts_us", ts_us, _U63)
    _uint("gid", gid, _U32)
    _uint("sid", sid, _U32)
    _uint("rev", rev, _U32)
    _uint("flags", flags, 8)
    if flags >> 1 > Direction.TO_CLIENT:
        raise CodecError(f"alert flags name an unknown direction {flags >> 1}")
    _uint("proto", proto, 256)
    _ip("src_ip", src_ip)
    _uint("src_port", src_port, _U16)
    _ip("dest_ip", dest_ip)
    _uint("dest_port", dest_port, _U16)
    _uint("flow_id", flow_id, _U64)
    if not isinstance(app_proto, str) or len(app_proto) > 32:
        raise CodecError("alert field app_proto must be a string of at most 32 characters")
    if len(src_ip) != len(dest_ip):
        raise CodecError("alert src_ip and dest_ip must be of one IP version")
    raise CodecError("alert field payload must be non-empty bytes when present")


def build_body(records: Sequence[tuple[int, bytes]]) -> bytes:
    """A batch body from (seq, encoded alert) pairs in ascending seq order, without decoding them."""
    parts = [_array_header(len(records))]
    prev = records[0][0] if records else 0
    pack = msgpack.packb
    for seq, encoded in records:
        parts.append(b"\x92")
        parts.append(pack(seq - prev))
        parts.append(encoded)
        prev = seq
    return b"".join(parts)


def decode_body(body: bytes, header: BatchHeader) -> list[tuple[int, Alert]]:
    """The (seq, Alert) entries of a body, checked against the header's count and seq range."""
    try:
        entries = msgpack.unpackb(body, use_list=True, raw=False, strict_map_key=True)
    except (ValueError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError) as e:
        raise CodecError(f"batch body is not msgpack: {e}") from None
    if not isinstance(entries, list) or len(entries) != header.count:
        raise CodecError(f"batch body must be an array of {header.count} entries")
    out: list[tuple[int, Alert]] = []
    seq = header.first_seq
    for i, entry in enumerate(entries):
        if type(entry) is not list or len(entry) != 2 or type(entry[0]) is not int or not (
            (0 < entry[0] < _U63) if i else entry[0] == 0
        ):
            raise CodecError(
                f"batch entry {i} must be [seq_delta, alert] with delta 0 first, then >= 1 (no repeated seq)"
            )
        seq += entry[0]
        out.append((seq, alert_from_fields(entry[1])))
    if out and out[-1][0] != header.last_seq:
        raise CodecError(f"batch entries end at seq {out[-1][0]}, header says {header.last_seq}")
    return out


def compress(body: bytes, compression: int) -> bytes:
    if compression == COMPRESSION_NONE:
        return body
    if compression == COMPRESSION_ZLIB:
        return zlib.compress(body, 6)
    if compression == COMPRESSION_ZSTD:
        return zstandard.ZstdCompressor(level=_ZSTD_LEVEL).compress(body)
    raise CodecError(f"unknown compression {compression}")


def decompress(data: bytes, compression: int, limit: int = MAX_BODY_BYTES) -> bytes:
    """Undo `compress`, refusing output larger than `limit` bytes."""
    try:
        if compression == COMPRESSION_NONE:
            out = data
        elif compression == COMPRESSION_ZLIB:
            d = zlib.decompressobj()
            out = d.decompress(data, limit + 1)
            if not d.eof and len(out) <= limit:
                raise CodecError("zlib body is truncated")
        elif compression == COMPRESSION_ZSTD:
            chunks: list[bytes] = []
            size = 0
            with zstandard.ZstdDecompressor().stream_reader(data) as reader:
                while size <= limit and (chunk := reader.read(limit + 1 - size)):
                    chunks.append(chunk)
                    size += len(chunk)
            out = b"".join(chunks)
        else:
            raise CodecError(f"unknown compression {compression}")
    except (zlib.error, zstandard.ZstdError) as e:
        raise CodecError(f"body does not decompress: {e}") from None
    if len(out) > limit:
        raise CodecError(f"decompressed body exceeds {limit} bytes")
    return out


def encode_payload(header: BatchHeader, stored_body: bytes) -> bytes:
    """The signed payload: msgpack [header map, body bytes as sent (compressed or not)]."""
    hmap = {
        _H_SCHEMA: header.schema_version, _H_SENSOR: header.sensor_id, _H_EPOCH: header.epoch,
        _H_BATCH_SEQ: header.batch_seq, _H_PREV_HASH: header.prev_hash, _H_FIRST: header.first_seq,
        _H_LAST: header.last_seq, _H_COUNT: header.count, _H_CLOCK: header.clock,
        _H_RS_VERSION: header.ruleset_version, _H_RS_HASH: header.ruleset_hash,
        _H_COMPRESSION: header.compression, _H_CREATED: header.created_s,
    }
    return msgpack.packb([hmap, stored_body], use_bin_type=True)


def decode_payload(payload: bytes) -> tuple[BatchHeader, bytes]:
    """Split and validate a signed payload: (header, body as sent)."""
    try:
        obj = msgpack.unpackb(payload, use_list=True, raw=False, strict_map_key=False)
    except (ValueError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError) as e:
        raise CodecError(f"batch payload is not msgpack: {e}") from None
    if not isinstance(obj, list) or len(obj) != 2 or not isinstance(obj[0], dict) or not isinstance(obj[1], bytes):
        raise CodecError("batch payload must be [header map, body bytes]")
    h, body = obj
    schema = h.get(_H_SCHEMA)
    if schema != SCHEMA_VERSION:
        raise UnsupportedSchema(f"unsupported schema version {schema!r} (this build reads {SCHEMA_VERSION})")
    if set(h) != _HEADER_KEYS:
        raise CodecError(f"batch header keys must be exactly 0..12, got {sorted(h, key=str)}")
    sensor_id = h[_H_SENSOR]
    if not isinstance(sensor_id, str) or not 0 < len(sensor_id) <= 64:
        raise CodecError("batch header sensor_id must be a string of 1-64 characters")
    _uint("epoch", h[_H_EPOCH], 1 << 63)
    _uint("batch_seq", h[_H_BATCH_SEQ], 1 << 63)
    if h[_H_BATCH_SEQ] < 1:
        raise CodecError("batch header batch_seq starts at 1")
    if not isinstance(h[_H_PREV_HASH], bytes) or len(h[_H_PREV_HASH]) != 32:
        raise CodecError("batch header prev_hash must be 32 bytes")
    for name, key in (("first_seq", _H_FIRST), ("last_seq", _H_LAST), ("count", _H_COUNT)):
        _uint(name, h[key], 1 << 63)
    if h[_H_COUNT] < 1 or h[_H_FIRST] < 1 or h[_H_LAST] < h[_H_FIRST] or h[_H_COUNT] > h[_H_LAST] - h[_H_FIRST] + 1:
        raise CodecError("batch header count, first_seq and last_seq disagree")
    _uint("clock", h[_H_CLOCK], 3)
    if not isinstance(h[_H_RS_VERSION], str) or len(h[_H_RS_VERSION]) > 128:
        raise CodecError("batch header ruleset_version must be a string of at most 128 characters")
    if not isinstance(h[_H_RS_HASH], bytes) or len(h[_H_RS_HASH]) > 64:
        raise CodecError("batch header ruleset_hash must be at most 64 bytes")
    if h[_H_COMPRESSION] not in (COMPRESSION_NONE, COMPRESSION_ZLIB, COMPRESSION_ZSTD):
        raise CodecError(f"batch header names unknown compression {h[_H_COMPRESSION]!r}")
    _uint("created_s", h[_H_CREATED], 1 << 63)
    header = BatchHeader(
        sensor_id=sensor_id, epoch=h[_H_EPOCH], batch_seq=h[_H_BATCH_SEQ], prev_hash=h[_H_PREV_HASH],
        first_seq=h[_H_FIRST], last_seq=h[_H_LAST], count=h[_H_COUNT], clock=h[_H_CLOCK],
        ruleset_version=h[_H_RS_VERSION], ruleset_hash=h[_H_RS_HASH], compression=h[_H_COMPRESSION],
        created_s=h[_H_CREATED], schema_version=schema,
    )
    return header, body


def _array_header(n: int) -> bytes:
    if n < 16:
        return bytes([0x90 | n])
    if n < 1 << 16:
        return b"\xdc" + n.to_bytes(2, "big")
    return b"\xdd" + n.to_bytes(4, "big")


def _uint(name: str, value: Any, bound: int) -> None:
    if type(value) is not int or not 0 <= value < bound:
        raise CodecError(f"field {name} must be an integer in [0, {bound})")


def _ip(name: str, value: Any) -> None:
    if not isinstance(value, bytes) or len(value) not in (0, 4, 16):
        raise CodecError(f"field {name} must be 0, 4 or 16 raw bytes")
