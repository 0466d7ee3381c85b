"""Alert thresholding: the `threshold` / `detection_filter` keywords and threshold.config.

Step 5 of 10 (detect), after a rule fully matched. The engine first runs the rule's
post-match actions (flowbits set/unset/toggle, flowint = + -) *unconditionally*, then asks
`ThresholdEngine.allow()`, then applies the rule's action only if `verdict.apply_action`
(using `verdict.action` when a rate_filter changed it) and emits an alert only if
`verdict.alert` and the rule has no `noalert`. Order inside `allow()` is Suricata's: non-IP
packets skip thresholding; suppress entries first; then the rule's one threshold item.
Time is packet time (`now_us`); tracker tables evict expired entries by packet time and hold
at most `max_entries` (oldest evicted first), both counted. Never raises per packet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from rules.thresholdconfig import ThresholdEntry
from rules.vars import VarTable
from sensor.decode.packet import Packet
from sensor.errors import ConfigError, RuleCompileError, UnsupportedRule

_US = 1_000_000
_UINT32_MAX = 0xFFFFFFFF
_SWEEP_INTERVAL_US = _US  # scan for expired trackers at most once per second of packet time

# limit types
_LIMIT, _THRESHOLD, _BOTH, _BACKOFF, _DETECTION, _RATE = range(6)
_TYPE_NAMES = {"limit": _LIMIT, "threshold": _THRESHOLD, "both": _BOTH, "backoff": _BACKOFF}
# tracks
_SRC, _DST, _BOTH_IPS, _RULE, _FLOW, _EITHER = range(6)
_TRACKS = {"by_src": _SRC, "by_dst": _DST, "by_both": _BOTH_IPS, "by_rule": _RULE, "by_flow": _FLOW}
_SUPPRESS_TRACKS = {"by_src": _SRC, "by_dst": _DST, "by_either": _EITHER}
_NEW_ACTIONS = frozenset({"alert", "drop", "pass", "reject", "sdrop", "log"})
_KINDS = frozenset({"threshold", "event_filter", "suppress", "rate_filter"})


class AddressContains(Protocol):
    """A resolved address set, e.g. `rules.vars.resolve_addresses(spec, vars)`."""

    def contains(self, version: int, addr: bytes) -> bool: ...


@dataclass(frozen=True, slots=True)
class AlertVerdict:
    """What to do with a fully matched rule: emit an alert? apply the rule's action?
    `action` is the replacement action set by an active rate_filter, else None."""

    alert: bool
    apply_action: bool
    action: str | None = None


ALERT = AlertVerdict(True, True)
SILENT = AlertVerdict(False, True)  # Suricata's "silent match": action applies, no alert
DISCARD = AlertVerdict(False, False)  # below the threshold: neither alert nor action


@dataclass(frozen=True, slots=True)
class _Limit:
    """A compiled threshold item: rule threshold/detection_filter or config threshold/rate_filter."""

    type: int
    track: int
    count: int
    window_us: int
    multiplier: int = 0
    timeout_s: int = 0
    changed: AlertVerdict = ALERT  # rate_filter: the verdict while the new action is active


@dataclass(frozen=True, slots=True)
class _Suppress:
    track: int
    addresses: AddressContains

    def matches(self, pkt: Packet) -> bool:
        version = 4 if len(pkt.src) == 4 else 6
        if self.track == _SRC:
            return self.addresses.contains(version, pkt.src)
        if self.track == _DST:
            return self.addresses.contains(version, pkt.dst)
        return self.addresses.contains(version, pkt.src) or self.addresses.contains(version, pkt.dst)


@dataclass(frozen=True, slots=True)
class _Plan:
    """Everything that decides one rule's verdict, resolved once per (gid, sid)."""

    suppress_all: bool
    suppress: tuple[_Suppress, ...]
    limit: _Limit | None


_EMPTY_PLAN = _Plan(False, (), None)


