"""structlog set-up shared by the sensor, forwarder and collector commands.

One shape for every program's log lines, so an operator's and a collector
owner's tools parse them alike: JSON lines with ISO UTC timestamps and the
level, through structlog's fast path (a level-filtering bound logger, loggers
cached on first use). Each program calls this once, at start. The sensor logs
to stderr (its stdout carries EVE); the forwarder and collector to stdout (the
journal collects it).
"""

from __future__ import annotations

import logging
from typing import TextIO

import structlog

LEVELS = ("debug", "info", "warning", "error")


def configure_logging(level: str, stream: TextIO) -> None:
    """Configure structlog for this process: events at `level` and above, as JSON lines on `stream`."""
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=True,
    )
