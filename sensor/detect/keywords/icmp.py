"""ICMP keywords: itype, icode (integer keywords), icmp_id, icmp_seq.

They match ICMPv4 and ICMPv6 alike, as Suricata's do. icmp_id/icmp_seq only
match message types that carry an identifier (echo and similar), and take a
plain decimal 0..65535: Suricata 8.0.8 refuses hex, a sign, an operator and a
quoted value for them.
"""

from __future__ import annotations

from sensor.detect.keywords.numeric import parse_decimal, parse_uint
from sensor.detect.keywords.registry import PacketCheck, register


@register("itype", "packet", "ICMP type (integer keyword)")
def setup_itype(value: str | None) -> PacketCheck:
    pred = parse_uint(value, "itype", 255)
    return lambda p: p.icmp_type >= 0 and pred(p.icmp_type)


@register("icode", "packet", "ICMP code (integer keyword)")
def setup_icode(value: str | None) -> PacketCheck:
    pred = parse_uint(value, "icode", 255)
    return lambda p: p.icmp_code >= 0 and pred(p.icmp_code)


@register("icmp_id", "packet", "ICMP echo identifier equals N")
def setup_icmp_id(value: str | None) -> PacketCheck:
    n = parse_decimal((value or "").strip(), "icmp_id", 65535)
    return lambda p: p.icmp_id == n


@register("icmp_seq", "packet", "ICMP echo sequence number equals N")
def setup_icmp_seq(value: str | None) -> PacketCheck:
    n = parse_decimal((value or "").strip(), "icmp_seq", 65535)
    return lambda p: p.icmp_seq == n
