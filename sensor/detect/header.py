"""Rule header compilation: protocol, addresses, ports and direction -> one closure.

Step 5 of 10 (detection), load-time part. `compile_header` resolves the
header's variables against the VarTable and returns a `HeaderMatch` whose
`match(pkt)` is the first check every candidate rule runs. Protocols that need
app-layer parsing are reported as unsupported here, by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from rules.model import AddressSpec, Header
from rules.parse import parse_address
from rules.vars import VarTable, resolve_addresses, resolve_ports
from sensor.errors import RuleCompileError, UnsupportedRule

# header protocol -> (IP protocols or None for any, required IP version or 0, needs IP)
_PROTOCOLS: dict[str, tuple[frozenset[int] | None, int, bool]] = {
    "ip": (None, 0, True),
    "pkthdr": (None, 0, False),
    "ipv4": (None, 4, True),
    "ip4": (None, 4, True),
    "ipv6": (None, 6, True),
    "ip6": (None, 6, True),
    "tcp": (frozenset({6}), 0, True),
    "tcp-pkt": (frozenset({6}), 0, True),
    "tcp-stream": (frozenset({6}), 0, True),
    "udp": (frozenset({17}), 0, True),
    "icmp": (frozenset({1, 58}), 0, True),
    "icmpv4": (frozenset({1}), 0, True),
    "icmpv6": (frozenset({58}), 0, True),
    "sctp": (frozenset({132}), 0, True),
}
_PORTED = frozenset({6, 17, 132})

# app-layer protocols Suricata accepts in a rule header (parsed, matched once app-layer parsing lands)
APP_LAYER_PROTOCOLS = frozenset(
    ["http", "http1", "http2", "dns", "dns-udp", "dns-tcp", "doh2", "tls", "ssl", "ssh", "smtp", "ftp", "ftp-data", "smb", "dcerpc", "dhcp", "dnp3", "enip", "cip", "modbus", "nfs", "ntp", "tftp", "ikev2", "ike", "krb5", "snmp", "sip", "rfb", "mqtt", "rdp", "pgsql", "telnet", "bittorrent-dht", "quic", "websocket", "ldap", "pop3", "imap", "mdns", "template", "failed"]
)


PacketMatch = Callable[[Any], bool]


@dataclass(frozen=True, slots=True)
class HeaderMatch:
    """The compiled header: what the prefilter groups on, and the exact check."""

    protos: frozenset[int] | None  # IP protocols, None = any
    ip_version: int  # 0 = any
    needs_ip: bool
    src_any: bool
    dst_any: bool
    sp_any: bool
    dp_any: bool
    bidirectional: bool
    match: PacketMatch
    src: Any
    dst: Any
    negated_address: bool = False
    sp: Any = None
    dp: Any = None


def compile_header(header: Header, variables: VarTable) -> HeaderMatch:
    """Resolve and compile a rule header; raises UnsupportedRule / RuleCompileError."""
    proto_name = header.proto.lower()
    if proto_name not in _PROTOCOLS:
        base = proto_name.split(":", 1)[0]
        if base in APP_LAYER_PROTOCOLS:
            raise UnsupportedRule("protocol", f"app-layer protocol {header.proto!r} is not matched yet (app-layer issue)")
        raise RuleCompileError("protocol", f"unknown protocol {header.proto!r}")
    protos, version, needs_ip = _PROTOCOLS[proto_name]
    if header.direction not in ("->", "<>"):
        raise UnsupportedRule("direction", f"direction {header.direction!r} (transactional rules) is not supported")
    src = resolve_addresses(header.src, variables)
    dst = resolve_addresses(header.dst, variables)
    sp = resolve_ports(header.sp, variables)
    dp = resolve_ports(header.dp, variables)
    bidir = header.direction == "<>"
    match = _header_closure(protos, version, needs_ip, src, dst, sp, dp, bidir)
    negated = _has_negation(header.src, variables, ()) or _has_negation(header.dst, variables, ())
    return HeaderMatch(
        protos, version, needs_ip, src.is_any, dst.is_any, sp.is_any, dp.is_any, bidir, match, src, dst, negated, sp, dp
    )


def _has_negation(spec: AddressSpec, variables: VarTable, seen: tuple[str, ...]) -> bool:
    """True when the address expression, with its variables expanded, negates anything."""
    if spec.negated:
        return True
    if spec.kind == "var" and spec.value not in seen and spec.value in variables.address_groups:
        expanded = parse_address(variables.address_groups[spec.value])
        return _has_negation(expanded, variables, (*seen, spec.value))
    return any(_has_negation(item, variables, seen) for item in spec.items)


def _header_closure(
    protos: frozenset[int] | None, version: int, needs_ip: bool, src: Any, dst: Any, sp: Any, dp: Any, bidir: bool
) -> PacketMatch:
    """Build the per-packet header check as one function with only the tests this header needs."""
    min_version = 1 if needs_ip else 0
    ports_matter = not (sp.is_any and dp.is_any)
    src_c = None if src.is_any else src.contains
    dst_c = None if dst.is_any else dst.contains
    sp_c = _port_test(sp)
    dp_c = _port_test(dp)

    def oriented(p: Any, a_port: int, b_port: int, a_addr: bytes, b_addr: bytes) -> bool:
        if sp_c is not None and not sp_c(a_port):
            return False
        if dp_c is not None and not dp_c(b_port):
            return False
        if src_c is not None and not src_c(p.ip_version, a_addr):
            return False
        return dst_c is None or dst_c(p.ip_version, b_addr)

    plain = not ports_matter and src_c is None and dst_c is None

    def match(p: Any) -> bool:
        v = p.ip_version
        if v < min_version or (version and v != version):
            return False
        if protos is not None and p.proto not in protos:
            return False
        if plain:
            return True
        if ports_matter and p.proto not in _PORTED:
            return False
        if oriented(p, p.sp, p.dp, p.src, p.dst):
            return True
        return bidir and oriented(p, p.dp, p.sp, p.dst, p.src)

    return match


def _port_test(ports: Any) -> Callable[[int], bool] | None:
    """The port set's membership test (a set lookup for small sets), None for any port."""
    if ports.is_any:
        return None
    if ports.ports is not None:
        return cast(Callable[[int], bool], ports.ports.__contains__)
    return cast(Callable[[int], bool], ports.contains)
