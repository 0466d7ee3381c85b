"""The symmetric flow key: ordering, ICMP type pairs, quoted datagrams of ICMP errors."""

from __future__ import annotations

import struct

from sensor.decode.packet import Packet
from sensor.flow.key import NO_COUNTERPART, flow_key, key_ports, quoted_flow_key

A, B = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])


def test_both_directions_give_one_key() -> None:
    k1, lo1 = flow_key(6, (), 0, A, 1234, B, 80)
    k2, lo2 = flow_key(6, (), 0, B, 80, A, 1234)
    assert k1 == k2 and lo1 and not lo2


def test_equal_addresses_order_by_port_and_equal_endpoints_are_low() -> None:
    k1, lo1 = flow_key(17, (), 0, A, 9, A, 5)
    k2, lo2 = flow_key(17, (), 0, A, 5, A, 9)
    assert k1 == k2 and not lo1 and lo2
    assert flow_key(17, (), 0, A, 5, A, 5)[1]


def test_key_parts_that_separate_flows() -> None:
    base = flow_key(6, (), 0, A, 1, B, 2)[0]
    assert flow_key(17, (), 0, A, 1, B, 2)[0] != base
    assert flow_key(6, (7,), 0, A, 1, B, 2)[0] != base
    assert flow_key(6, (), 1, A, 1, B, 2)[0] != base


def _pkt(proto: int, **fields: object) -> Packet:
    p = Packet(0, 0, 1, b"")
    p.ip_version, p.proto, p.l4_off = 4, proto, 34
    for k, v in fields.items():
        setattr(p, k, v)
    return p


def test_key_ports_per_protocol() -> None:
    assert key_ports(_pkt(6, sp=1, dp=2)) == (1, 2)
    assert key_ports(_pkt(6, sp=1, dp=2, l4_off=-1)) is None
    assert key_ports(_pkt(1, icmp_type=8)) == (8, 0)
    assert key_ports(_pkt(1, icmp_type=0)) == (0, 8)
    assert key_ports(_pkt(1, icmp_type=42)) == (42, NO_COUNTERPART)
    assert key_ports(_pkt(1, icmp_type=3)) is None  # errors are not keyed on their own
    assert key_ports(_pkt(58, icmp_type=135)) == (135, 136)
    assert key_ports(_pkt(58, icmp_type=1)) == (1, NO_COUNTERPART)
    assert key_ports(_pkt(50, payload=struct.pack("!II", 0xDEADBEEF, 1))) == (0xDEADBEEF, -1)
    assert key_ports(_pkt(50, payload=b"\0")) is None
    assert key_ports(_pkt(132, l4_off=-1, payload=struct.pack("!HH", 5, 6))) == (5, 6)
    assert key_ports(_pkt(4)) == (0, 0) and key_ports(_pkt(41)) == (0, 0)
    assert key_ports(_pkt(2)) is None and key_ports(_pkt(47)) is None


def _unreach(quoted_ip: bytes, l4: bytes, itype: int = 3) -> Packet:
    p = _pkt(1, icmp_type=itype, l4_off=14)
    p.data = b"\0" * 14 + struct.pack("!BBHI", itype, 3, 0, 0) + quoted_ip + l4
    return p


def _ip(proto: int, src: bytes, dst: bytes, frag: int = 0, ihl: int = 5) -> bytes:
    return struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 0, 0, frag, 64, proto, 0, src, dst) + b"\0" * (
        ihl * 4 - 20
    )


def test_quoted_flow_key_of_destination_unreachable() -> None:
    key = quoted_flow_key(_unreach(_ip(17, A, B), struct.pack("!HH", 5353, 53)))
    assert key == flow_key(17, (), 0, B, 53, A, 5353)[0]
    with_opts = quoted_flow_key(_unreach(_ip(6, A, B, ihl=6), struct.pack("!HH", 1, 2)))
    assert with_opts == flow_key(6, (), 0, A, 1, B, 2)[0]


def test_quoted_flow_key_refuses_what_it_cannot_read() -> None:
    ports = struct.pack("!HH", 1, 2)
    assert quoted_flow_key(_unreach(_ip(17, A, B), ports, itype=11)) is None  # not unreachable
    assert quoted_flow_key(_unreach(_ip(17, A, B), b"\0")) is None  # no ports
    assert quoted_flow_key(_unreach(_ip(17, A, B)[:12], b"")) is None  # short header
    assert quoted_flow_key(_unreach(b"\x60" + _ip(17, A, B)[1:], ports)) is None  # not IPv4
    assert quoted_flow_key(_unreach(_ip(1, A, B), ports)) is None  # quotes ICMP
    assert quoted_flow_key(_unreach(_ip(17, A, B, frag=0x0010), ports)) is None  # non-first fragment
