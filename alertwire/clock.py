"""Whether the system clock is synchronised, as the kernel reports it.

Every batch carries this (alertwire.codec CLOCK_*), so an analyst knows whether
a sensor's timestamps can be lined up with others'. adjtimex(2) with no modes
set only reads: it returns TIME_ERROR (5) when the kernel considers the clock
unsynchronised (STA_UNSYNC, set until an NTP/PTP daemon disciplines it).
"""

from __future__ import annotations

import ctypes
import ctypes.util

from alertwire.codec import CLOCK_SYNCHRONISED, CLOCK_UNKNOWN, CLOCK_UNSYNCHRONISED

_TIME_ERROR = 5
_TIMEX_BYTES = 512  # larger than struct timex on every Linux ABI; modes (first field) stays 0


def clock_state() -> int:
    """CLOCK_SYNCHRONISED, CLOCK_UNSYNCHRONISED, or CLOCK_UNKNOWN where the call is unavailable."""
    name = ctypes.util.find_library("c")
    if name is None:
        return CLOCK_UNKNOWN
    try:
        adjtimex = ctypes.CDLL(name, use_errno=True).adjtimex
    except (OSError, AttributeError):
        return CLOCK_UNKNOWN
    buf = ctypes.create_string_buffer(_TIMEX_BYTES)
    rc = adjtimex(buf)
    if rc < 0:
        return CLOCK_UNKNOWN
    return CLOCK_UNSYNCHRONISED if rc == _TIME_ERROR else CLOCK_SYNCHRONISED
