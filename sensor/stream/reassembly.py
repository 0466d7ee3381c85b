"""TCP stream reassembly per direction, and when reassembled data is ready for inspection.

Step 4 of 10 (stream), between flow (step 3) and detection (step 5). For every TCP
packet of a tracked session `Reassembler.process(pkt)` adds the payload to its
direction's stream and sets two packet fields the detection engine reads:

  pkt.stream_added   the payload was taken by the stream engine (Suricata's PKT_STREAM_ADD):
                     a stream rule then does not look at the packet payload itself
  pkt.stream_chunks  None, or the stream data to inspect now (Suricata's
                     PKT_DETECT_HAS_STREAMDATA), as contiguous blocks; it may be empty

When a flow ends (timeout, reuse, end of capture) `Reassembler.end_flow(flow)` returns the
flow-timeout pseudo packets (`pkt.stream_eof`) that inspect what is left, to_server first.
`sensor.detect` decides per rule whether packet payload, stream data or both are looked at.

Suricata 8.0.8's rules, each checked against the real engine on crafted pcaps (the cases are
in tests/unit/sensor/test_stream_*.py):

Data taken into a stream. Data packets of an established session (and the ACK completing
the handshake, or the packet that picks a session up midstream); data on a SYN only with
the TCP fast open option; never data on a SYN/ACK, on a RST, or sent before the handshake
completes. Rejected, and so inspected as a packet: data ending before the last ACKed byte
(a retransmission of data the receiver already has; ending exactly at it is accepted),
data beyond the receiver's window (`next_win`), data when the memcap is reached.
Overlaps keep the first data except where the receiver's OS policy (`host-os-policy`,
by destination address, longest prefix; default bsd) prefers the newer segment, compared
with each older segment it overlaps:
  bsd, bsd-right, hpux10, irix, macos, windows, windows2k3   newer starts before the older
  linux       newer starts before, or at the same byte and ends after
  old-linux   newer starts before, or at the same byte and ends at or after
  solaris, old-solaris, hpux11   newer ends after, or ends at the same byte and starts at or before
  vista       never (first wins)
Depth (`stream.reassembly.depth`, default 1 MiB, 0 unlimited): a segment whose end lies
beyond the depth is refused whole, the stream is flagged "depth reached" (the packet still
counts as added); after that packet's inspection the stream's data is dropped and later
payloads of that direction are inspected as packets.

Raw inspection in IDS mode. A packet inspects its own direction's stream, from the raw
progress up to the last byte the other side ACKed, and only when: the depth was reached,
or the session state is past TIME_WAIT (LAST_ACK, CLOSE_WAIT, CLOSING, CLOSED), or at
least a chunk (`toserver-/toclient-chunk-size`, 2560) of ACKed data is uninspected. The
raw progress then moves to the end of what was inspected, so data is inspected once and
chunks never overlap (a pattern across a chunk border is not seen); content offsets are
relative to the chunk. Across a gap the data after it is inspected too, but the progress
stops at the gap's far side (Suricata's quirk: that data is inspected again next time).
A flow-end pseudo packet inspects all data left, ACKed or not.

Inline mode (`stream.inline`, IPS): the first data always wins and an overlapping packet's
payload is rewritten with the stream's bytes; every added data packet inspects a window
of the contiguous data around it (chunk-size long, grown for large packets), so a
pattern is seen again on each later packet while it stays in the window; flow end
inspects nothing more.

Memory is bounded by depth per direction and by the memcap overall; a direction keeps only
data not yet inspected (inline: plus one chunk before it). Hot path: no logging, no
exceptions for packet content; the in-order case appends one segment.
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_right
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sensor.decode.packet import TH_ACK, TH_RST, TH_SYN, TH_URG, Packet
from sensor.errors import ConfigError
from sensor.flow.tcp import CLOSED, ESTABLISHED, NONE, TIME_WAIT
from sensor.suricata_yaml import SuricataConfig

# overlap policies
BSD = 0
LINUX = 1
OLD_LINUX = 2
SOLARIS = 3
FIRST = 4

POLICY_NAMES: dict[str, int] = {
    "bsd": BSD,
    "bsd-right": BSD,
    "hpux10": BSD,
    "irix": BSD,
    "macos": BSD,
    "windows": BSD,
    "windows2k3": BSD,
    "linux": LINUX,
    "old-linux": OLD_LINUX,
    "solaris": SOLARIS,
    "old-solaris": SOLARIS,
    "hpux11": SOLARIS,
    "vista": FIRST,
}

_M32 = 0xFFFFFFFF
_HALF = 0x80000000
_TCPOPT_WSCALE = 3
_TCPOPT_TFO = 34
_TCPOPT_EXPERIMENT = (253, 254)
_SEG_OVERHEAD = 64  # bytes charged to the memcap per segment besides its data
_SIZE_UNITS = {"kb": 1 << 10, "kib": 1 << 10, "mb": 1 << 20, "mib": 1 << 20, "gb": 1 << 30, "gib": 1 << 30}
_end_of = itemgetter(1)


def new_data_wins(policy: int, new_start: int, new_end: int, old_start: int, old_end: int) -> bool:
    """Whether the newer segment's bytes replace the older one's where they overlap."""
    if policy == BSD:
        return new_start < old_start
    if policy == LINUX:
        return new_start < old_start or (new_start == old_start and new_end > old_end)
    if policy == OLD_LINUX:
        return new_start < old_start or (new_start == old_start and new_end >= old_end)
    if policy == SOLARIS:
        return new_end > old_end or (new_end == old_end and new_start <= old_start)
    return False


def parse_size(value: Any) -> int:
    """A Suricata size ("1mb", "256 MiB", "2560", 0) in bytes; ValueError when malformed."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip().lower().replace(" ", "")
    for unit, mult in _SIZE_UNITS.items():
        if text.endswith(unit):
            return int(float(text[: -len(unit)]) * mult)
    return int(text)


