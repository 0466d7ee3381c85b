"""FlowTable: each packet's flow, direction and "established"; idle flows expire by packet time.

Step 3 of 10 (flow). `process(pkt)` sets ``pkt.flow``, ``pkt.to_server`` and
``pkt.established`` exactly as Suricata 8 sets what its `flow` keyword reads (checked
packet by packet against Suricata 8.0.8 on crafted pcaps), updates the counters and the
TCP session (`sensor.flow.tcp`). Time is packet time. Hot path: one key tuple and one
dict lookup per packet, no logging, no exceptions for odd packets; expiry runs on an
expiry wheel a few entries per call, never a full scan.

What the detection engine reads (Suricata 8 semantics of the `flow` keyword):

  option             matches when                         notes
  -----------------  -----------------------------------  ----------------------------------------
  to_server          pkt.to_server (client -> server)     also a packet without a flow
  from_client          (same as to_server)                  (pkt.flow None): Suricata takes it as
                                                            to_server, so direction-only rules match
  to_client          not pkt.to_server                    never a packet without a flow
  from_server          (same as to_client)
  established        pkt.flow and pkt.established         see "established" below
  not_established    pkt.flow and not pkt.established
  stateless          pkt.flow is not None                 any state; never a packet without a flow
  only_stream        inspection of reassembled stream     decided by detection, not by this table
  no_stream          inspection of the packet itself      decided by detection, not by this table
  only_frag/no_frag  pkt is / is not a defragmented datagram (defrag sets it, not this table)

"established" (pkt.established), per packet:
  TCP     the session state BEFORE this packet is ESTABLISHED or later in Suricata's order.
          So SYN, SYN/ACK and the ACK completing the handshake are not established; the
          next packet is. Closing and closed sessions stay established (also a session
          RST during the handshake). Without a SYN: midstream=False never establishes;
          midstream=True picks the session up as established on an ACK packet, so the
          first packet is not established and the second is. A SYN/ACK seen first (with
          midstream or async_oneside) makes its destination the client; the next ACK
          completes the handshake. async_oneside: a client ACK after the SYN establishes.
  others  after this packet, packets have been seen in both directions: the first packet
          is not established, the first reply is. ICMPv4 error messages never count as
          "seen" (and never start a flow: a destination-unreachable joins the flow of the
          datagram it quotes, other errors and unmatched ones get no flow).
Direction: the client is the source of the flow's first packet (TCP midstream SYN/ACK:
its destination). ICMP/ICMPv6 packets, and packets joined through an ICMP error, are
to_server when they come from the client's address. Flows of other protocols (ESP,
IP-in-IP, 6in4 outer packets) count every packet as to_server, so they never establish.

Flow lifetime. Idle timeouts by protocol and state (Suricata's shipped suricata.yaml):
tcp new 60 s / established 600 s / closed 60 s; udp and icmp new 30 s / established
300 s; others ("default": SCTP, ICMPv6, ...) new 30 s / established 300 s. A packet
arriving at or after last + timeout starts a new flow. A stream-starter on a finished
TCP session (`tcp.is_port_reuse`) starts a new flow too. At `max_flows`, making a flow
first evicts the flow nearest its timeout (counted flow.evicted_memcap); Suricata
instead shortens timeouts and may refuse new flows (emergency mode), which is not done.
Every flow that leaves gets `end_reason` and is passed to `on_flow_end`. Counters:
flow.created - flow.timeout - flow.tcp_reuse - flow.evicted_memcap - flow.shutdown
== flow.active.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from heapq import heappop, heappush

from sensor.decode.packet import TH_FIN, TH_RST, TH_SYN, Packet
from sensor.flow.flow import Flow
from sensor.flow.key import (
    ICMP4_ERROR_TYPES,
    IPPROTO_ICMP,
    IPPROTO_ICMPV6,
    IPPROTO_TCP,
    IPPROTO_UDP,
    PORT_PROTOS,
    Key,
    flow_key,
    key_ports,
    quoted_flow_key,
)
from sensor.flow.tcp import (
    ESTABLISHED,
    FLOW_ESTABLISHED,
    FLOW_STATE_OF,
    NONE,
    is_port_reuse,
    is_stream_starter,
    update_tcp,
)

_S = 1_000_000
DEFAULT_TIMEOUTS_US: dict[str, dict[str, int]] = {
    "default": {"new": 30 * _S, "established": 300 * _S, "closed": 0},
    "tcp": {"new": 60 * _S, "established": 600 * _S, "closed": 60 * _S},
    "udp": {"new": 30 * _S, "established": 300 * _S, "closed": 0},
    "icmp": {"new": 30 * _S, "established": 300 * _S, "closed": 0},
}
_TIMEOUT_CLASS = {6: "tcp", 17: "udp", 1: "icmp"}  # Suricata maps every other protocol to "default"

_END_COUNTER = {
    "timeout": "flow.timeout",
    "tcp_reuse": "flow.tcp_reuse",
    "evicted": "flow.evicted_memcap",
    "shutdown": "flow.shutdown",
}
_NEVER = 1 << 62
_SWEEP_BUDGET = 64  # wheel entries looked at per packet when expiry is due
_M51 = (1 << 51) - 1
_TCP_SLOW = TH_SYN | TH_FIN | TH_RST


def _flow_id(n: int) -> int:
    """A bijection of [1, 2**51) onto itself, so ids look random yet never collide."""
    n = (n * 0x6C8E9CF570932BD5) & _M51
    n ^= n >> 23
    n = (n * 0x1CE4E5B9A1D3F3E7) & _M51
    n ^= n >> 29
    return n


class FlowTable:
    """All live flows of one worker, keyed by `sensor.flow.key.flow_key`."""

    def __init__(
        self,
        *,
        max_flows: int = 65536,
        timeouts_us: Mapping[str, Mapping[str, int]] | None = None,
        midstream: bool = False,
        async_oneside: bool = False,
        flow_id_seed: int = 0,
        on_flow_end: Callable[[Flow], None] | None = None,
    ) -> None:
        """`timeouts_us` overrides DEFAULT_TIMEOUTS_US per class ("tcp", "udp", "icmp",
        "default") and state ("new", "established", "closed"). `flow_id_seed` (0-1023)
        keeps flow ids of different workers apart."""
        if max_flows < 1:
            raise ValueError("max_flows must be at least 1")
        merged = {cls: dict(states) for cls, states in DEFAULT_TIMEOUTS_US.items()}
        for cls, states in (timeouts_us or {}).items():
            if cls not in merged:
                raise ValueError(f"unknown flow timeout class {cls!r}")
            for state, value in states.items():
                if state not in merged[cls] or value < 0:
                    raise ValueError(f"bad flow timeout {cls}.{state}={value!r}")
                merged[cls][state] = int(value)
        self._timeouts: dict[str, tuple[int, int, int]] = {
            cls: (m["new"], m["established"], m["closed"]) for cls, m in merged.items()
        }
        self.max_flows = max_flows
        self.midstream = midstream
        self.async_oneside = async_oneside
        self.on_flow_end = on_flow_end
        self._id_base = (flow_id_seed & 0x3FF) << 41
        self._ids = 0
        self._flows: dict[Key, Flow] = {}
        self._now = 0
        self._wheel: dict[int, list[Flow]] = {}
        self._wheel_secs: list[int] = []
        self._sweep_due = _NEVER
        self.stats: dict[str, int] = {
            "flow.created": 0,
            "flow.active": 0,
            "flow.timeout": 0,
            "flow.tcp_reuse": 0,
            "flow.evicted_memcap": 0,
            "flow.shutdown": 0,
            "flow.no_flow": 0,
            "flow.icmp_error_no_flow": 0,
            "tcp.midstream_pickups": 0,
        }

    def __len__(self) -> int:
        return len(self._flows)

    def process(self, pkt: Packet) -> Flow | None:
        """Attach the packet to its flow (making one if needed); None when it gets none."""
        ts = pkt.ts_us
        if ts > self._now:
            self._now = ts
            if ts >= self._sweep_due:
                self._sweep(ts, _SWEEP_BUDGET, None)
        if not pkt.ip_version or pkt.is_fragment:
            self._no_flow(pkt, "flow.no_flow")
            return None
        proto = pkt.proto
        if (proto == IPPROTO_TCP or proto == IPPROTO_UDP) and pkt.l4_off >= 0:
            sp = pkt.sp
            dp = pkt.dp
        else:
            if proto == IPPROTO_ICMP and pkt.icmp_type in ICMP4_ERROR_TYPES:
                return self._icmp_error(pkt, ts)
            ports = key_ports(pkt)
            if ports is None:
                self._no_flow(pkt, "flow.no_flow")
                return None
            sp, dp = ports
        src = pkt.src
        dst = pkt.dst
        # key.flow_key inlined (one call less per packet; tests check that both agree)
        if src < dst or (src == dst and sp <= dp):
            key: Key = (proto, pkt.vlan, pkt.tunnel_depth, src, sp, dst, dp)
            fwd = True
        else:
            key = (proto, pkt.vlan, pkt.tunnel_depth, dst, dp, src, sp)
            fwd = False
        flow = self._flows.get(key)
        if flow is not None:
            if ts - flow.last_us >= flow._timeout_us:
                self._end(flow, "timeout", None)
                flow = None
            elif proto == IPPROTO_TCP and pkt.tcp_flags & TH_SYN:
                flags = pkt.tcp_flags
                tcp = flow.tcp
                if (
                    tcp is not None
                    and is_stream_starter(flags, self.midstream, self.async_oneside)
                    and is_port_reuse(tcp, pkt.tcp_seq, fwd == flow._client_is_lo)
                ):
                    self._end(flow, "tcp_reuse", None)
                    flow = None
        if flow is None:
            flow = self._new_flow(key, pkt, fwd, ts)
        elif ts > flow.last_us:
            flow.last_us = ts
        if proto in PORT_PROTOS:
            to_server = fwd == flow._client_is_lo
        elif proto == IPPROTO_ICMP or proto == IPPROTO_ICMPV6:
            to_server = src == flow.client_addr
        else:
            to_server = True  # Suricata: packets of port-less, non-ICMP flows all go to the server
        tcp = flow.tcp
        if tcp is not None:
            state = tcp.state
            pkt.established = state >= ESTABLISHED
            flags = pkt.tcp_flags
            if state != ESTABLISHED or flags & _TCP_SLOW:
                if update_tcp(
                    tcp,
                    flags,
                    pkt.tcp_seq,
                    pkt.tcp_ack,
                    len(pkt.payload),
                    to_server,
                    self.midstream,
                    self.async_oneside,
                ):
                    self._reverse(flow)
                    to_server = not to_server
                if tcp.state != state:
                    if state == NONE and tcp.midstream:
                        self.stats["tcp.midstream_pickups"] += 1
                    fstate = FLOW_STATE_OF[tcp.state]
                    if fstate != flow._state:
                        self._set_state(flow, fstate)
        else:
            seen = flow._seen | (1 if to_server else 2)
            if seen == 3 and flow._state != FLOW_ESTABLISHED:
                self._set_state(flow, FLOW_ESTABLISHED)
            flow._seen = seen
            pkt.established = flow._state == FLOW_ESTABLISHED
        if to_server:
            flow.pkts_toserver += 1
            flow.bytes_toserver += len(pkt.data)
        else:
            flow.pkts_toclient += 1
            flow.bytes_toclient += len(pkt.data)
        pkt.flow = flow
        pkt.to_server = to_server
        return flow

    def expire(self, now_us: int) -> list[Flow]:
        """Remove every flow idle for its timeout at packet time `now_us`; return them."""
        self._now = max(self._now, now_us)
        out: list[Flow] = []
        self._expire_all(out)
        return out

    def flush(self) -> list[Flow]:
        """End every flow (end of capture) and return them: those already idle past their
        timeout at the latest packet time as "timeout", then the rest, oldest first, as "shutdown"."""
        out: list[Flow] = []
        self._expire_all(out)
        for flow in list(self._flows.values()):
            self._end(flow, "shutdown", out)
        self._wheel.clear()
        self._wheel_secs.clear()
        self._sweep_due = _NEVER
        return out

    def get(self, pkt: Packet) -> Flow | None:
        """The live flow a packet would join, without changing anything (tests, tools)."""
        if not pkt.ip_version or pkt.is_fragment:
            return None
        if pkt.proto == IPPROTO_ICMP and pkt.icmp_type in ICMP4_ERROR_TYPES:
            key = quoted_flow_key(pkt)
        else:
            ports = key_ports(pkt)
            if ports is None:
                return None
            key, _ = flow_key(pkt.proto, pkt.vlan, pkt.tunnel_depth, pkt.src, ports[0], pkt.dst, ports[1])
        return self._flows.get(key) if key is not None else None

    # -- internals -------------------------------------------------------------------

    def _no_flow(self, pkt: Packet, counter: str) -> None:
        pkt.flow = None
        pkt.to_server = True
        pkt.established = False
        self.stats[counter] += 1

    def _icmp_error(self, pkt: Packet, ts: int) -> Flow | None:
        """An ICMPv4 error: joins the quoted datagram's flow when it is live, else no flow."""
        key = quoted_flow_key(pkt)
        flow = self._flows.get(key) if key is not None else None
        if flow is None:
            self._no_flow(pkt, "flow.icmp_error_no_flow")
            return None
        if ts - flow.last_us >= flow._timeout_us:
            self._end(flow, "timeout", None)
            self._no_flow(pkt, "flow.icmp_error_no_flow")
            return None
        flow.last_us = max(flow.last_us, ts)
        to_server = pkt.src == flow.client_addr
        pkt.established = flow.is_established()
        if to_server:
            flow.pkts_toserver += 1
            flow.bytes_toserver += len(pkt.data)
        else:
            flow.pkts_toclient += 1
            flow.bytes_toclient += len(pkt.data)
        pkt.flow = flow
        pkt.to_server = to_server
        return flow

    def _new_flow(self, key: Key, pkt: Packet, fwd: bool, ts: int) -> Flow:
        if len(self._flows) >= self.max_flows:
            self._evict_one()
        self._ids += 1
        proto = pkt.proto
        if proto in PORT_PROTOS:
            sp, dp = pkt.sp, pkt.dp
        else:
            sp = dp = 0
        flow = Flow(
            _flow_id(self._id_base | (self._ids & ((1 << 41) - 1))),
            key,
            proto,
            pkt.ip_version,
            pkt.vlan,
            pkt.src,
            sp,
            pkt.dst,
            dp,
            ts,
            self._timeouts[_TIMEOUT_CLASS.get(proto, "default")],
        )
        if proto == IPPROTO_ICMP or proto == IPPROTO_ICMPV6:
            flow.icmp_type = pkt.icmp_type
            flow.icmp_code = pkt.icmp_code
        flow._client_is_lo = fwd
        self._flows[key] = flow
        stats = self.stats
        stats["flow.created"] += 1
        stats["flow.active"] += 1
        self._file(flow, ts + flow._timeout_us)
        return flow

    @staticmethod
    def _reverse(flow: Flow) -> None:
        """Exchange client and server (a TCP session picked up at its SYN/ACK)."""
        flow.client_addr, flow.server_addr = flow.server_addr, flow.client_addr
        flow.client_port, flow.server_port = flow.server_port, flow.client_port
        flow.pkts_toserver, flow.pkts_toclient = flow.pkts_toclient, flow.pkts_toserver
        flow.bytes_toserver, flow.bytes_toclient = flow.bytes_toclient, flow.bytes_toserver
        flow._client_is_lo = not flow._client_is_lo
        seen = flow._seen
        flow._seen = ((seen & 1) << 1) | ((seen & 2) >> 1)

    def _set_state(self, flow: Flow, state: int) -> None:
        """New flow state; a shorter timeout re-files the flow on the expiry wheel."""
        flow._state = state
        timeout = flow._timeouts[state]
        flow._timeout_us = timeout
        exp = flow.last_us + timeout
        if -(-exp // _S) < flow._wheel_at:
            self._file(flow, exp)

    def _file(self, flow: Flow, exp_us: int) -> None:
        """Put the flow on the wheel at the first second not before its expiry."""
        sec = -(-exp_us // _S)
        flow._wheel_at = sec
        bucket = self._wheel.get(sec)
        if bucket is None:
            self._wheel[sec] = [flow]
            heappush(self._wheel_secs, sec)
            self._sweep_due = min(self._sweep_due, sec * _S)
        else:
            bucket.append(flow)

    def _sweep(self, now: int, budget: int, out: list[Flow] | None) -> None:
        """Look at due wheel entries (at most `budget`): end expired flows, re-file the rest.

        An entry is stale when the flow ended or was re-filed elsewhere; a live flow found
        here that saw packets since filing is re-filed at its current expiry (lazy wheel).
        """
        wheel = self._wheel
        secs = self._wheel_secs
        while secs and secs[0] * _S <= now and budget > 0:
            sec = secs[0]
            bucket = wheel[sec]
            while bucket and budget > 0:
                budget -= 1
                flow = bucket.pop()
                if flow._wheel_at != sec or flow.end_reason is not None:
                    continue
                exp = flow.last_us + flow._timeout_us
                if exp <= now:
                    self._end(flow, "timeout", out)
                else:
                    self._file(flow, exp)
            if not bucket:
                del wheel[sec]
                heappop(secs)
        self._sweep_due = secs[0] * _S if secs else _NEVER

    def _expire_all(self, out: list[Flow]) -> None:
        """Exact expiry at `_now`: the due buckets, then the bucket of the current second,
        whose flows may or may not have reached their timeout yet."""
        now = self._now
        self._sweep(now, _NEVER, out)
        sec = -(-now // _S)
        bucket = self._wheel.get(sec)
        if bucket:
            keep = []
            for flow in bucket:
                if flow._wheel_at != sec or flow.end_reason is not None:
                    continue
                if flow.last_us + flow._timeout_us <= now:
                    self._end(flow, "timeout", out)
                else:
                    keep.append(flow)
            bucket[:] = keep

    def _evict_one(self) -> None:
        """Make room: end the live flow nearest its timeout (a timed-out one counts as timeout)."""
        wheel = self._wheel
        secs = self._wheel_secs
        while secs:
            sec = secs[0]
            bucket = wheel[sec]
            while bucket:
                flow = bucket.pop()
                if flow._wheel_at != sec or flow.end_reason is not None:
                    continue
                exp = flow.last_us + flow._timeout_us
                if -(-exp // _S) > sec:
                    self._file(flow, exp)
                    continue
                if not bucket:
                    del wheel[sec]
                    heappop(secs)
                self._end(flow, "timeout" if exp <= self._now else "evicted", None)
                self._sweep_due = secs[0] * _S if secs else _NEVER
                return
            del wheel[sec]
            heappop(secs)
        self._sweep_due = _NEVER

    def _end(self, flow: Flow, reason: str, out: list[Flow] | None) -> None:
        flow.end_reason = reason
        del self._flows[flow._key]
        stats = self.stats
        stats[_END_COUNTER[reason]] += 1
        stats["flow.active"] -= 1
        if out is not None:
            out.append(flow)
        if self.on_flow_end is not None:
            self.on_flow_end(flow)
