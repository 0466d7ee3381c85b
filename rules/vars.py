"""Rule variables ($HOME_NET, $HTTP_PORTS) and address/port set algebra.

Load-time only: `sensor.detect.build` resolves each rule header once into an
`AddressMatcher` / `PortMatcher`; the packet loop only calls `.contains()`, which is
a bisect over sorted, merged integer intervals (no parsing, no exceptions).
Negation and groups are folded at resolve time: `[a, !b]` is a minus b, a group of
only negations starts from all addresses of the IP versions it names, `!x` is the
complement within the IP versions x names, as in Suricata (so `!$HOME_NET` holds
no IPv6 address when HOME_NET is IPv4-only).
Undefined or circular variables and empty results raise `RuleError` (keyword "header").
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rules.errors import RuleError
from rules.model import AddressSpec, PortSpec, Rule
from rules.parse import address_interval, parse_address, parse_port

Intervals = tuple[tuple[int, int], ...]

_V4_MAX = (1 << 32) - 1
_V6_MAX = (1 << 128) - 1
_PORT_MAX = 65535
SMALL_PORT_SET = 256  # PortMatcher.ports is filled when the set has at most this many ports

# Suricata 8's shipped suricata.yaml `vars:` section.
DEFAULT_ADDRESS_GROUPS: Mapping[str, str] = {
    "HOME_NET": "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]",
    "EXTERNAL_NET": "!$HOME_NET",
    "HTTP_SERVERS": "$HOME_NET",
    "SMTP_SERVERS": "$HOME_NET",
    "SQL_SERVERS": "$HOME_NET",
    "DNS_SERVERS": "$HOME_NET",
    "TELNET_SERVERS": "$HOME_NET",
    "AIM_SERVERS": "$EXTERNAL_NET",
    "DC_SERVERS": "$HOME_NET",
    "DNP3_SERVER": "$HOME_NET",
    "DNP3_CLIENT": "$HOME_NET",
    "MODBUS_CLIENT": "$HOME_NET",
    "MODBUS_SERVER": "$HOME_NET",
    "ENIP_CLIENT": "$HOME_NET",
    "ENIP_SERVER": "$HOME_NET",
}
DEFAULT_PORT_GROUPS: Mapping[str, str] = {
    "HTTP_PORTS": "80",
    "SHELLCODE_PORTS": "!80",
    "ORACLE_PORTS": "1521",
    "SSH_PORTS": "22",
    "DNP3_PORTS": "20000",
    "MODBUS_PORTS": "502",
    "FILE_DATA_PORTS": "[$HTTP_PORTS,110,143]",
    "FTP_PORTS": "21",
    "GENEVE_PORTS": "6081",
    "VXLAN_PORTS": "4789",
    "TEREDO_PORTS": "3544",
    "SIP_PORTS": "[5060, 5061]",
}


# ------------------------------------------------------------------ interval algebra


def _normalise(intervals: Iterable[tuple[int, int]]) -> Intervals:
    """Sort and merge overlapping or adjacent intervals."""
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(intervals):
        if merged and lo <= merged[-1][1] + 1:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return tuple(merged)


def _complement(intervals: Intervals, top: int) -> Intervals:
    out: list[tuple[int, int]] = []
    nxt = 0
    for lo, hi in intervals:
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = hi + 1
    if nxt <= top:
        out.append((nxt, top))
    return tuple(out)


def _difference(a: Intervals, b: Intervals, top: int) -> Intervals:
    """a minus b (both normalised)."""
    if not a or not b:
        return a
    keep = _complement(b, top)
    out: list[tuple[int, int]] = []
    i = j = 0
    while i < len(a) and j < len(keep):
        lo = max(a[i][0], keep[j][0])
        hi = min(a[i][1], keep[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < keep[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


@dataclass(frozen=True, slots=True)
class _AddressSet:
    """Intervals per IP version, plus which versions the expression named (Suricata keeps
    one list per version, and negation only ever acts within a named version)."""

    v4: Intervals
    v6: Intervals
    named4: bool
    named6: bool

    def minus(self, other: _AddressSet) -> _AddressSet:
        return _AddressSet(
            _difference(self.v4, other.v4, _V4_MAX), _difference(self.v6, other.v6, _V6_MAX),
            self.named4, self.named6,
        )

    def complement(self) -> _AddressSet:
        """Complement within the IP versions this set names (Suricata: `!10.0.0.1` holds no IPv6)."""
        return _AddressSet(
            _complement(self.v4, _V4_MAX) if self.named4 else (),
            _complement(self.v6, _V6_MAX) if self.named6 else (),
            self.named4, self.named6,
        )


def _union_all(sets: list[_AddressSet]) -> _AddressSet:
    return _AddressSet(
        _normalise(iv for s in sets for iv in s.v4), _normalise(iv for s in sets for iv in s.v6),
        any(s.named4 for s in sets), any(s.named6 for s in sets),
    )


def _group(included: list[_AddressSet], excluded: list[_AddressSet]) -> _AddressSet:
    """`[a, b, !c, !d]`, per IP version: the positives named in that version (all of the
    version when only negatives name it) minus the negatives."""
    pos, neg = _union_all(included), _union_all(excluded)
    v4 = pos.v4 if pos.named4 else (((0, _V4_MAX),) if neg.named4 else ())
    v6 = pos.v6 if pos.named6 else (((0, _V6_MAX),) if neg.named6 else ())
    return _AddressSet(
        _difference(v4, neg.v4, _V4_MAX), _difference(v6, neg.v6, _V6_MAX),
        pos.named4 or neg.named4, pos.named6 or neg.named6,
    )


_ALL_ADDRESSES = _AddressSet(((0, _V4_MAX),), ((0, _V6_MAX),), True, True)
_ALL_PORTS: Intervals = ((0, _PORT_MAX),)


# ----------------------------------------------------------------------- matchers


class AddressMatcher:
    """A resolved address set: sorted disjoint [lo, hi] integer intervals per IP version."""

    __slots__ = ("_v4_ends", "_v4_starts", "_v6_ends", "_v6_starts", "is_any", "v4", "v6")

    def __init__(self, v4: Intervals, v6: Intervals) -> None:
        self.v4 = v4
        self.v6 = v6
        self.is_any = v4 == _ALL_ADDRESSES.v4 and v6 == _ALL_ADDRESSES.v6
        self._v4_starts = [lo for lo, _ in v4]
        self._v4_ends = [hi for _, hi in v4]
        self._v6_starts = [lo for lo, _ in v6]
        self._v6_ends = [hi for _, hi in v6]

    def contains(self, version: int, addr: bytes) -> bool:
        """True when the raw address (4 or 16 bytes, network order) is in the set."""
        if self.is_any:
            return True
        value = int.from_bytes(addr, "big")
        if version == 4:
            starts, ends = self._v4_starts, self._v4_ends
        else:
            starts, ends = self._v6_starts, self._v6_ends
        i = bisect_right(starts, value) - 1
        return i >= 0 and value <= ends[i]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AddressMatcher):
            return NotImplemented
        return self.v4 == other.v4 and self.v6 == other.v6

    def __hash__(self) -> int:
        return hash((self.v4, self.v6))

    def __repr__(self) -> str:
        return f"AddressMatcher(v4={len(self.v4)} intervals, v6={len(self.v6)} intervals)"


class PortMatcher:
    """A resolved port set: sorted disjoint [lo, hi] intervals, plus `ports` when small."""

    __slots__ = ("_ends", "_starts", "intervals", "is_any", "ports")

    def __init__(self, intervals: Intervals) -> None:
        self.intervals = intervals
        self.is_any = intervals == _ALL_PORTS
        count = sum(hi - lo + 1 for lo, hi in intervals)
        self.ports: frozenset[int] | None = (
            frozenset(p for lo, hi in intervals for p in range(lo, hi + 1))
            if count <= SMALL_PORT_SET
            else None
        )
        self._starts = [lo for lo, _ in intervals]
        self._ends = [hi for _, hi in intervals]

    def contains(self, port: int) -> bool:
        """True when `port` is in the set."""
        if self.is_any:
            return True
        if self.ports is not None:
            return port in self.ports
        i = bisect_right(self._starts, port) - 1
        return i >= 0 and port <= self._ends[i]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PortMatcher):
            return NotImplemented
        return self.intervals == other.intervals

    def __hash__(self) -> int:
        return hash(self.intervals)

    def __repr__(self) -> str:
        return f"PortMatcher({self.intervals!r})"


# ---------------------------------------------------------------------- var table


class VarTable:
    """Address and port variables by name (without `$`), values as written in YAML.

    Resolved sets and matchers are cached per table, so the thousands of rules that
    say `$HOME_NET` share one matcher.
    """

    def __init__(self, address_groups: Mapping[str, str], port_groups: Mapping[str, str]) -> None:
        self.address_groups: Mapping[str, str] = dict(address_groups)
        self.port_groups: Mapping[str, str] = dict(port_groups)
        self._address_sets: dict[str, _AddressSet] = {}
        self._port_sets: dict[str, Intervals] = {}
        self._address_matchers: dict[AddressSpec, AddressMatcher] = {}
        self._port_matchers: dict[PortSpec, PortMatcher] = {}

    @classmethod
    def defaults(cls) -> VarTable:
        """The variables of Suricata 8's default suricata.yaml."""
        return cls(DEFAULT_ADDRESS_GROUPS, DEFAULT_PORT_GROUPS)

    @classmethod
    def from_mapping(
        cls, address_groups: Mapping[str, object] | None, port_groups: Mapping[str, object] | None
    ) -> VarTable:
        """Build from YAML-loaded mappings: values may be strings, ints or lists."""
        return cls(_as_strings(address_groups, "address"), _as_strings(port_groups, "port"))

    def __repr__(self) -> str:
        return f"VarTable({len(self.address_groups)} address, {len(self.port_groups)} port variables)"

    def _address_var(self, name: str, stack: tuple[str, ...]) -> _AddressSet:
        cached = self._address_sets.get(name)
        if cached is not None:
            return cached
        if name in stack:
            chain = " -> ".join("$" + n for n in (*stack[stack.index(name) :], name))
            raise RuleError(f"circular address variable: {chain}", keyword="header")
        text = self.address_groups.get(name)
        if text is None:
            raise RuleError(f"undefined address variable ${name}", keyword="header")
        try:
            spec = parse_address(text)
        except RuleError as exc:
            raise RuleError(f"in ${name} = {text!r}: {exc.reason}", keyword="header") from None
        result = _resolve_address_set(spec, self, (*stack, name))
        self._address_sets[name] = result
        return result

    def _port_var(self, name: str, stack: tuple[str, ...]) -> Intervals:
        cached = self._port_sets.get(name)
        if cached is not None:
            return cached
        if name in stack:
            chain = " -> ".join("$" + n for n in (*stack[stack.index(name) :], name))
            raise RuleError(f"circular port variable: {chain}", keyword="header")
        text = self.port_groups.get(name)
        if text is None:
            raise RuleError(f"undefined port variable ${name}", keyword="header")
        try:
            spec = parse_port(text)
        except RuleError as exc:
            raise RuleError(f"in ${name} = {text!r}: {exc.reason}", keyword="header") from None
        result = _resolve_port_set(spec, self, (*stack, name))
        self._port_sets[name] = result
        return result