class _Tracker:
    """Per-key state: window start, match count, rate_filter activation, backoff target."""

    __slots__ = ("active_s", "count", "flow", "limit", "next_alert", "start_us")

    def __init__(self, limit: _Limit, now_us: int, flow: Any) -> None:
        self.limit = limit
        self.start_us = now_us
        self.count = 1
        self.active_s = -1
        self.next_alert = 0
        self.flow = flow

    def expired(self, now_us: int) -> bool:
        limit = self.limit
        if limit.type == _BACKOFF:
            return False
        if now_us < self.start_us + limit.window_us:
            return False
        return self.active_s < 0 or now_us // _US - self.active_s > limit.timeout_s


class ThresholdEngine:
    """Decides, per fully matched rule, whether it alerts and whether its action applies."""

    def __init__(
        self,
        global_entries: Sequence[ThresholdEntry] = (),
        *,
        variables: VarTable | None = None,
        max_entries: int = 65536,
    ) -> None:
        if max_entries < 1:
            raise ConfigError("threshold max_entries must be at least 1")
        self.max_entries = max_entries
        self.expired_total = 0
        self.evicted_full_total = 0
        self._rule_limits: dict[tuple[int, int], _Limit] = {}
        # threshold.config, kept in file order: (position, is_specific_threshold, limit)
        self._specific: dict[tuple[int, int], list[tuple[int, bool, _Limit]]] = {}
        self._wildcard: list[tuple[int, int, _Limit]] = []  # (position, gen_id or 0, limit)
        self._suppress_specific: dict[tuple[int, int], list[_Suppress | None]] = {}
        self._suppress_wildcard: list[tuple[int, _Suppress | None]] = []
        self._plans: dict[tuple[int, int], _Plan] = {}
        self._table: dict[tuple[int, int, Any], _Tracker] = {}
        self._flow_keys: dict[int, set[tuple[int, int, Any]]] = {}
        self._next_sweep_us = 0
        self._variables = variables if variables is not None else VarTable({}, {})
        for position, entry in enumerate(global_entries):
            try:
                self._add_entry(position, entry)
            except ValueError as exc:
                raise ConfigError(
                    f"threshold.config {entry.kind} gen_id {entry.gen_id}, sig_id {entry.sig_id}: {exc}"
                ) from exc
        # True when threshold.config has entries: then every matching rule consults allow()
        self.active = bool(global_entries)

    # ---- load time ------------------------------------------------------------------

    def add_rule_threshold(self, sid: int, gid: int, value: str | None, kind: str) -> None:
        """Compile a rule's `threshold:` or `detection_filter:` option (kind names which)."""
        if kind not in ("threshold", "detection_filter"):
            raise RuleCompileError(kind, "not a thresholding keyword")
        if (gid, sid) in self._rule_limits:
            raise RuleCompileError(kind, "a rule takes at most one threshold or detection_filter")
        self._rule_limits[(gid, sid)] = _parse_rule_option(value, kind)
        self._plans.pop((gid, sid), None)

    def _add_entry(self, position: int, entry: ThresholdEntry) -> None:
        if entry.kind not in _KINDS:
            raise ValueError(f"unknown entry kind {entry.kind!r}")
        if entry.gen_id < 0 or entry.sig_id < 0:
            raise ValueError("gen_id and sig_id must not be negative")
        if entry.gen_id == 0 and entry.sig_id != 0:
            raise ValueError("sig_id > 0 needs a gen_id > 0")
        key = (entry.gen_id, entry.sig_id)
        if entry.kind == "suppress":
            suppress = _compile_suppress(entry, self._variables)
            if entry.sig_id == 0:
                self._suppress_wildcard.append((entry.gen_id, suppress))
            else:
                self._suppress_specific.setdefault(key, []).append(suppress)
            return
        limit = _compile_rate_filter(entry) if entry.kind == "rate_filter" else _compile_event_filter(entry)
        if entry.sig_id == 0:
            self._wildcard.append((position, entry.gen_id, limit))
        else:
            self._specific.setdefault(key, []).append((position, entry.kind != "rate_filter", limit))

    def _resolve(self, gid: int, sid: int) -> _Plan:
        """Suricata's precedence, replayed in threshold.config order over one slot: a
        sig-specific threshold/event_filter replaces whatever is there (the rule's own
        threshold or detection_filter included); a sig-specific rate_filter and the
        sig_id 0 wildcards only fill an empty slot."""
        limit = self._rule_limits.get((gid, sid))
        steps = [(pos, replace, lim) for pos, replace, lim in self._specific.get((gid, sid), ())]
        steps += [(pos, False, lim) for pos, wgid, lim in self._wildcard if wgid in (0, gid)]
        for _pos, replace, candidate in sorted(steps, key=lambda step: step[0]):
            if replace or limit is None:
                limit = candidate
        suppress = list(self._suppress_specific.get((gid, sid), ()))
        suppress += [s for wgid, s in self._suppress_wildcard if wgid in (0, gid)]
        by_ip = tuple(s for s in suppress if s is not None)
        suppress_all = len(by_ip) != len(suppress)
        plan = _Plan(suppress_all, by_ip, limit) if (suppress or limit) else _EMPTY_PLAN
        self._plans[(gid, sid)] = plan
        return plan

    # ---- per match --------------------------------------------------------------------

    def allow(self, sid: int, gid: int, pkt: Packet, now_us: int) -> AlertVerdict:
        """Verdict for rule (gid, sid) that fully matched `pkt` at packet time `now_us`."""
        plan = self._plans.get((gid, sid))
        if plan is None:
            plan = self._resolve(gid, sid)
        if plan is _EMPTY_PLAN:
            return ALERT
        if not pkt.src:  # Suricata applies no suppress/threshold to non-IP packets
            return SILENT if plan.suppress_all else ALERT
        for suppress in plan.suppress:
            if suppress.matches(pkt):
                return SILENT
        verdict = ALERT if plan.limit is None else self._track(plan.limit, gid, sid, pkt, now_us)
        if plan.suppress_all and verdict.alert:
            return SILENT if verdict is ALERT else AlertVerdict(False, True, verdict.action)
        return verdict

    def _track(self, limit: _Limit, gid: int, sid: int, pkt: Packet, now_us: int) -> AlertVerdict:
        if now_us >= self._next_sweep_us:
            self._sweep(now_us)
            self._next_sweep_us = now_us + _SWEEP_INTERVAL_US
        track = limit.track
        flow = None
        if track == _SRC:
            where: Any = pkt.src
        elif track == _DST:
            where = pkt.dst
        elif track == _BOTH_IPS:
            where = (pkt.src, pkt.dst) if pkt.src <= pkt.dst else (pkt.dst, pkt.src)
        elif track == _RULE:
            where = None
        else:
            flow = pkt.flow
            if flow is None:
                return DISCARD
            where = id(flow)
        key = (gid, sid, where)
        entry = self._table.get(key)
        if entry is None:
            return self._first_match(key, limit, now_us, flow)
        kind = limit.type
        if kind == _BACKOFF:
            entry.count += 1
            if entry.count == entry.next_alert:
                entry.next_alert *= limit.multiplier
                return ALERT
            return SILENT
        if kind == _RATE:
            return self._rate(entry, limit, now_us)
        if now_us >= entry.start_us + limit.window_us:  # window over: start a new one
            entry.start_us = now_us
            entry.count = 1
            if kind == _LIMIT or (kind == _BOTH and limit.count == 1):
                return ALERT
            return DISCARD
        entry.count += 1
        if kind == _LIMIT:
            return ALERT if entry.count <= limit.count else SILENT
        if kind == _THRESHOLD:
            if entry.count >= limit.count:
                entry.count = 0
                return ALERT
            return DISCARD
        if kind == _BOTH:
            if entry.count == limit.count:
                return ALERT
            return SILENT if entry.count > limit.count else DISCARD
        return ALERT if entry.count > limit.count else DISCARD  # detection_filter

    def _first_match(self, key: tuple[int, int, Any], limit: _Limit, now_us: int, flow: Any) -> AlertVerdict:
        kind = limit.type
        if kind == _THRESHOLD and limit.count == 1:
            return ALERT  # every match is the Cth: nothing to track
        entry = self._insert(key, limit, now_us, flow)
        if kind == _BACKOFF:
            entry.next_alert = limit.count * limit.multiplier if limit.count == 1 else limit.count
            return ALERT if limit.count == 1 else DISCARD
        if kind in (_LIMIT, _RATE) or (kind == _BOTH and limit.count == 1):
            return ALERT
        return DISCARD

    @staticmethod
    def _rate(entry: _Tracker, limit: _Limit, now_us: int) -> AlertVerdict:
        now_s = now_us // _US
        if entry.active_s >= 0:
            if now_s - entry.active_s > limit.timeout_s:
                entry.active_s = -1  # timeout over: this match keeps the rule's own action
                return ALERT
            return limit.changed
        if now_us < entry.start_us + limit.window_us:
            entry.count += 1
            if entry.count > limit.count:
                entry.active_s = now_s
                return limit.changed
            return ALERT
        entry.start_us = now_us
        entry.count = 1
        return ALERT

    # ---- bounded memory ---------------------------------------------------------------

    @property
    def size(self) -> int:
        """Number of live tracker entries."""
        return len(self._table)

    def release_flow(self, flow: object) -> None:
        """Forget by_flow trackers of a flow that ended (the flow table calls this)."""
        for key in self._flow_keys.pop(id(flow), ()):
            self._table.pop(key, None)

    def _insert(self, key: tuple[int, int, Any], limit: _Limit, now_us: int, flow: Any) -> _Tracker:
        if len(self._table) >= self.max_entries:
            self._sweep(now_us)
            while len(self._table) >= self.max_entries:
                oldest = next(iter(self._table))
                self._delete(oldest, self._table[oldest])
                self.evicted_full_total += 1
        entry = _Tracker(limit, now_us, flow)
        self._table[key] = entry
        if flow is not None:
            self._flow_keys.setdefault(id(flow), set()).add(key)
        return entry

    def _sweep(self, now_us: int) -> None:
        expired = [(key, entry) for key, entry in self._table.items() if entry.expired(now_us)]
        for key, entry in expired:
            self._delete(key, entry)
        self.expired_total += len(expired)

    def _delete(self, key: tuple[int, int, Any], entry: _Tracker) -> None:
        del self._table[key]
        if entry.flow is not None:
            keys = self._flow_keys.get(id(entry.flow))
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._flow_keys[id(entry.flow)]


