"""Replayer.run keeps the cyclic collector off the loaded engine only while it runs.

run() freezes the objects alive when it starts (the engine and its rules) and must
thaw them when it returns or raises, or they would never be collected again; a freeze
the process made itself is left as it was.
"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from scapy.all import IP, UDP, Ether, Raw, wrpcap  # type: ignore[import-untyped]

from sensor.detect.engine import DetectEngine
from sensor.detect.threshold import ThresholdEngine
from sensor.errors import CaptureError
from sensor.replay import Replayer, ReplayOptions


def replayer() -> Replayer:
    return Replayer(DetectEngine([], ThresholdEngine()), ReplayOptions(), lambda *alert: None)


def test_run_thaws_what_it_froze(tmp_path: Path) -> None:
    pcap = tmp_path / "t.pcap"
    wrpcap(str(pcap), [Ether() / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=1, dport=2) / Raw(b"x")])
    assert gc.get_freeze_count() == 0
    stats = replayer().run([str(pcap)])
    assert stats.packets == 1
    assert gc.get_freeze_count() == 0


def test_run_thaws_on_a_capture_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(b"not a capture file")
    with pytest.raises(CaptureError):
        replayer().run([str(bad)])
    assert gc.get_freeze_count() == 0


def test_run_leaves_a_freeze_made_by_the_process(tmp_path: Path) -> None:
    pcap = tmp_path / "t.pcap"
    wrpcap(str(pcap), [Ether() / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=1, dport=2) / Raw(b"x")])
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        replayer().run([str(pcap)])
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
