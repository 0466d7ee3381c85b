"""Errors of the sensor role.

    SensorError                 root: the CLI catches it, prints one line, exits non-zero
    ├── ConfigError             bad configuration value (names the key)
    ├── CaptureError            unreadable, truncated or corrupt capture (names file and offset)
    └── RuleCompileError        a parsed rule the engine cannot build (names keyword and reason)
        └── UnsupportedRule     valid Suricata, but a keyword/protocol this engine does not match yet

Hot path: none of these are raised per packet. Malformed packets become decode
events, not exceptions.
"""

from __future__ import annotations


class SensorError(Exception):
    """Root of the sensor's errors."""


class ConfigError(SensorError):
    """A configuration value is missing or invalid; the message names the key."""


class CaptureError(SensorError):
    """A capture file or device cannot be read; the message names the file and offset."""


class RuleCompileError(SensorError):
    """A rule parsed but cannot be compiled: `keyword` names the option at fault."""

    def __init__(self, keyword: str, reason: str) -> None:
        super().__init__(f"{keyword}: {reason}")
        self.keyword = keyword
        self.reason = reason


class UnsupportedRule(RuleCompileError):
    """Valid Suricata syntax that this engine does not (yet) match; never approximated."""