# ---- compiling options and entries -------------------------------------------------------


def _parse_rule_option(value: str | None, kind: str) -> _Limit:
    """`type limit, track by_src, count 1, seconds 60` (threshold, any order; backoff takes
    `multiplier M` instead of seconds and needs by_flow) or `track .., count .., seconds ..`
    (detection_filter; count and seconds must be > 0)."""
    if value is None or not value.strip():
        raise RuleCompileError(kind, "needs arguments")
    fields: dict[str, str] = {}
    for part in value.split(","):
        words = part.split()
        if len(words) != 2:
            raise RuleCompileError(kind, f"expected '<name> <value>', got {part.strip()!r}")
        name, val = words
        if name in fields:
            raise RuleCompileError(kind, f"{name} given twice")
        fields[name] = val
    if kind == "detection_filter":
        if "unique_on" in fields:
            raise UnsupportedRule(kind, "unique_on is not supported")
        _only(kind, fields, ("track", "count", "seconds"))
        limit_type = _DETECTION
    else:
        _only(kind, fields, ("type", "track", "count", "seconds", "multiplier"))
        if "type" not in fields or fields["type"] not in _TYPE_NAMES:
            raise RuleCompileError(kind, "type must be one of limit, threshold, both, backoff")
        limit_type = _TYPE_NAMES[fields["type"]]
    track = _TRACKS.get(fields.get("track", ""))
    if track is None:
        raise RuleCompileError(kind, f"track must be one of {', '.join(_TRACKS)}")
    count = _uint(kind, fields, "count")
    if count == 0:
        raise RuleCompileError(kind, "count must be greater than 0")
    if limit_type == _BACKOFF:
        if track != _FLOW:
            raise RuleCompileError(kind, "type backoff needs track by_flow")
        if "seconds" in fields:
            raise RuleCompileError(kind, "type backoff takes multiplier, not seconds")
        multiplier = _uint(kind, fields, "multiplier")
        if multiplier < 2:
            raise RuleCompileError(kind, "multiplier must be at least 2")
        return _Limit(_BACKOFF, track, count, 0, multiplier=multiplier)
    if "multiplier" in fields:
        raise RuleCompileError(kind, "multiplier is only valid with type backoff")
    seconds = _uint(kind, fields, "seconds")
    if limit_type == _DETECTION and seconds == 0:
        raise RuleCompileError(kind, "seconds must be greater than 0")
    return _Limit(limit_type, track, count, seconds * _US)


