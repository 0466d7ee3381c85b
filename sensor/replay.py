"""Offline replay: pcap files through decode, defrag, flows and detection.

The packet loop of steps 1-6 (README's data flow) for capture files. Time is
packet time throughout (flow timeouts, thresholds, defrag), so a replay is
deterministic. Each alert is handed to a callback as (packet, alerted rule,
action); what becomes of it (EVE line, spool record) is not this module's business.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sensor.capture.pcapfile import open_capture
from sensor.decode.checksum import checksums_valid
from sensor.decode.dispatch import decode_frame
from sensor.decode.events import EVENTS
from sensor.decode.packet import Packet
from sensor.detect.engine import DetectEngine
from sensor.exception_policy import is_midstream_start
from sensor.flow.flow import Flow
from sensor.flow.table import FlowTable
from sensor.stream.defrag import Defragmenter
from sensor.stream.reassembly import Reassembler, StreamConfig

AlertSink = Callable[[Packet, Any, str], None]  # (packet, CompiledRule, action)


@dataclass
class ReplayOptions:
    """Per-run behaviour that Suricata takes from its command line or `--set`."""

    ips_mode: bool = False
    checksum_checks: bool = False
    midstream: bool = False
    async_oneside: bool = False
    stream: StreamConfig | None = None  # None: Suricata's defaults (inline in IPS mode)
    defrag_policy_for: Callable[[int, bytes], str] | None = None  # host-os-policy; None: bsd
    midstream_policy: str = "ignore"  # effective stream.midstream-policy (sensor.exception_policy)


@dataclass
class ReplayStats:
    """Counters of one replay run (the `--stats-json` figures)."""

    packets: int = 0
    bytes: int = 0
    alerts: int = 0
    pseudo_packets: int = 0
    invalid_checksum: int = 0
    engine_seconds: float = 0.0
    decode_events: dict[str, int] = field(default_factory=dict)


class Replayer:
    """Owns the per-run state (flows, defrag) and runs packets through detection."""

    def __init__(self, engine: DetectEngine, options: ReplayOptions, sink: AlertSink) -> None:
        self.engine = engine
        self.options = options
        self.sink = sink
        self.flows = FlowTable(
            midstream=options.midstream, async_oneside=options.async_oneside, on_flow_end=self._flow_ended
        )
        self.defrag = Defragmenter(policy_for=options.defrag_policy_for)
        self._midstream_policy = options.midstream_policy
        self.streams = Reassembler(
            options.stream or StreamConfig(inline=options.ips_mode), async_oneside=options.async_oneside
        )
        self._checksum_checks = options.checksum_checks
        self._flow_of = self.flows.process
        self._reassemble = self.streams.process
        self.stats = ReplayStats()
        self._event_counts = [0] * len(EVENTS)
        self._ended: list[Packet] = []  # flow-end pseudo packets waiting for detection

    def run(self, paths: Iterable[str], progress: Callable[[int], None] | None = None) -> ReplayStats:
        """Replay every capture in order; pcap_cnt runs on across files as in Suricata."""
        started = time.perf_counter()
        stats = self.stats
        process = self._process
        cnt = 0
        nbytes = 0
        # the engine and its rules outlive the run: the cyclic collector need not walk them on
        # every collection (a tenth of the packet loop's time with ET Open loaded); a process
        # that froze objects itself keeps its own arrangement
        freeze = gc.get_freeze_count() == 0
        if freeze:
            gc.freeze()
        try:
            for path in paths:
                source = open_capture(path)
                for ts_us, linktype, frame in source:
                    cnt += 1
                    nbytes += len(frame)
                    pkt = Packet(ts_us, cnt, linktype, frame)
                    decode_frame(pkt)
                    process(pkt)
                    if progress is not None and cnt & 0x3FF == 0:
                        progress(1024)
            self.flows.flush()
            self._drain_ended()
        finally:
            if freeze:
                gc.unfreeze()
            stats.packets += cnt
            stats.bytes += nbytes
            stats.engine_seconds += time.perf_counter() - started
            stats.decode_events = {
                EVENTS[i]: n for i, n in enumerate(self._event_counts) if n
            }
        return stats

    def _process(self, pkt: Packet) -> None:
        if pkt.events:
            counts = self._event_counts
            for eid in pkt.events:
                counts[eid] += 1
        if self._checksum_checks and pkt.ip_version and not checksums_valid(pkt):
            self.stats.invalid_checksum += 1
            return
        if pkt.is_fragment:
            whole = self.defrag.add(pkt)
            # a fragment is inspected as an IP packet without transport payload (as Suricata does);
            # its data is matched once, in the reassembled datagram
            pkt.payload = b""
            self._inspect(pkt)
            if whole is not None:
                self.stats.pseudo_packets += 1
                whole.pkt_src = "defrag"
                self._process(whole)
            return
        if pkt.ip_version:
            flow = self._flow_of(pkt)
            if self._ended:
                self._drain_ended()
            if flow is not None and flow.tcp is not None and pkt.proto == 6 and pkt.l4_off >= 0:
                if (
                    self._midstream_policy != "ignore"
                    and flow.pkts_toserver + flow.pkts_toclient == 1
                    and is_midstream_start(pkt.tcp_flags)
                ):
                    # the midstream exception policy takes the whole flow out of detection
                    flow.detect_state["drop" if self._midstream_policy in ("drop-flow", "reject") else "pass"] = True
                self._reassemble(pkt)
        self._inspect(pkt)
        if pkt.inner is not None:
            self.stats.pseudo_packets += 1
            self._process(pkt.inner)

    def _flow_ended(self, flow: Flow) -> None:
        """FlowTable callback: queue the flow's stream-end pseudo packets (inspected next)."""
        if flow.stream is not None:
            self._ended.extend(self.streams.end_flow(flow))

    def _drain_ended(self) -> None:
        ended, self._ended = self._ended, []
        self.stats.pseudo_packets += len(ended)
        for pkt in ended:
            self._inspect(pkt)

    def _inspect(self, pkt: Packet) -> None:
        flow = pkt.flow
        if flow is not None:
            state = flow.detect_state
            if "pass" in state or "drop" in state:
                return
        alerted = self.engine.inspect(pkt)
        if not alerted:
            return
        sink = self.sink
        for a in alerted:
            self.stats.alerts += 1
            sink(pkt, a.rule, a.action)

