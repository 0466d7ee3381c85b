"""The forwarder's time: a Clock protocol with a real and a fake implementation.

All sleeps, backoffs and batch ages go through a Clock (STYLE.md section 4, Time), so the
loop and the batcher are tested with a clock that jumps instead of waiting (trio's
MockClock idea). `time()` is wall-clock seconds, used only for a batch's created_s.
`RealClock.sleep` waits on an Event, so a signal handler can cut a sleep short.
"""

from __future__ import annotations

import threading
import time as _time
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...

    def time(self) -> float: ...


class RealClock:
    """Monotonic time and wall time from the OS; sleep interruptible by `wake()`."""

    def __init__(self) -> None:
        self._wake = threading.Event()

    def monotonic(self) -> float:
        return _time.monotonic()

    def time(self) -> float:
        return _time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._wake.wait(seconds)

    def wake(self) -> None:
        """End the current sleep and every later one (used on SIGTERM/SIGINT)."""
        self._wake.set()


class FakeClock:
    """A clock for tests: `sleep` returns at once and moves time forward; `advance` jumps."""

    def __init__(self, start: float = 1000.0, wall: float = 1_700_000_000.0) -> None:
        self.now = start
        self._wall_offset = wall - start
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return self.now + self._wall_offset

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        if seconds > 0:
            self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds
