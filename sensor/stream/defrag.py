"""IPv4 and IPv6 fragment reassembly, bounded in memory and timed by packet time.

Sits between step 2 (decode) and step 3 (flow): the loop hands every packet with
`is_fragment` to `Defragmenter.add`; when a datagram is complete it comes back decoded as a
pseudo-packet (`sensor.decode.dispatch.decode_ip_datagram`) and goes through the rest of the
pipeline like a captured one. Overlapping data is resolved by a target-based policy (first,
last, bsd, bsd-right, linux, windows, solaris; Suricata's default is bsd). Memory is capped
(oldest trackers are evicted, counted) and trackers expire by packet time, never wall clock.
Must not raise on any fragment, log per packet or do I/O.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable
from struct import Struct

from sensor.decode.checksum import internet_checksum
from sensor.decode.dispatch import decode_ip_datagram
from sensor.decode.events import event_id
from sensor.decode.ipv6 import find_fragment_header
from sensor.decode.packet import Packet

IPV4_MAXPACKET = 65535
IPV6_MAXPAYLOAD = 65535

_V4_OVERLAP = event_id("decoder.ipv4.frag_overlap")
_V6_OVERLAP = event_id("decoder.ipv6.frag_overlap")
_V4_TOO_LARGE = event_id("decoder.ipv4.frag_pkt_too_large")
_V6_TOO_LARGE = event_id("decoder.ipv6.frag_pkt_too_large")
_V4_IGNORED = event_id("decoder.ipv4.frag_ignored")
_V6_IGNORED = event_id("decoder.ipv6.frag_ignored")

_u16 = Struct("!H")

# Overlap policies: (old_off, old_end, new_off, new_end) -> True when the newer fragment's
# bytes replace the older one's where the two overlap ("old" arrived first).
OverlapRule = Callable[[int, int, int, int], bool]

POLICIES: dict[str, OverlapRule] = {
    # the first copy of every byte stays
    "first": lambda oo, oe, no, ne: False,
    # the last copy of every byte wins
    "last": lambda oo, oe, no, ne: True,
    # old data stays unless the new fragment starts before the old one
    "bsd": lambda oo, oe, no, ne: no < oo,
    # new data wins unless the new fragment starts before the old one (HP JetDirect)
    "bsd-right": lambda oo, oe, no, ne: no >= oo,
    # new data wins when the new fragment starts before the old one or at the same offset
    "linux": lambda oo, oe, no, ne: no <= oo,
    # old data stays unless the new fragment starts before the old one and ends after it
    "windows": lambda oo, oe, no, ne: no < oo and ne > oe,
    # old data stays unless the new fragment starts before the old one and reaches its end
    "solaris": lambda oo, oe, no, ne: no < oo and ne >= oe,
}


class _Tracker:
    """Fragments of one datagram: arrival-ordered pieces, merged coverage, header data."""

    __slots__ = ("covered", "first_header", "last_seen", "nbytes", "overlap", "pieces", "total")

    def __init__(self, now_us: int) -> None:
        self.pieces: list[tuple[int, int, bytes]] = []  # (offset, end, data) in arrival order
        self.covered: list[tuple[int, int]] = []  # sorted, disjoint, merged byte ranges
        self.total = -1  # datagram payload length, known once the last fragment arrived
        self.first_header = b""  # IPv4 header / IPv6 unfragmentable part, from offset 0
        self.nbytes = 0
        self.last_seen = now_us
        self.overlap = False

    def cover(self, start: int, end: int) -> bool:
        """Add [start, end) to the coverage; True when it overlapped bytes already held."""
        covered = self.covered
        i = bisect_left(covered, (start, start))
        if i > 0 and covered[i - 1][1] >= start:
            i -= 1
        overlap = False
        lo, hi = start, end
        j = i
        while j < len(covered) and covered[j][0] <= end:
            s, e = covered[j]
            if s < end and e > start:
                overlap = True
            lo = min(lo, s)
            hi = max(hi, e)
            j += 1
        covered[i:j] = [(lo, hi)]
        return overlap

    def complete(self) -> bool:
        return (
            self.total >= 0
            and len(self.covered) == 1
            and self.covered[0][0] == 0
            and (self.covered[0][1] >= self.total)
        )

    def assemble(self, new_wins: OverlapRule) -> bytes:
        """The datagram payload, overlaps resolved by `new_wins`, cut at the total length."""
        pieces = self.pieces
        if not self.overlap:
            ordered = sorted(pieces)
            return b"".join(data for _, _, data in ordered)[: self.total]
        segs: list[tuple[int, int, int]] = []  # (start, end, piece index): sorted, disjoint
        for idx, (no, ne, _) in enumerate(pieces):
            out: list[tuple[int, int, int]] = []
            cur = no  # first byte of the new piece not yet placed
            for s, e, i in segs:
                if e <= no or s >= ne:
                    if s >= ne and cur < ne:
                        out.append((cur, ne, idx))
                        cur = ne
                    out.append((s, e, i))
                    continue
                if s > cur:
                    out.append((cur, s, idx))
                oo, oe, _ = pieces[i]
                if new_wins(oo, oe, no, ne):
                    if s < no:
                        out.append((s, no, i))
                    out.append((max(s, no), min(e, ne), idx))
                    if e > ne:
                        out.append((ne, e, i))
                else:
                    out.append((s, e, i))
                cur = max(cur, min(e, ne))
            if cur < ne:
                out.append((cur, ne, idx))
            segs = out
        parts = []
        for s, e, i in segs:
            off = pieces[i][0]
            parts.append(pieces[i][2][s - off : e - off])
        return b"".join(parts)[: self.total]


class Defragmenter:
    """Reassembles IPv4 and IPv6 datagrams from fragments (see module docstring).

    Events go on the fragment that causes them, as in Suricata: frag_overlap when it overlaps
    data already held, frag_pkt_too_large when it ends beyond the largest datagram,
    frag_ignored when it cannot be kept. `stats` counts fragments accepted, datagrams
    reassembled, trackers timed out or evicted for memory, overlapping fragments, and
    fragments dropped as too large or ignored.
    """

    def __init__(
        self,
        *,
        max_bytes: int = 32 * 1024 * 1024,
        timeout_us: int = 60_000_000,
        policy: str = "bsd",
        policy_for: Callable[[int, bytes], str] | None = None,
    ) -> None:
        if policy not in POLICIES:
            raise ValueError(f"unknown defrag policy {policy!r}; known: {', '.join(POLICIES)}")
        self.max_bytes = max_bytes
        self.timeout_us = timeout_us
        self.policy = policy
        self._new_wins = POLICIES[policy]
        # per-destination policy (Suricata's host-os-policy); overrides `policy` when given
        self._policy_for = policy_for
        self._trackers: OrderedDict[tuple[object, ...], _Tracker] = OrderedDict()
        self._bytes = 0
        self.stats: dict[str, int] = {
            "fragments": 0,
            "reassembled": 0,
            "timeouts": 0,
            "evicted_memcap": 0,
            "overlaps": 0,
            "too_large": 0,
            "ignored": 0,
        }

    @property
    def bytes_held(self) -> int:
        """Bytes of fragment data and headers currently held."""
        return self._bytes

    @property
    def trackers(self) -> int:
        """Datagrams currently being reassembled."""
        return len(self._trackers)

    def expire(self, now_us: int) -> int:
        """Drop trackers idle for longer than the timeout at packet time `now_us`; how many."""
        trackers = self._trackers
        limit = now_us - self.timeout_us
        n = 0
        while trackers:
            key, tracker = next(iter(trackers.items()))
            if tracker.last_seen >= limit:
                break
            del trackers[key]
            self._bytes -= tracker.nbytes
            n += 1
        self.stats["timeouts"] += n
        return n

    def add(self, pkt: Packet) -> Packet | None:
        """Add one fragment; the decoded reassembled datagram when it completes one, else None."""
        v4 = pkt.ip_version == 4
        data = pkt.data
        l3 = pkt.l3_off
        payload = pkt.payload
        start = pkt.frag_off
        end = start + len(payload)
        now = pkt.ts_us
        self.expire(now)
        if v4:
            hlen = (data[l3] & 0x0F) << 2
            if end + hlen > IPV4_MAXPACKET:
                self._reject(pkt, _V4_TOO_LARGE, "too_large")
                return None
            key: tuple[object, ...] = (4, pkt.src, pkt.dst, pkt.proto, pkt.ip_id, pkt.vlan)
        else:
            if end > IPV6_MAXPAYLOAD:
                self._reject(pkt, _V6_TOO_LARGE, "too_large")
                return None
            key = (6, pkt.src, pkt.dst, pkt.ip_id, pkt.vlan)
        if not payload:
            self.stats["ignored"] += 1
            return None
        header = b""
        if start == 0:
            if v4:
                header = data[l3 : l3 + hlen]
            else:
                nh_pos, fh_off = find_fragment_header(data, l3, l3 + pkt.ip_len)
                if fh_off < 0:
                    self._reject(pkt, _V6_IGNORED, "ignored")
                    return None
                unfrag = bytearray(data[l3:fh_off])
                unfrag[nh_pos - l3] = data[fh_off]
                header = bytes(unfrag)
        size = len(payload) + len(header)
        ignored = _V4_IGNORED if v4 else _V6_IGNORED
        tracker = self._trackers.pop(key, None)  # out of the table, so eviction cannot pick it
        held = 0 if tracker is None else tracker.nbytes
        self._bytes -= held
        if held + size > self.max_bytes:
            # this datagram alone would break the cap: give it up
            if tracker is not None:
                self.stats["evicted_memcap"] += 1
            self._reject(pkt, ignored, "ignored")
            return None
        self._make_room(held + size)
        self._bytes += held
        if tracker is None:
            tracker = _Tracker(now)
        else:
            tracker.last_seen = now
        self._trackers[key] = tracker
        self.stats["fragments"] += 1
        tracker.pieces.append((start, end, payload))
        tracker.nbytes += size
        self._bytes += size
        if header and not tracker.first_header:
            tracker.first_header = header
        if not pkt.frag_mf and tracker.total < 0:
            tracker.total = end
        if tracker.cover(start, end):
            tracker.overlap = True
            self.stats["overlaps"] += 1
            pkt.add_event(_V4_OVERLAP if v4 else _V6_OVERLAP)
        if not tracker.complete() or not tracker.first_header:
            return None
        del self._trackers[key]
        self._bytes -= tracker.nbytes
        self.stats["reassembled"] += 1
        new_wins = self._new_wins
        if self._policy_for is not None:
            new_wins = POLICIES[self._policy_for(pkt.ip_version, pkt.dst)]
        body = tracker.assemble(new_wins)
        out = decode_ip_datagram(now, pkt.pcap_cnt, _build_datagram(tracker.first_header, body, v4))
        out.vlan = pkt.vlan
        out.tunnel_depth = pkt.tunnel_depth
        return out

    def _reject(self, pkt: Packet, event: int, counter: str) -> None:
        pkt.add_event(event)
        self.stats[counter] += 1

    def _make_room(self, size: int) -> None:
        """Evict least recently updated trackers until `size` more bytes fit.

        The caller holds the tracker being added to outside the table meanwhile.
        """
        trackers = self._trackers
        while self._bytes + size > self.max_bytes and trackers:
            self._bytes -= trackers.popitem(last=False)[1].nbytes
            self.stats["evicted_memcap"] += 1


def _build_datagram(header: bytes, body: bytes, v4: bool) -> bytes:
    """Whole datagram from the first fragment's header and the reassembled payload."""
    if v4:
        hdr = bytearray(header)
        _u16.pack_into(hdr, 2, len(hdr) + len(body))
        hdr[6] &= 0x40  # keep DF; clear reserved, MF and the offset
        hdr[7] = 0
        hdr[10] = hdr[11] = 0
        _u16.pack_into(hdr, 10, internet_checksum(bytes(hdr)))
        return bytes(hdr) + body
    hdr = bytearray(header)
    _u16.pack_into(hdr, 4, len(hdr) - 40 + len(body))
    return bytes(hdr) + body