def _only(kind: str, fields: Mapping[str, str], allowed: tuple[str, ...]) -> None:
    for name in fields:
        if name not in allowed:
            raise RuleCompileError(kind, f"unknown setting {name!r}")


def _uint(kind: str, fields: Mapping[str, str], name: str) -> int:
    text = fields.get(name)
    if text is None:
        raise RuleCompileError(kind, f"{name} is required")
    if not text.isdigit() or int(text) > _UINT32_MAX:
        raise RuleCompileError(kind, f"{name} must be an integer 0..{_UINT32_MAX}, got {text!r}")
    return int(text)


def _require(value: int | None, name: str, minimum: int) -> int:
    if value is None:
        raise ValueError(f"{name} is required")
    if not minimum <= value <= _UINT32_MAX:
        raise ValueError(f"{name} must be in {minimum}..{_UINT32_MAX}, got {value}")
    return value


def _compile_event_filter(entry: ThresholdEntry) -> _Limit:
    limit_type = _TYPE_NAMES.get(entry.type or "")
    if limit_type is None:
        raise ValueError(f"type must be one of {', '.join(_TYPE_NAMES)}")
    track = _TRACKS.get(entry.track or "")
    if track is None:
        raise ValueError(f"track must be one of {', '.join(_TRACKS)}")
    count = _require(entry.count, "count", 1)
    if limit_type == _BACKOFF:
        if track != _FLOW or entry.seconds is not None:
            raise ValueError("type backoff needs track by_flow and a multiplier instead of seconds")
        return _Limit(_BACKOFF, track, count, 0, multiplier=_require(entry.multiplier, "multiplier", 2))
    if entry.multiplier is not None:
        raise ValueError("multiplier is only valid with type backoff")
    seconds = _require(entry.seconds, "seconds", 0)
    return _Limit(limit_type, track, count, seconds * _US)


