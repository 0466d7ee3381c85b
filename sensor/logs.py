"""structlog set-up for the sensor's commands: JSON lines on stderr, configured once.

Our events are snake_case past-tense facts (`rules_loaded`, `replay_finished`).
Stdout is left to EVE output, so logs never mix with alerts.
"""

from __future__ import annotations

import sys

from alertwire.logs import configure_logging


def configure(level: str = "info") -> None:
    """Configure structlog once per process, JSON lines on stderr."""
    configure_logging(level, sys.stderr)