@dataclass(frozen=True)
class StreamConfig:
    """Stream engine settings (Suricata's `stream:` section and `host-os-policy:`)."""

    depth: int = 1 << 20
    memcap: int = 256 << 20
    toserver_chunk: int = 2560
    toclient_chunk: int = 2560
    inline: bool = False
    urgent_policy: str = "oob"  # stream.reassembly.urgent.policy: oob, inline, gap or drop
    default_policy: int = BSD
    # (network, policy), most specific first
    host_policies: tuple[tuple[Any, int], ...] = field(default=())

    def policy_for(self, addr: bytes) -> int:
        """The OS policy of the host at `addr` (the receiver of a stream)."""
        if self.host_policies and addr:
            ip = ipaddress.ip_address(addr)
            for net, policy in self.host_policies:
                if ip.version == net.version and ip in net:
                    return policy
        return self.default_policy


def stream_config(config: SuricataConfig, *, ips_mode: bool) -> StreamConfig:
    """StreamConfig from a loaded suricata.yaml (with `--set` applied); ConfigError when invalid."""
    try:
        return _stream_config(config, ips_mode)
    except ValueError as exc:
        raise ConfigError(f"{config.path or 'configuration'}: stream settings: {exc}") from None


def _stream_config(config: SuricataConfig, ips_mode: bool) -> StreamConfig:
    inline_v = config.get("stream.inline", "auto")
    text = str(inline_v).strip().lower()
    inline = ips_mode if text == "auto" else text in ("yes", "true", "on", "1", "enabled")
    policies: list[tuple[Any, int]] = []
    hop = config.get("host-os-policy", {}) or {}
    if isinstance(hop, dict):
        for name, nets in hop.items():
            policy = POLICY_NAMES.get(str(name).strip().lower())
            if policy is None or not nets:
                continue
            for net in nets if isinstance(nets, list) else [nets]:
                policies.append((ipaddress.ip_network(str(net).strip(), strict=False), policy))
    policies.sort(key=lambda np: -np[0].prefixlen)
    urgent = str(config.get("stream.reassembly.urgent.policy", "oob")).strip().lower()
    if urgent not in ("oob", "inline", "gap", "drop"):
        raise ValueError(f"unknown urgent policy {urgent!r}")
    return StreamConfig(
        urgent_policy=urgent,
        depth=parse_size(config.get("stream.reassembly.depth", 1 << 20)),
        memcap=parse_size(config.get("stream.reassembly.memcap", 256 << 20)),
        toserver_chunk=parse_size(config.get("stream.reassembly.toserver-chunk-size", 2560)),
        toclient_chunk=parse_size(config.get("stream.reassembly.toclient-chunk-size", 2560)),
        inline=inline,
        host_policies=tuple(policies),
    )


