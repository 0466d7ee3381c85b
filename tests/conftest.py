"""Suite-wide fixtures.

In-process CLI tests configure structlog the way each program does (a level-filtering wrapper,
JSON to stdout); that configuration would outlive the test and hide info events from later
tests' `structlog.testing.capture_logs()`. Every test therefore starts from structlog's defaults.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog


@pytest.fixture(autouse=True)
def _structlog_defaults() -> Iterator[None]:
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()