def _as_strings(mapping: Mapping[str, object] | None, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in (mapping or {}).items():
        if isinstance(value, bool) or value is None:
            raise RuleError(f"{what} variable {name} has no usable value ({value!r})", keyword="header")
        if isinstance(value, (list, tuple)):
            out[str(name)] = "[" + ",".join(str(item) for item in value) + "]"
        else:
            out[str(name)] = str(value)
    return out


# --------------------------------------------------------------------- resolution


def resolve_addresses(spec: AddressSpec, vars: VarTable, *, rule: Rule | None = None) -> AddressMatcher:
    """Resolve an address expression against `vars` into a matcher.

    `rule`, when given, fills file/line/sid into a raised `RuleError`.
    """
    matcher = vars._address_matchers.get(spec)
    if matcher is not None:
        return matcher
    try:
        result = _resolve_address_set(spec, vars, ())
        if not result.v4 and not result.v6:
            raise RuleError("address expression matches no address (does it negate 'any'?)", keyword="header")
    except RuleError as exc:
        raise _with_rule(exc, rule) from None
    matcher = AddressMatcher(result.v4, result.v6)
    vars._address_matchers[spec] = matcher
    return matcher


def resolve_ports(spec: PortSpec, vars: VarTable, *, rule: Rule | None = None) -> PortMatcher:
    """Resolve a port expression against `vars` into a matcher (see `resolve_addresses`)."""
    matcher = vars._port_matchers.get(spec)
    if matcher is not None:
        return matcher
    try:
        result = _resolve_port_set(spec, vars, ())
        if not result:
            raise RuleError("port expression matches no port (does it negate 'any'?)", keyword="header")
    except RuleError as exc:
        raise _with_rule(exc, rule) from None
    matcher = PortMatcher(result)
    vars._port_matchers[spec] = matcher
    return matcher


def _with_rule(exc: RuleError, rule: Rule | None) -> RuleError:
    if rule is None:
        return exc
    return exc.with_context(file=rule.file, line=rule.line, sid=rule.sid)


def _resolve_address_set(spec: AddressSpec, table: VarTable, stack: tuple[str, ...]) -> _AddressSet:
    kind = spec.kind
    if kind == "any":
        result = _ALL_ADDRESSES
    elif kind == "var":
        result = table._address_var(spec.value, stack)
    elif kind == "group":
        included = [_resolve_address_set(i, table, stack) for i in spec.items if not i.negated]
        excluded = [_resolve_address_set(_unnegated(i), table, stack) for i in spec.items if i.negated]
        result = _group(included, excluded)
    elif kind in ("ip", "range"):
        version, lo, hi = address_interval(spec.value)
        if version == 4:
            result = _AddressSet(((lo, hi),), (), True, False)
        else:
            result = _AddressSet((), ((lo, hi),), False, True)
    else:
        raise RuleError(f"unknown address kind {kind!r}", keyword="header")
    return result.complement() if spec.negated else result


def _unnegated(spec: AddressSpec) -> AddressSpec:
    return AddressSpec(spec.kind, spec.value, spec.items, False)


def _unnegated_port(spec: PortSpec) -> PortSpec:
    return PortSpec(spec.kind, spec.value, spec.lo, spec.hi, spec.items, False)


def _resolve_port_set(spec: PortSpec, table: VarTable, stack: tuple[str, ...]) -> Intervals:
    kind = spec.kind
    if kind == "any":
        result = _ALL_PORTS
    elif kind == "var":
        result = table._port_var(spec.value, stack)
    elif kind == "group":
        included = [_resolve_port_set(i, table, stack) for i in spec.items if not i.negated]
        excluded = [_resolve_port_set(_unnegated_port(i), table, stack) for i in spec.items if i.negated]
        base = _normalise(iv for ivs in included for iv in ivs) if included else _ALL_PORTS
        result = _difference(base, _normalise(iv for ivs in excluded for iv in ivs), _PORT_MAX)
    elif kind in ("port", "range"):
        if not 0 <= spec.lo <= spec.hi <= _PORT_MAX:
            raise RuleError(f"bad port range {spec.lo}:{spec.hi}", keyword="header")
        result = ((spec.lo, spec.hi),)
    else:
        raise RuleError(f"unknown port kind {kind!r}", keyword="header")
    return _complement(result, _PORT_MAX) if spec.negated else result
