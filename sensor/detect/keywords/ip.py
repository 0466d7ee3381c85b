"""IP header keywords: ttl, tos, id, ip_proto, sameip, fragbits, fragoffset.

Each setup parses the option value once (errors name the keyword) and returns
a closure over the decoded Packet; the closure only reads fields.
"""

from __future__ import annotations

import re

from sensor.detect.keywords.numeric import parse_number, parse_uint
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


@register("ttl", "packet", "IPv4 TTL / IPv6 hop limit (integer keyword)")
def setup_ttl(value: str | None) -> PacketCheck:
    pred = parse_uint(value, "ttl", 255)
    return lambda p: p.ip_version != 0 and pred(p.ttl)


@register("tos", "packet", "IPv4 type-of-service byte: tos:[!]N (decimal or 0x-hex)")
def setup_tos(value: str | None) -> PacketCheck:
    if not value:
        raise RuleCompileError("tos", "needs a value")
    text = value.strip()
    negated = text.startswith("!")
    n = parse_number(text.lstrip("!").strip(), "tos", 255)
    if negated:
        return lambda p: p.ip_version == 4 and p.tos != n
    return lambda p: p.ip_version == 4 and p.tos == n


@register("id", "packet", "IPv4 identification field (integer keyword)")
def setup_id(value: str | None) -> PacketCheck:
    pred = parse_uint(value, "id", 65535)
    return lambda p: p.ip_version == 4 and pred(p.ip_id)


@register("ip_proto", "packet", "IP protocol of the transport header: ip_proto:[!<>]N or a protocol name")
def setup_ip_proto(value: str | None) -> PacketCheck:
    if not value:
        raise RuleCompileError("ip_proto", "needs a value")
    text = value.strip()
    op = ""
    if text[:1] in "!<>":
        op, text = text[0], text[1:].strip()
    if text.lower() in _IP_PROTO_NAMES:
        n = _IP_PROTO_NAMES[text.lower()]
    else:
        n = parse_number(text, "ip_proto", 255)
    if op == "!":
        return lambda p: p.ip_version != 0 and p.proto != n
    if op == "<":
        return lambda p: p.ip_version != 0 and 0 <= p.proto < n
    if op == ">":
        return lambda p: p.ip_version != 0 and p.proto > n
    return lambda p: p.ip_version != 0 and p.proto == n


@register("sameip", "packet", "source and destination address are the same", needs_value=False)
def setup_sameip(value: str | None) -> PacketCheck:
    if value:
        raise RuleCompileError("sameip", "takes no value")
    return lambda p: p.ip_version != 0 and p.src == p.dst


_FRAGBITS = {"M": 0x1, "D": 0x2, "R": 0x4}
_FRAGBITS_RE = re.compile(r"^([!+*]?)([MDRmdr]+)([!+*]?)$")


@register("fragbits", "packet", "IPv4 fragmentation bits M (more), D (don't), R (reserved) with + * ! modifiers")
def setup_fragbits(value: str | None) -> PacketCheck:
    m = _FRAGBITS_RE.match((value or "").strip().replace(" ", ""))
    if not m:
        raise RuleCompileError("fragbits", f"invalid value {value!r}")
    mod = m.group(1) or m.group(3)
    want = 0
    for ch in m.group(2).upper():
        want |= _FRAGBITS[ch]

    if mod == "+":
        return lambda p: p.ip_version == 4 and _ipv4_fragbits(p) & want == want
    if mod == "*":
        return lambda p: p.ip_version == 4 and _ipv4_fragbits(p) & want != 0
    if mod == "!":
        return lambda p: p.ip_version == 4 and _ipv4_fragbits(p) & want == 0
    return lambda p: p.ip_version == 4 and _ipv4_fragbits(p) == want


def _ipv4_fragbits(p: object) -> int:
    """M/D/R bits of an IPv4 header, read from the frame (bit order as in _FRAGBITS)."""
    off: int = p.l3_off  # type: ignore[attr-defined]
    data: bytes = p.data  # type: ignore[attr-defined]
    if off < 0 or len(data) < off + 8:
        return 0
    b = data[off + 6]
    return (0x1 if b & 0x20 else 0) | (0x2 if b & 0x40 else 0) | (0x4 if b & 0x80 else 0)


@register("fragoffset", "packet", "IP fragment offset in bytes: fragoffset:[!<>]N")
def setup_fragoffset(value: str | None) -> PacketCheck:
    if not value:
        raise RuleCompileError("fragoffset", "needs a value")
    text = value.strip()
    op = ""
    if text[:1] in "!<>":
        op, text = text[0], text[1:].strip()
    n = parse_number(text, "fragoffset", 65535)
    if op == "!":
        return lambda p: p.ip_version != 0 and p.frag_off != n
    if op == "<":
        return lambda p: p.ip_version != 0 and p.frag_off < n
    if op == ">":
        return lambda p: p.ip_version != 0 and p.frag_off > n
    return lambda p: p.ip_version != 0 and p.frag_off == n
