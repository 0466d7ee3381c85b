"""Prefilters: which rules can possibly match this packet, cheaply.

Step 5 of 10 (detection), the first half of the per-packet work. Rules are
grouped by transport protocol (tcp, udp, icmp, other; `ip` rules join every
group). Per group: Hyperscan block-mode databases over the payload fast
patterns (single-match, caseless for nocase); in the tcp group one for rules
inspecting the packet payload and one for rules inspecting the stream (a rule may
be in both), scanned as Suricata scans them: the stream database over the
packet's stream chunks, or over its payload when it has none and the stream did
not take the payload. For rules without a fast
pattern an address index (elementary intervals over the narrower side of the
header: IP reputation lists become a bisect), a port index (the narrower small
port set of the header) and a residual list filtered by the requirement mask
(`sensor.detect.mask`); a rule whose 1-2 byte fast pattern sent it to the port index
is kept only when its pattern occurs in the data. Fast-pattern hits are filtered by
the requirement mask too. The result is the sorted list of rule numbers to verify.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any

import hyperscan

from sensor.detect.build import CompiledRule
from sensor.detect.fastpattern import FastPattern, hyperscan_expression
from sensor.detect.mask import NEED_FLOW, NEED_PAYLOAD

_GROUP_OF_PROTO = {6: "tcp", 17: "udp", 1: "icmp", 58: "icmp"}
_GROUPS = ("tcp", "udp", "icmp", "other")
# fast patterns this short are routed to the port index when the rule names ports
_SHORT_PATTERN = 2
# an address side covering at most this share of its IP version's space is indexed
_INDEX_MAX_SHARE_BITS = 6  # 1/64


class AddressIndex:
    """Elementary-interval index: address -> rule numbers whose indexed side contains it."""

    def __init__(self) -> None:
        self._entries: dict[int, list[tuple[int, int, int]]] = {4: [], 6: []}
        self._starts: dict[int, list[int]] = {4: [], 6: []}
        self._members: dict[int, list[tuple[int, ...]]] = {4: [], 6: []}
        self._filled = False

    def add(self, version: int, lo: int, hi: int, num: int) -> None:
        self._entries[version].append((lo, hi, num))

    def freeze(self) -> None:
        for version, entries in self._entries.items():
            bounds = sorted({lo for lo, _, _ in entries} | {hi + 1 for _, hi, _ in entries})
            members: list[set[int]] = [set() for _ in bounds]
            for lo, hi, num in entries:
                i = bisect.bisect_left(bounds, lo)
                while i < len(bounds) and bounds[i] <= hi:
                    members[i].add(num)
                    i += 1
            self._starts[version] = bounds
            self._members[version] = [tuple(sorted(m)) for m in members]
        self._entries = {4: [], 6: []}
        self._filled = any(self._starts.values())

    def lookup(self, version: int, addr: int) -> tuple[int, ...]:
        starts = self._starts.get(version)
        if not starts:
            return ()
        i = bisect.bisect_right(starts, addr) - 1
        if i < 0:
            return ()
        return self._members[version][i]

    def __bool__(self) -> bool:
        return self._filled


class RuleGroup:
    """The rules of one transport-protocol group and their prefilters."""

    def __init__(self, name: str, rules: Sequence[CompiledRule]) -> None:
        self.name = name
        self.db: Any = None
        self.stream_db: Any = None
        self.mpm_count = 0
        self.index = AddressIndex()
        self.iponly_index = AddressIndex()
        iponly_residual: list[tuple[int, int]] = []
        ports: dict[int, list[tuple[int, int, bytes | None]]] = {}
        residual: list[tuple[int, int]] = []
        exprs: list[bytes] = []
        ids: list[int] = []
        flags: list[int] = []
        s_exprs: list[bytes] = []
        s_ids: list[int] = []
        s_flags: list[int] = []
        for cr in rules:
            fp = cr.fast_pattern
            needle = None
            if fp is not None and len(fp.pattern) <= _SHORT_PATTERN and _narrow_ports(cr) is not None:
                # a 1-2 byte pattern hits nearly every payload: gate the rule on its ports instead,
                # and on finding its pattern in the data (when case does not matter to it)
                needle = _needle(fp)
                fp = None
            if fp is not None:
                expr, fl = hyperscan_expression(fp)
                if name == "tcp" and cr.require_stream:
                    s_exprs.append(expr)
                    s_ids.append(cr.num)
                    s_flags.append(fl)
                if name != "tcp" or cr.require_packet:
                    exprs.append(expr)
                    ids.append(cr.num)
                    flags.append(fl)
            elif cr.iponly and cr.fast_pattern is None:
                if not _index_rule(self.iponly_index, cr):
                    iponly_residual.append((cr.mask, cr.num))
            else:
                port_set = _narrow_ports(cr)
                if port_set is not None:
                    for port in port_set:
                        ports.setdefault(port, []).append((cr.mask, cr.num, needle))
                elif not _index_rule(self.index, cr):
                    residual.append((cr.mask, cr.num))
        self.index.freeze()
        self.iponly_index.freeze()
        self.residual = tuple(residual)
        self.iponly_residual = tuple(iponly_residual)
        self.by_port = {port: tuple(entries) for port, entries in ports.items()}
        if exprs:
            self.db = _database(exprs, ids, flags)
        if s_exprs:
            self.stream_db = _database(s_exprs, s_ids, s_flags)
        self.mpm_count = len(exprs) + len(s_exprs)


def _needle(fp: FastPattern) -> bytes | None:
    """The bytes a short fast pattern must occur as in the inspected data; None when a nocase
    pattern has letters (its case varies)."""
    pat = fp.pattern
    if fp.nocase and pat.lower() != pat.upper():
        return None
    return pat


def _database(exprs: list[bytes], ids: list[int], flags: list[int]) -> Any:
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    db.compile(expressions=exprs, ids=ids, flags=flags)
    return db


def _index_rule(index: AddressIndex, cr: CompiledRule) -> bool:
    """Index a rule without fast pattern by its narrower address side; False when both are wide."""
    best = None
    for side in (cr.header.src, cr.header.dst):
        if side.is_any:
            continue
        share = max(
            sum(hi - lo + 1 for lo, hi in side.v4) << _INDEX_MAX_SHARE_BITS >> 32,
            sum(hi - lo + 1 for lo, hi in side.v6) << _INDEX_MAX_SHARE_BITS >> 128,
        )
        if share == 0:
            span = sum(hi - lo + 1 for lo, hi in side.v4) + sum(hi - lo + 1 for lo, hi in side.v6)
            if best is None or span < best[0]:
                best = (span, side)
    if best is None:
        return False
    side = best[1]
    for lo, hi in side.v4:
        index.add(4, lo, hi, cr.num)
    for lo, hi in side.v6:
        index.add(6, lo, hi, cr.num)
    return True


def _narrow_ports(cr: CompiledRule) -> frozenset[int] | None:
    """The smaller small port set of the rule's header (either side), None when both are wide."""
    best = None
    for side in (cr.header.sp, cr.header.dp):
        if side is None or side.is_any or side.ports is None:
            continue
        if best is None or len(side.ports) < len(best):
            best = side.ports
    return best