def _compile_rate_filter(entry: ThresholdEntry) -> _Limit:
    track = _TRACKS.get(entry.track or "")
    if track is None:
        raise ValueError(f"track must be one of {', '.join(_TRACKS)}")
    if entry.new_action not in _NEW_ACTIONS:
        raise ValueError(f"new_action must be one of {', '.join(sorted(_NEW_ACTIONS))}")
    count = _require(entry.count, "count", 1)
    seconds = _require(entry.seconds, "seconds", 0)
    timeout = _require(entry.timeout, "timeout", 0)
    # Suricata parses sdrop and log but does not implement them: the action stays as it is.
    changed = ALERT if entry.new_action in ("sdrop", "log") else AlertVerdict(True, True, entry.new_action)
    return _Limit(_RATE, track, count, seconds * _US, timeout_s=timeout, changed=changed)


def _compile_suppress(entry: ThresholdEntry, variables: VarTable) -> _Suppress | None:
    """None means "suppress every alert of the rule" (no track given)."""
    if entry.track is None:
        if entry.ip is not None:
            raise ValueError("ip needs a track (by_src, by_dst or by_either)")
        return None
    track = _SUPPRESS_TRACKS.get(entry.track)
    if track is None:
        raise ValueError(f"suppress track must be one of {', '.join(_SUPPRESS_TRACKS)}")
    if entry.ip is None:
        raise ValueError(f"track {entry.track} needs an ip")
    ip = entry.resolve_ip(variables)
    assert ip is not None
    return _Suppress(track, ip)
