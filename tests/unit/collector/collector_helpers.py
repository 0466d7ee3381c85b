"""Helpers for collector unit tests: sensor identities and signed test batches."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import alertwire
from alertwire import Alert, BatchHeader, Direction

T0 = 1_764_000_000_000_000  # µs


def make_alert(seq: int, sid: int = 2_000_001, **kw: object) -> Alert:
    fields: dict[str, object] = {
        "ts_us": T0 + seq * 1000, "gid": 1, "sid": sid, "rev": 2, "proto": 6, "src_ip": bytes([10, 0, 0, 1]),
        "src_port": 40000 + seq % 1000, "dest_ip": bytes([192, 168, 1, 10]), "dest_port": 80, "flow_id": (1 << 63) + seq,
        "direction": Direction.TO_SERVER, "app_proto": "http",
    }  # fmt: skip
    fields.update(kw)
    return Alert(**fields)  # type: ignore[arg-type]


@dataclass
class Identity:
    """A sensor's key pair on disk, and a chain position per epoch for building batches."""

    sensor_id: str
    private_key: Ed25519PrivateKey
    public_key_file: Path
    key_id: str
    heads: dict[int, bytes] = field(default_factory=dict)

    def batch(
        self,
        batch_seq: int,
        seqs: list[int],
        *,
        epoch: int = 1,
        sensor_id: str | None = None,
        prev_hash: bytes | None = None,
        compression: int = alertwire.COMPRESSION_ZSTD,
        alerts: dict[int, Alert] | None = None,
        signer: Ed25519PrivateKey | None = None,
        key_id: str | None = None,
        created_s: int = 1_764_000_000,
    ) -> bytes:
        """A signed frame. prev_hash defaults to the hash of the last frame this identity built for the epoch."""
        body = alertwire.build_body([(s, alertwire.encode_alert((alerts or {}).get(s) or make_alert(s))) for s in seqs])
        header = BatchHeader(
            sensor_id=sensor_id or self.sensor_id, epoch=epoch, batch_seq=batch_seq,
            prev_hash=prev_hash if prev_hash is not None else self.heads.get(epoch, bytes(32)),
            first_seq=seqs[0], last_seq=seqs[-1], count=len(seqs), clock=alertwire.CLOCK_SYNCHRONISED,
            ruleset_version="test-1", ruleset_hash=b"\x01" * 32, compression=compression, created_s=created_s,
        )  # fmt: skip
        frame = alertwire.seal(header, body, key_id or self.key_id, signer or self.private_key)
        self.heads[epoch] = alertwire.parse_frame(frame).batch_hash
        return frame


def new_identity(directory: Path, sensor_id: str) -> Identity:
    private_path, public_path, kid = alertwire.generate_identity(directory)
    return Identity(sensor_id, alertwire.load_private_key(private_path), public_path, kid)