class Prefilter:
    """All groups; `candidates(pkt, pkt_mask)` returns the sorted numbers of the rules whose
    header matches this packet and whose prefilter passed: they are verified without the header.

    The header-keyed part (port and address indexes, residual rules), already
    filtered by each rule's header, depends only on the packet's protocol,
    addresses and ports: it is computed once per flow and endpoint orientation
    and kept on the flow, as Suricata caches the rule group on the flow.
    """

    def __init__(self, rules: Sequence[CompiledRule]) -> None:
        self.rules = rules
        members: dict[str, list[CompiledRule]] = {g: [] for g in _GROUPS}
        for cr in rules:
            protos = cr.protos
            if protos is None:
                for g in _GROUPS:
                    members[g].append(cr)
            else:
                for g in {_GROUP_OF_PROTO.get(pr, "other") for pr in protos}:
                    members[g].append(cr)
        self.groups = {g: RuleGroup(g, members[g]) for g in _GROUPS}
        self._group_of = {proto: self.groups[g] for proto, g in _GROUP_OF_PROTO.items()}
        self._other = self.groups["other"]
        # a fast-pattern hit is verified only when the packet offers what the rule needs;
        # NEED_FLOW is left out as it is not always necessary (sensor.detect.mask)
        self._hit_masks = [cr.mask & ~NEED_FLOW for cr in rules]

    def candidates(self, pkt: Any, pkt_mask: int, iponly_due: bool = True) -> Sequence[int]:
        group = self._group_of.get(pkt.proto, self._other)
        flow = pkt.flow
        verdicts: dict[int, bool] | None = None
        if flow is None:
            static, bare = self._header_candidates(group, pkt)
        else:
            state = flow.detect_state
            cache = state.get("groups")
            if cache is None:
                cache = state["groups"] = {}
            key = (pkt.proto, pkt.src, pkt.dst, pkt.sp, pkt.dp)
            entry = cache.get(key)
            if entry is None:
                entry = cache[key] = (*self._header_candidates(group, pkt), {})
            static, bare, verdicts = entry
        payload = pkt.payload
        chunks = pkt.stream_chunks
        hits: set[int] = set()
        if not payload and chunks is None:
            # nothing to scan: only the static rules that need no payload can match
            if not bare and not iponly_due:
                return ()
            for mask, num in bare:
                if mask & pkt_mask == mask:
                    hits.add(num)
        else:
            # (scan's arguments go by position: the binding parses keywords at ~250 ns a call)
            if payload and group.db is not None:
                group.db.scan(payload, _collect, 0, hits)
            sdb = group.stream_db
            if sdb is not None:
                if chunks is not None:
                    for chunk in chunks:
                        sdb.scan(chunk, _collect, 0, hits)
                elif payload and not pkt.stream_added:
                    sdb.scan(payload, _collect, 0, hits)
            if hits:
                hits = self._kept_hits(hits, pkt, pkt_mask, verdicts)
            for mask, num, needle in static:
                if mask & pkt_mask == mask and (
                    needle is None
                    or needle in payload
                    or (chunks is not None and any(needle in c for c in chunks))
                ):
                    hits.add(num)
        if iponly_due and pkt.ip_version:
            self._add_iponly(group, pkt, pkt_mask, hits)
        if not hits:
            return ()
        return sorted(hits)

    def _kept_hits(self, hits: set[int], pkt: Any, pkt_mask: int, verdicts: dict[int, bool] | None) -> set[int]:
        """The fast-pattern hits whose requirement mask and header the packet meets; the header
        verdict is fixed per flow and endpoint orientation, so it is remembered there."""
        rules = self.rules
        hit_masks = self._hit_masks
        kept = set()
        ok: bool | None
        for n in hits:
            m = hit_masks[n]
            if m & pkt_mask != m:
                continue
            if verdicts is None:
                ok = rules[n].header.match(pkt)
            else:
                ok = verdicts.get(n)
                if ok is None:
                    ok = verdicts[n] = rules[n].header.match(pkt)
            if ok:
                kept.add(n)
        return kept

    def _add_iponly(self, group: RuleGroup, pkt: Any, pkt_mask: int, hits: set[int]) -> None:
        """The IP-only rules due on this packet (the first of its flow direction)."""
        v = pkt.ip_version
        found: set[int] = set()
        if group.iponly_index:
            found.update(group.iponly_index.lookup(v, int.from_bytes(pkt.src, "big")))
            found.update(group.iponly_index.lookup(v, int.from_bytes(pkt.dst, "big")))
        for mask, num in group.iponly_residual:
            if mask & pkt_mask == mask:
                found.add(num)
        rules = self.rules
        hits.update(n for n in found if rules[n].header.match(pkt))

    def _header_candidates(
        self, group: RuleGroup, pkt: Any
    ) -> tuple[tuple[tuple[int, int, bytes | None], ...], tuple[tuple[int, int], ...]]:
        """(mask, num, needle) of the group's non-prefilter rules whose header matches this packet,
        and (mask, num) of those among them that need no payload."""
        needles: dict[int, bytes | None] = {num: None for _, num in group.residual}
        by_port = group.by_port
        if by_port:
            for port in (pkt.sp, pkt.dp):
                entries = by_port.get(port)
                if entries is not None:
                    for _, num, needle in entries:
                        needles[num] = needle
        v = pkt.ip_version
        if v and group.index:
            for found in (
                group.index.lookup(v, int.from_bytes(pkt.src, "big")),
                group.index.lookup(v, int.from_bytes(pkt.dst, "big")),
            ):
                for num in found:
                    needles[num] = None
        if not needles:
            return _NO_STATIC
        rules = self.rules
        static = tuple((rules[n].mask, n, needles[n]) for n in sorted(needles) if rules[n].header.match(pkt))
        return static, tuple((mask, n) for mask, n, _ in static if not mask & NEED_PAYLOAD)


_NO_STATIC: tuple[tuple[tuple[int, int, bytes | None], ...], tuple[tuple[int, int], ...]] = ((), ())


def _collect(rule_id: int, _from: int, _to: int, _flags: int, context: set[int]) -> None:
    context.add(rule_id)
