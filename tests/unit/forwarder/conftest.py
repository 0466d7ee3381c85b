"""Fixtures for the forwarder's unit tests (helpers in fwd_helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fwd_helpers import FakeCollector, Rig

from forwarder.clock import FakeClock


@pytest.fixture(autouse=True)
def _reset_structlog() -> Iterator[None]:
    yield
    structlog.reset_defaults()


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def collector(key: Ed25519PrivateKey) -> FakeCollector:
    return FakeCollector(key.public_key())


@pytest.fixture
def rig(tmp_path: Path, key: Ed25519PrivateKey, collector: FakeCollector) -> Iterator[Rig]:
    r = Rig(tmp_path / "spool", FakeClock(), key, collector)
    yield r
    r.close()
