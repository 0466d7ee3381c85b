"""structlog set-up for the sensor's commands: JSON lines on stderr, configured once.

Our events are snake_case past-tense facts (`rules_loaded`, `replay_finished`).
Stdout is left to EVE output, so logs never mix with alerts.
"""

from __future__ import annotations

import logging
import sys

import structlog


def configure(level: str = "info") -> None:
    """Configure structlog once per process (filtering bound logger, ISO UTC timestamps)."""
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level.upper(), logging.INFO)),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