class HalfStream:
    """One direction's stream: segments by offset (0 = the byte after the ISN), ACK and
    inspection progress.

    `segs` holds [start, end, data, orig_start, orig_end] lists, sorted and not
    overlapping; orig_* are the bounds of the packet the bytes came from (for the
    overlap policy). Offsets are absolute: `off()` maps a sequence number relative to an
    anchor near the right edge, so sequence wrap-around needs no special case.
    """

    __slots__ = (
        "anchor_off",
        "anchor_seq",
        "base",
        "depth_reached",
        "held",
        "last_ack",
        "next_win",
        "noreassembly",
        "policy",
        "raw",
        "right",
        "segs",
        "urg_shift",
    )

    def __init__(self, policy: int) -> None:
        self.anchor_seq = -1  # unknown until the ISN or a first sequence number is seen
        self.anchor_off = 0
        self.segs: list[list[Any]] = []
        self.right = 0  # end of the data furthest right
        self.base = 0  # data before this offset is gone
        self.last_ack = 0
        self.next_win = -1  # -1: receiver's window not known (no window check)
        self.raw = 0  # raw inspection progress
        self.depth_reached = False
        self.noreassembly = False
        self.policy = policy
        self.held = 0
        self.urg_shift = 0  # urgent bytes taken out of the stream (oob policy)

    def start(self, seq: int) -> None:
        """Set the sequence number of offset 0 (ISN + 1, or the first byte seen midstream)."""
        self.anchor_seq = seq & _M32
        self.anchor_off = 0

    def off(self, seq: int) -> int:
        """Absolute stream offset of a sequence number."""
        return self.anchor_off + ((seq - self.anchor_seq + _HALF) & _M32) - _HALF

    def blocks(self, limit: int, eof: bool) -> tuple[bytes, ...]:
        """Suricata's raw reassembly from the progress: the contiguous blocks up to `limit`
        (the ACKed edge; everything when `eof`), moving the progress past them."""
        segs = self.segs
        progress = self.raw
        out: list[bytes] = []
        i = bisect_right(segs, progress, key=_end_of)
        n = len(segs)
        while i < n:
            first = segs[i]
            start = first[0]
            parts = [first[2]]
            end = first[1]
            i += 1
            while i < n and segs[i][0] == end:
                parts.append(segs[i][2])
                end = segs[i][1]
                i += 1
            if start < progress:
                data = b"".join(parts)[progress - start :]
                start = progress
            else:
                data = parts[0] if len(parts) == 1 else b"".join(parts)
            if not eof:
                if limit < progress:
                    break
                if progress + len(data) > limit:
                    data = data[: limit - progress]
            if not data:
                break
            out.append(data)
            if start == progress:
                progress += len(data)
            elif progress < start < limit:
                progress = start
        self.raw = progress
        return tuple(out)

    def prune(self, upto: int) -> int:
        """Forget the data before offset `upto`; returns the bytes released."""
        if upto <= self.base:
            return 0
        self.base = upto
        segs = self.segs
        freed = 0
        k = 0
        n = len(segs)
        while k < n and segs[k][1] <= upto:
            freed += len(segs[k][2]) + _SEG_OVERHEAD
            k += 1
        if k:
            del segs[:k]
        if segs and segs[0][0] < upto:
            seg = segs[0]
            cut = upto - seg[0]
            seg[2] = seg[2][cut:]
            seg[0] = upto
            freed += cut
        self.held -= freed
        return freed

    def clear(self) -> int:
        """Drop every segment; returns the bytes released."""
        freed = self.held
        self.segs = []
        self.held = 0
        return freed


class TcpStreams:
    """The two directions of one TCP session (kept on `Flow.stream`)."""

    __slots__ = (
        "client",
        "prev_state",
        "seen",
        "server",
        "syn_seen",
        "win_scale",
        "wscale_client",
        "wscale_server",
    )

    def __init__(self, client_policy: int, server_policy: int) -> None:
        self.client = HalfStream(client_policy)  # client -> server data
        self.server = HalfStream(server_policy)  # server -> client data
        self.prev_state = NONE
        self.seen = 0  # bit 1: a packet to the server seen, bit 2: one to the client
        self.syn_seen = False  # the client's SYN was seen (windows are tracked)
        self.wscale_client = -1  # window scale announced in the SYN, -1 none
        self.wscale_server = -1  # announced in the SYN/ACK
        self.win_scale = False  # both announced one: windows after the handshake are scaled


