"""Enrollment: which sensor may sign batches with which key, in which sector.

Kept in the collector's database (collector.store), so `pehredar collector enroll`
and `revoke` take effect on a running collector at its next batch: the verifier
looks keys up per request. A sensor may hold several keys over time (rotation);
revoking by sensor id revokes all of them, by key id just that one. A revoked
key stays in the table (stored frames signed with it still re-verify) and cannot
be enrolled again.

Sectors: the default list below, or the names in a `sectors` file in the data
directory (one per line, `#` comments), which replaces the default.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from alertwire import KeyFileError, key_id, load_public_key
from alertwire.identity import public_key_pem
from collector.errors import ConfigError, EnrollmentError
from collector.store import Store

DEFAULT_SECTORS = ("telecom", "punjab", "sindh", "kp", "balochistan", "ajk", "gb", "defense", "community", "national")
SECTORS_FILE = "sectors"
_SENSOR_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}\Z")
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}\Z")


def load_sectors(data_dir: str | Path) -> tuple[str, ...]:
    """The sectors a sensor may be enrolled in: the data dir's `sectors` file, else the default list."""
    path = Path(data_dir) / SECTORS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return DEFAULT_SECTORS
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror}") from None
    names: list[str] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        name = line.split("#", 1)[0].strip()
        if not name:
            continue
        if not _NAME.match(name):
            raise ConfigError(f"{path}:{lineno}: {name!r} is not a sector name (lowercase letters, digits, - and _)")
        names.append(name)
    if not names:
        raise ConfigError(f"{path}: names no sector")
    return tuple(names)


def enroll(store: Store, data_dir: str | Path, sensor_id: str, sector: str, public_key_file: str | Path) -> str:
    """Enroll a sensor's Ed25519 public key; returns its key id."""
    if not _SENSOR_ID.match(sensor_id):
        raise EnrollmentError(f"sensor id {sensor_id!r} must be 1-64 letters, digits, '.', '_', ':' or '-'")
    sectors = load_sectors(data_dir)
    if sector not in sectors:
        raise EnrollmentError(f"unknown sector {sector!r}; known: {', '.join(sectors)}")
    try:
        key = load_public_key(public_key_file)
    except KeyFileError as e:
        raise EnrollmentError(str(e)) from None
    kid = key_id(key)
    store.enroll(sensor_id, sector, kid, public_key_pem(key), time.time_ns() // 1000)
    return kid


def revoke(store: Store, *, sensor_id: str | None = None, key_id: str | None = None) -> list[str]:
    """Revoke every key of a sensor, or one key; returns the key ids newly revoked."""
    return store.revoke(sensor_id=sensor_id, key_id=key_id, now_us=time.time_ns() // 1000)
