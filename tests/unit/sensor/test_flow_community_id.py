"""Community ID v1 against the spec's published baseline and, when installed, the reference package.

The vectors are corelight/community-id-spec baseline/baseline_deflt.json and
baseline_seed1.json (seed 0 and seed 1): (proto, saddr, daddr, sport, dport, id); for
ICMP/ICMPv6 sport and dport are the message type and code.
"""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sensor.decode.packet import Packet
from sensor.flow.community_id import community_id_v1
from sensor.flow.table import FlowTable

V6A, V6B = "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea"
T1, T2 = "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a"
E1, E2 = "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2"
BASELINE = [
    # proto, saddr, daddr, sport, dport, seed 0, seed 1
    (58, V6A, V6B, 135, 136, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=", "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY="),
    (58, V6B, V6A, 136, 135, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=", "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY="),
    (58, V6B, V6A, 135, 136, "1:zavyT/cezQr1fmImYCwYnMXbgck=", "1:2hSqmsDZ2kdcY9kbiUzOEBic0iM="),
    (58, V6A, V6B, 136, 135, "1:zavyT/cezQr1fmImYCwYnMXbgck=", "1:2hSqmsDZ2kdcY9kbiUzOEBic0iM="),
    (
        58,
        "3ffe:501:1800:2345::2",
        E1,
        3,
        0,
        "1:2ObVBgIn28oZvibYZhZMBgh7WdQ=",
        "1:lVEtCZpYu84Xqaa++3lXFyuu2n4=",
    ),
    (
        58,
        "3ffe:501:410:0:2c0:dfff:fe47:33e",
        E1,
        1,
        4,
        "1:hLZd0XGWojozrvxqE0dWB1iM6R0=",
        "1:W8MHwXpWzpoSTD+cGcaJr4u0ys8=",
    ),
    (58, E1, E2, 128, 129, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=", "1:GfZxjAkDk2MkegpBYHV6tadtFXQ="),
    (58, E2, E1, 129, 128, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=", "1:GfZxjAkDk2MkegpBYHV6tadtFXQ="),
    (58, V6A, "ff02::2", 133, 134, "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=", "1:L7Ka0ZMYu+J3bL4ulW2PrqyXNo8="),
    (58, V6B, "ff02::1", 134, 133, "1:pkvHqCL88/tg1k4cPigmZXUtL00=", "1:K/ee5UCqAMAQXDorP5nSa2CGLjc="),
    (
        1,
        "192.168.0.89",
        "192.168.0.1",
        8,
        0,
        "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=",
        "1:03g6IloqVBdcZlPyX8r0hgoE7kA=",
    ),
    (
        1,
        "192.168.0.1",
        "192.168.0.89",
        0,
        8,
        "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=",
        "1:03g6IloqVBdcZlPyX8r0hgoE7kA=",
    ),
    (1, "10.0.0.1", "10.0.0.2", 11, 0, "1:YHxtAirCG//0OzkcVAukqKQN9xM=", "1:XjUibYHaafLQ3pxQeiMI8g25q20="),
    (6, T1, T2, 63943, 25, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=", "1:eJYTW6AOzFLlSUoESovMjnu7rMw="),
    (6, T2, T1, 25, 63943, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=", "1:eJYTW6AOzFLlSUoESovMjnu7rMw="),
    (
        132,
        "192.168.170.8",
        "192.168.170.56",
        7,
        7,
        "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=",
        "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg=",
    ),
    (
        132,
        "192.168.170.56",
        "192.168.170.8",
        7,
        7,
        "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=",
        "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg=",
    ),
    (
        6,
        "128.232.110.120",
        "66.35.250.204",
        34855,
        80,
        "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
        "1:3V71V58M3Ksw/yuFALMcW0LAHvc=",
    ),
    (
        6,
        "66.35.250.204",
        "128.232.110.120",
        80,
        34855,
        "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
        "1:3V71V58M3Ksw/yuFALMcW0LAHvc=",
    ),
    (
        17,
        "192.168.1.52",
        "8.8.8.8",
        54585,
        53,
        "1:d/FP5EW3wiY1vCndhwleRRKHowQ=",
        "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=",
    ),
    (
        17,
        "8.8.8.8",
        "192.168.1.52",
        53,
        54585,
        "1:d/FP5EW3wiY1vCndhwleRRKHowQ=",
        "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=",
    ),
    (
        46,
        "10.1.12.1",
        "10.1.12.2",
        None,
        None,
        "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=",
        "1:rYir8gphR31noO9iDRQmF/BteEI=",
    ),
    (
        46,
        "10.1.12.2",
        "10.1.12.1",
        None,
        None,
        "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=",
        "1:rYir8gphR31noO9iDRQmF/BteEI=",
    ),
]


@pytest.mark.parametrize(("proto", "saddr", "daddr", "sport", "dport", "id0", "id1"), BASELINE)
def test_spec_baseline(
    proto: int, saddr: str, daddr: str, sport: int | None, dport: int | None, id0: str, id1: str
) -> None:
    assert community_id_v1((proto, saddr, daddr, sport, dport)) == id0
    assert community_id_v1((proto, saddr, daddr, sport, dport), seed=1) == id1
    raw = (proto, ipaddress.ip_address(saddr).packed, ipaddress.ip_address(daddr).packed, sport, dport)
    assert community_id_v1(raw) == id0


def _packet(proto: int, saddr: str, daddr: str, sport: int, dport: int) -> Packet:
    p = Packet(0, 1, 1, b"\0" * 60)
    src, dst = ipaddress.ip_address(saddr).packed, ipaddress.ip_address(daddr).packed
    p.ip_version, p.proto, p.src, p.dst, p.l4_off = (4 if len(src) == 4 else 6), proto, src, dst, 34
    if proto in (1, 58):
        p.icmp_type, p.icmp_code = sport, dport
    else:
        p.sp, p.dp = sport, dport
    return p


def test_packets_and_flows_hash_like_their_fields() -> None:
    table = FlowTable()
    req = _packet(17, "192.168.1.52", "8.8.8.8", 54585, 53)
    rep = _packet(17, "8.8.8.8", "192.168.1.52", 53, 54585)
    flow = table.process(req)
    table.process(rep)
    want = "1:d/FP5EW3wiY1vCndhwleRRKHowQ="
    assert community_id_v1(req) == community_id_v1(rep) == community_id_v1(flow) == want
    echo = _packet(1, "192.168.0.89", "192.168.0.1", 8, 0)
    assert community_id_v1(table.process(echo)) == community_id_v1(echo) == "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="


_addr4 = st.binary(min_size=4, max_size=4)
_addr6 = st.binary(min_size=16, max_size=16)
_port = st.integers(0, 65535)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.tuples(_addr4, _addr4), st.tuples(_addr6, _addr6)),
    st.sampled_from([1, 6, 17, 58, 132, 47]),
    _port,
    _port,
    st.integers(0, 65535),
)
def test_matches_the_reference_package(
    addrs: tuple[bytes, bytes], proto: int, sp: int, dp: int, seed: int
) -> None:
    communityid = pytest.importorskip("communityid")
    src, dst = addrs
    if proto in (1, 58):
        sp, dp = sp % 256, dp % 256
    ports = (None, None) if proto == 47 else (sp, dp)
    tpl = communityid.FlowTuple(proto, ipaddress.ip_address(src), ipaddress.ip_address(dst), *ports)
    want = communityid.CommunityID(seed).calc(tpl)
    assert community_id_v1((proto, src, dst, *ports), seed=seed) == want
