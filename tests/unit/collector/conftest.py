"""Fixtures for collector unit tests: a data dir, a store, an enrolled sensor, an ingest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from collector_helpers import Identity, new_identity

from collector.ingest import Ingest
from collector.keys import enroll
from collector.store import SqliteStore


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(data_dir: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(data_dir)
    yield s
    s.close()


@pytest.fixture
def sensor(tmp_path: Path, store: SqliteStore, data_dir: Path) -> Identity:
    ident = new_identity(tmp_path / "keys-s1", "s1")
    enroll(store, data_dir, "s1", "telecom", ident.public_key_file)
    return ident


@pytest.fixture
def ingest(store: SqliteStore) -> Ingest:
    return Ingest(store, max_batch_bytes=1 << 20)