class Reassembler:
    """Stream state for every TCP session of a replay, bounded by the memcap."""

    def __init__(self, config: StreamConfig, *, async_oneside: bool = False) -> None:
        self.config = config
        self._ips_inline = config.inline
        self._chunk_ts = config.toserver_chunk
        self._chunk_tc = config.toclient_chunk
        self._async = async_oneside
        self._urgent = config.urgent_policy
        self.memuse = 0
        self.stats: dict[str, int] = {
            "tcp.segment_memcap_drop": 0,
            "tcp.stream_depth_reached": 0,
            "tcp.overlap": 0,
            "tcp.rejected": 0,
            "tcp.pseudo": 0,
        }

    def process(self, pkt: Packet) -> None:
        """Take a TCP packet's payload into its stream and decide what is inspected now."""
        flow = pkt.flow
        state = flow.tcp.state
        st: TcpStreams | None = flow.stream
        flags = pkt.tcp_flags
        if st is None:
            if state == NONE:
                return
            cfg = self.config
            st = flow.stream = TcpStreams(cfg.policy_for(flow.server_addr), cfg.policy_for(flow.client_addr))
        prev = st.prev_state
        st.prev_state = state
        to_server = pkt.to_server
        if to_server:
            me, peer = st.client, st.server
            st.seen |= 1
        else:
            me, peer = st.server, st.client
            st.seen |= 2
        seq = pkt.tcp_seq
        if flags & TH_SYN:
            self._syn(st, me, peer, pkt)
        elif me.anchor_seq < 0:
            me.start(seq)
        if flags & TH_ACK:
            ack = pkt.tcp_ack
            if peer.anchor_seq < 0:
                peer.start(ack)
            acked = peer.anchor_off + ((ack - peer.anchor_seq + _HALF) & _M32) - _HALF
            if acked > peer.last_ack:
                peer.last_ack = acked
            if st.syn_seen:
                # windows are known in a session whose handshake was seen
                win = pkt.tcp_win
                if st.win_scale and not flags & TH_SYN:
                    win <<= st.wscale_client if to_server else st.wscale_server
                win += peer.last_ack
                if win > peer.next_win:
                    peer.next_win = win
        payload = pkt.payload
        if (
            payload
            and not me.noreassembly
            and (
                not (flags & (TH_SYN | TH_RST) or state < ESTABLISHED or (state == CLOSED and prev == CLOSED))
                or self._syn_data(flags, state, pkt)
            )
        ):
            if flags & TH_SYN:
                seq += 1
            start = me.anchor_off + ((seq - me.anchor_seq + _HALF) & _M32) - _HALF
            end = start + len(payload)
            if end < me.last_ack or (0 <= me.next_win < end):
                self.stats["tcp.rejected"] += 1
            elif (
                self._add(me, start, payload, seq + len(payload), pkt)
                if not flags & TH_URG
                else self._add_urgent(me, start, seq, pkt)
            ):
                pkt.stream_added = True
                if self._async and st.seen != 3 and me.right > me.last_ack:
                    # a one-sided session never sees the ACKs: the data counts as ACKed
                    me.last_ack = me.right
                if self._ips_inline and me.segs:
                    # (Suricata places the packet by its raw sequence number, urgent bytes taken out or not)
                    pkt.stream_chunks = self._inline_window(me, start + me.urg_shift, len(payload), pkt)
        if me.noreassembly:
            return
        if (
            me.raw < me.right
            and not self._ips_inline
            and me.segs
            and (
                me.last_ack - me.raw >= (self._chunk_ts if to_server else self._chunk_tc)
                or state > TIME_WAIT
                or me.depth_reached
            )
        ):
            pkt.stream_chunks = me.blocks(me.last_ack, False)
            self.memuse -= me.prune(me.raw)
        if me.depth_reached:
            me.noreassembly = True
            self.memuse -= me.clear()

    def end_flow(self, flow: Any) -> list[Packet]:
        """The flow-timeout pseudo packets inspecting the data left; frees the flow's streams."""
        st: TcpStreams | None = flow.stream
        if st is None:
            return []
        out: list[Packet] = []
        for to_server, half in ((True, st.client), (False, st.server)):
            if not self.config.inline and half.segs and not half.noreassembly and half.raw < half.right:
                chunks = half.blocks(half.last_ack, True)
                if chunks:
                    out.append(_pseudo_packet(flow, to_server, chunks))
            self.memuse -= half.clear()
        flow.stream = None
        self.stats["tcp.pseudo"] += len(out)
        return out

    # -- internals -------------------------------------------------------------------

    def _syn(self, st: TcpStreams, me: HalfStream, peer: HalfStream, pkt: Packet) -> None:
        """SYN or SYN/ACK: the sender's ISN and window scale."""
        to_server = pkt.to_server
        if not me.segs:
            me.start(pkt.tcp_seq + 1)
        opts = pkt.tcp_opts
        ws = opts.get(_TCPOPT_WSCALE) if opts else None
        scale = min(ws[0], 14) if ws else -1
        if to_server:
            st.wscale_client = scale
            if not pkt.tcp_flags & TH_ACK:
                st.syn_seen = True
        else:
            st.wscale_server = scale
            if pkt.tcp_flags & TH_ACK and peer.anchor_seq < 0:
                peer.start(pkt.tcp_ack)
        st.win_scale = st.wscale_client >= 0 and st.wscale_server >= 0

    @staticmethod
    def _syn_data(flags: int, state: int, pkt: Packet) -> bool:
        """Whether a packet outside the established states carries stream data: only a
        SYN with the TCP fast open option (its data starts at ISN + 1)."""
        if flags & (TH_RST | TH_ACK) or not flags & TH_SYN or state == CLOSED:
            return False
        opts = pkt.tcp_opts
        if not opts:
            return False
        if _TCPOPT_TFO in opts:
            return True
        # the experimental option form before RFC 7413: kind 253 or 254 with magic 0xF989
        return any(opts.get(kind, b"")[:2] == b"\xf9\x89" for kind in _TCPOPT_EXPERIMENT)

    def _add(self, me: HalfStream, start: int, data: bytes, seq_end: int, pkt: Packet) -> bool:
        """Insert `data` at offset `start` (`seq_end`: the sequence number after it); False
        when refused as not added (memcap)."""
        cfg = self.config
        end = start + len(data)
        if end == start:
            return True
        depth = cfg.depth
        if depth:
            if me.depth_reached:
                return True
            if end > depth:
                me.depth_reached = True
                self.stats["tcp.stream_depth_reached"] += 1
                return True
            if start < -1 or start >= depth - 1:
                return True
        if end <= me.base:
            return True
        if start < me.base:
            data = data[me.base - start :]
            start = me.base
        size = len(data) + _SEG_OVERHEAD
        if self.memuse + size > cfg.memcap:
            self.stats["tcp.segment_memcap_drop"] += 1
            return False
        segs = me.segs
        if not segs or start >= segs[-1][1]:
            segs.append([start, end, data, start, end])
            me.held += size
            self.memuse += size
        else:
            added = self._overlap(me, start, end, data, pkt)
            me.held += added
            self.memuse += added
        if end > me.right:
            me.right = end
            me.anchor_seq = seq_end & _M32
            me.anchor_off = end
        return True

    def _add_urgent(self, me: HalfStream, start: int, seq: int, pkt: Packet) -> bool:
        """A segment with the URG flag, by `stream.reassembly.urgent.policy` (the urgent
        byte is the one before the urgent pointer): inline keeps it; oob takes it out of
        the stream (later data closes up); gap leaves a hole; drop is inline in IDS mode
        and drops the segment in inline mode."""
        payload = pkt.payload
        seq_end = seq + len(payload)
        l4 = pkt.l4_off
        idx = ((pkt.data[l4 + 18] << 8) | pkt.data[l4 + 19]) - 1
        policy = self._urgent
        if not 0 <= idx < len(payload) or policy == "inline" or (policy == "drop" and not self._ips_inline):
            return self._add(me, start, payload, seq_end, pkt)
        if policy == "drop":
            return True
        if policy == "oob":
            me.urg_shift += 1
            data = payload[:idx] + payload[idx + 1 :]
            added = self._add(me, start, data, seq_end, pkt)
            if start + len(data) >= me.right:
                me.right = start + len(data)
                me.anchor_seq = seq_end & _M32
                me.anchor_off = me.right
            return added
        added = self._add(me, start, payload[:idx], seq + idx, pkt) if idx else True
        if idx + 1 < len(payload):
            added = self._add(me, start + idx + 1, payload[idx + 1 :], seq_end, pkt) and added
        return added

    def _overlap(self, me: HalfStream, start: int, end: int, data: bytes, pkt: Packet) -> int:
        """Insert data overlapping older segments, by policy; returns the bytes added.

        Inline mode keeps the older bytes and rewrites the packet's payload with them.
        """
        inline = self.config.inline
        policy = FIRST if inline else me.policy
        segs = me.segs
        i = bisect_right(segs, start, key=_end_of)
        pieces: list[list[Any]] = []
        pos = start
        rewritten: list[bytes] = []
        pkt_start = start
        while i < len(segs) and segs[i][0] < end:
            seg = segs[i]
            s0, s1 = seg[0], seg[1]
            if pos < s0:
                pieces.append([pos, s0, data[pos - start : s0 - start], start, end])
                rewritten.append(data[pos - start : s0 - start])
                pos = s0
            lo, hi = max(pos, s0), min(end, s1)
            if lo < hi:
                self.stats["tcp.overlap"] += 1
                if new_data_wins(policy, start, end, seg[3], seg[4]):
                    old = seg[2]
                    seg[2] = old[: lo - s0] + data[lo - start : hi - start] + old[hi - s0 :]
                    rewritten.append(data[lo - start : hi - start])
                else:
                    rewritten.append(seg[2][lo - s0 : hi - s0])
                pos = hi
            i += 1
        if pos < end:
            pieces.append([pos, end, data[pos - start :], start, end])
            rewritten.append(data[pos - start :])
        if inline:
            new_payload = b"".join(rewritten)
            if pkt_start == me.off(pkt.tcp_seq) and new_payload != pkt.payload:
                pkt.payload = new_payload
        added = 0
        for piece in pieces:
            k = bisect_right(segs, piece[0], key=itemgetter(0))
            segs.insert(k, piece)
            added += len(piece[2]) + _SEG_OVERHEAD
        return added

    def _inline_window(self, me: HalfStream, left: int, plen: int, pkt: Packet) -> tuple[bytes, ...]:
        """Inline mode: the contiguous data around the packet, about a chunk long."""
        keep = chunk = self._chunk_ts if pkt.to_server else self._chunk_tc
        if chunk <= plen or (chunk // 3) * 2 < plen:
            chunk = plen + chunk // 3
        right = left + plen
        segs = me.segs
        i = bisect_right(segs, left, key=_end_of)
        if i >= len(segs) or segs[i][0] > left:
            return (pkt.payload,)
        lo = i
        while lo > 0 and segs[lo - 1][1] == segs[lo][0]:
            lo -= 1
        hi = i
        while hi + 1 < len(segs) and segs[hi + 1][0] == segs[hi][1]:
            hi += 1
        run_start, run_end = segs[lo][0], segs[hi][1]
        if run_end < right:
            return (pkt.payload,)
        ws, we = run_start, run_end
        if run_end - run_start > chunk:
            excess = run_end - run_start - chunk
            if run_end == right:
                ws += excess
            elif run_start == left:
                we -= excess
            else:
                before, after = left - run_start, run_end - right
                room = chunk - plen
                if after >= room // 2:
                    if before >= room // 2:
                        before = after = room // 2
                    else:
                        after = room - before
                elif before >= room // 2:
                    before = room - after
                ws, we = left - before, right + after
        data = b"".join(seg[2] for seg in segs[lo : hi + 1])[ws - run_start : we - run_start]
        if lo == 0 and hi == len(segs) - 1:
            progress = we
        elif me.raw < me.last_ack:
            progress = me.last_ack if ws > me.last_ack else we
        else:
            progress = me.raw
        if progress > me.raw:
            me.raw = progress
            self.memuse -= me.prune(progress - keep)  # a chunk before the progress stays for later windows
        return (data,)


def _pseudo_packet(flow: Any, to_server: bool, chunks: tuple[bytes, ...]) -> Packet:
    """A flow-timeout pseudo packet of one direction carrying the stream data left."""
    pkt = Packet(flow.last_us, 0, 0, b"")
    pkt.ip_version = flow.ip_version
    pkt.proto = flow.proto
    pkt.vlan = flow.vlan
    if to_server:
        pkt.src, pkt.dst, pkt.sp, pkt.dp = (
            flow.client_addr,
            flow.server_addr,
            flow.client_port,
            flow.server_port,
        )
    else:
        pkt.src, pkt.dst, pkt.sp, pkt.dp = (
            flow.server_addr,
            flow.client_addr,
            flow.server_port,
            flow.client_port,
        )
    pkt.tcp_flags = TH_ACK
    pkt.flow = flow
    pkt.to_server = to_server
    pkt.established = flow.is_established()
    pkt.is_pseudo = True
    pkt.stream_eof = True
    pkt.stream_chunks = chunks
    return pkt
