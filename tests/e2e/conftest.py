"""End-to-end fixtures: a collector process and a sensor identity per test (tests/e2e/processes.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from processes import Collector, Sensor, make_sensor, start_collector


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[Collector]:
    c = start_collector(tmp_path / "collector")
    try:
        yield c
    finally:
        c.stop()


@pytest.fixture
def sensor(tmp_path: Path) -> Sensor:
    return make_sensor(tmp_path)
