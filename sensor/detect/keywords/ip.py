"""IP header keywords: ttl, tos, id, ip_proto, sameip, fragbits, fragoffset.

Each setup parses the option value once (errors name the keyword) and returns
a closure over the decoded Packet; the closure only reads fields. Value syntax
and matching as Suricata 8.0.8 has them (confirmed against the real engine):

  ttl         integer keyword (sensor.detect.keywords.numeric); IPv4 TTL or IPv6 hop limit.
  tos         `[!]N` with 1-3 decimal digits or `[!]xNN` / `[!]XNN` hex (no `0x`), 0..255,
              optionally quoted after the `!`; IPv4 only.
  id          1-5 decimal digits, 0..65535, nothing else; IPv4 only.
  ip_proto    `[!<>]N` (decimal) or `[!<>]name`, optionally quoted as a whole.
  fragbits    `[+*!]` then M, D, R (uppercase); anything after the letters is ignored
              (`D+` is exact D). exact: the bits equal the list; `+`: all of them and at
              least one more; `*`: any of them; `!`: not all of them. IPv4 only.
  fragoffset  `[<>]N` decimal 0..65535 (no `!`; anything after the digits is ignored).
              IPv4 compares the header's raw field (units of 8 bytes); IPv6 the fragment
              header's offset in bytes, and a packet without a fragment header never matches.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sensor.decode.ipv6 import find_fragment_header
from sensor.decode.packet import Packet
from sensor.detect.keywords.numeric import parse_decimal, parse_uint
from sensor.detect.keywords.registry import PacketCheck, register
from sensor.errors import RuleCompileError

_IP_PROTO_NAMES = {
    "ip": 0, "hopopt": 0, "icmp": 1, "igmp": 2, "ggp": 3, "ipencap": 4, "ipip": 4, "st": 5, "tcp": 6,
    "egp": 8, "igp": 9, "pup": 12, "udp": 17, "hmp": 20, "xns-idp": 22, "rdp": 27, "iso-tp4": 29,
    "dccp": 33, "xtp": 36, "ddp": 37, "idpr-cmtp": 38, "ipv6": 41, "ipv6-route": 43, "ipv6-frag": 44,
    "idrp": 45, "rsvp": 46, "gre": 47, "esp": 50, "ah": 51, "skip": 57, "ipv6-icmp": 58, "icmpv6": 58,
    "ipv6-nonxt": 59, "ipv6-opts": 60, "rspf": 73, "vmtp": 81, "eigrp": 88, "ospf": 89, "ax.25": 93,
    "ipip4": 94, "etherip": 97, "encap": 98, "pim": 103, "ipcomp": 108, "vrrp": 112, "l2tp": 115,
    "isis": 124, "sctp": 132, "fc": 133, "mobility-header": 135, "udplite": 136, "mpls-in-ip": 137,
    "manet": 138, "hip": 139, "shim6": 140, "wesp": 141, "rohc": 142,
}
_TOS_RE = re.compile(r'^(!?)\s*(?:"(.*)"|([^"]*))$', re.DOTALL)
_TOS_VALUE = re.compile(r"^\s*(?:([0-9]{1,3})|[xX]([0-9a-fA-F]{1,2}))\s*$")
_ID_RE = re.compile(r"^[0-9]{1,5}$")
_IP_PROTO_RE = re.compile(r"^([!<>]?)\s*(\S+)$")
_FRAGBITS = {"M": 0x1, "D": 0x2, "R": 0x4}
_FRAGBITS_RE = re.compile(r"^([!+*]?)\s*([MDR]+)")
_FRAGOFFSET_RE = re.compile(r"^([<>]?)\s*([0-9]+)")


@register("ttl", "packet", "IPv4 TTL / IPv6 hop limit (integer keyword)")
def setup_ttl(value: str | None) -> PacketCheck:
    pred = parse_uint(value, "ttl", 255)
    return lambda p: p.ip_version != 0 and pred(p.ttl)


@register("tos", "packet", "IPv4 type-of-service byte: tos:[!]N (decimal, or hex as xNN)")
def setup_tos(value: str | None) -> PacketCheck:
    m = _TOS_RE.match((value or "").strip())
    inner = m and _TOS_VALUE.match(m.group(2) if m.group(2) is not None else m.group(3))
    if not m or not inner:
        raise RuleCompileError("tos", f"invalid value {value!r}: [!]N (1-3 digits) or [!]xNN expected")
    if inner.group(1) is not None:
        n = parse_decimal(inner.group(1), "tos", 255)
    else:
        n = int(inner.group(2), 16)
    if m.group(1):
        return lambda p: p.ip_version == 4 and p.tos != n
    return lambda p: p.ip_version == 4 and p.tos == n


@register("id", "packet", "IPv4 identification field equals N (decimal)")
def setup_id(value: str | None) -> PacketCheck:
    text = (value or "").strip()
    if not _ID_RE.match(text):
        raise RuleCompileError("id", f"invalid value {value!r}: decimal number of 1-5 digits expected")
    n = parse_decimal(text, "id", 65535)
    return lambda p: p.ip_version == 4 and p.ip_id == n


@register("ip_proto", "packet", "IP protocol of the transport header: ip_proto:[!<>]N or a protocol name")
def setup_ip_proto(value: str | None) -> PacketCheck:
    op, n = _parse_ip_proto(value)
    if op == "!":
        return lambda p: p.ip_version != 0 and p.proto != n
    if op == "<":
        return lambda p: p.ip_version != 0 and 0 <= p.proto < n
    if op == ">":
        return lambda p: p.ip_version != 0 and p.proto > n
    return lambda p: p.ip_version != 0 and p.proto == n


def ip_proto_protocols(value: str | None) -> frozenset[int]:
    """The IP protocols an ip_proto option admits: the rule can match no other (load time,
    for grouping rules by protocol as Suricata narrows a signature's protocol with it)."""
    op, n = _parse_ip_proto(value)
    if op == "!":
        return frozenset(range(256)) - {n}
    if op == "<":
        return frozenset(range(n))
    if op == ">":
        return frozenset(range(n + 1, 256))
    return frozenset({n})


def _parse_ip_proto(value: str | None) -> tuple[str, int]:
    """(operator, protocol number) of an ip_proto value; the operator is '', '!', '<' or '>'."""
    text = (value or "").strip()
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        text = text[1:-1]
    m = _IP_PROTO_RE.match(text)
    if not m:
        raise RuleCompileError("ip_proto", f"invalid value {value!r}")
    op, name = m.groups()
    if name[0] in "0123456789":
        n = parse_decimal(name, "ip_proto", 255)
    elif name.lower() in _IP_PROTO_NAMES:
        n = _IP_PROTO_NAMES[name.lower()]
    else:
        raise RuleCompileError("ip_proto", f"unknown protocol {name!r}")
    return op, n


@register("sameip", "packet", "source and destination address are the same", needs_value=False)
def setup_sameip(value: str | None) -> PacketCheck:
    if value:
        raise RuleCompileError("sameip", "takes no value")
    return lambda p: p.ip_version != 0 and p.src == p.dst


@register("fragbits", "packet", "IPv4 fragmentation bits M (more), D (don't), R (reserved) with + * ! modifiers")
def setup_fragbits(value: str | None) -> PacketCheck:
    m = _FRAGBITS_RE.match((value or "").strip())
    if not m:
        raise RuleCompileError("fragbits", f"invalid value {value!r}")
    want = 0
    for ch in m.group(2):
        want |= _FRAGBITS[ch]
    test = _fragbits_test(m.group(1), want)
    return lambda p: p.ip_version == 4 and test(_ipv4_fragbits(p))


def _fragbits_test(mod: str, want: int) -> Callable[[int], bool]:
    """The modifier's comparison of a packet's fragment bits with `want`."""
    if mod == "+":
        return lambda bits: bits & want == want and bits != want
    if mod == "*":
        return lambda bits: bits & want != 0
    if mod == "!":
        return lambda bits: bits & want != want
    return lambda bits: bits == want


def _ipv4_fragbits(p: Packet) -> int:
    """R/D/M bits of an IPv4 header, read from the frame (bit values as in _FRAGBITS)."""
    off = p.l3_off
    if off < 0 or len(p.data) < off + 8:
        return 0
    return p.data[off + 6] >> 5


@register("fragoffset", "packet", "IP fragment offset: fragoffset:[<>]N (IPv4 in 8-byte units, IPv6 bytes)")
def setup_fragoffset(value: str | None) -> PacketCheck:
    m = _FRAGOFFSET_RE.match((value or "").strip())
    if not m:
        raise RuleCompileError("fragoffset", f"invalid value {value!r}: [<>]N expected")
    op = m.group(1)
    n = parse_decimal(m.group(2), "fragoffset", 65535)
    if op == "<":
        return lambda p: -1 < _fragoffset(p) < n
    if op == ">":
        return lambda p: _fragoffset(p) > n
    return lambda p: _fragoffset(p) == n


def _fragoffset(p: Packet) -> int:
    """The offset fragoffset compares, -1 for a packet it never matches.

    IPv4: the header's raw 13-bit field (units of 8 bytes). IPv6: the fragment header's
    offset in bytes, 0 for a fragment header on a whole datagram; -1 without one.
    """
    if p.ip_version == 4:
        return p.frag_off >> 3
    if p.ip_version != 6:
        return -1
    if p.is_fragment:
        return p.frag_off
    end = min(len(p.data), p.l3_off + p.ip_len)
    return 0 if find_fragment_header(p.data, p.l3_off, end)[1] >= 0 else -1
