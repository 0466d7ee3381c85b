"""alertwire.community_id against the reference `communityid` package (Corelight's spec)."""

from __future__ import annotations

import ipaddress
import random

import communityid
import pytest

from alertwire.community_id import community_id_v1

CASES = [
    (6, "10.0.0.1", "192.168.1.10", 40000, 80),
    (6, "192.168.1.10", "10.0.0.1", 80, 40000),
    (17, "10.0.0.1", "10.0.0.1", 53, 5353),
    (132, "10.1.1.1", "10.2.2.2", 7, 9),
    (6, "2001:db8::1", "2001:db8::2", 443, 51000),
    (1, "10.0.0.1", "8.8.8.8", 8, 0),  # echo request
    (1, "8.8.8.8", "10.0.0.1", 0, 0),  # echo reply: same flow
    (1, "10.0.0.1", "8.8.8.8", 3, 1),  # unreachable: one-way
    (58, "2001:db8::1", "2001:db8::2", 128, 0),
    (58, "2001:db8::2", "2001:db8::1", 135, 0),  # neighbour solicitation
    (58, "2001:db8::2", "2001:db8::1", 1, 4),  # one-way
    (47, "10.0.0.1", "10.0.0.2", None, None),  # GRE: no ports
]


def reference(proto: int, src: str, dst: str, sport: int | None, dport: int | None, seed: int = 0) -> str:
    if proto == 1:
        t = communityid.FlowTuple.make_icmp(src, dst, sport, dport)
    elif proto == 58:
        t = communityid.FlowTuple.make_icmp6(src, dst, sport, dport)
    elif sport is None:
        t = communityid.FlowTuple(proto, src, dst)
    else:
        t = communityid.FlowTuple(proto, src, dst, sport, dport)
    return communityid.CommunityID(seed=seed).calc(t)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("seed", [0, 1, 65535])
def test_matches_reference(case: tuple, seed: int) -> None:
    proto, src, dst, sport, dport = case
    ours = community_id_v1(proto, ipaddress.ip_address(src).packed, ipaddress.ip_address(dst).packed, sport, dport,
                           seed=seed)  # fmt: skip
    assert ours == reference(proto, src, dst, sport, dport, seed)


def test_random_tuples_match_reference() -> None:
    rng = random.Random(7)
    for _ in range(300):
        proto = rng.choice([6, 17, 132, 1, 58])
        v6 = proto == 58 or rng.random() < 0.3
        bits, maker = (128, ipaddress.IPv6Address) if v6 else (32, ipaddress.IPv4Address)
        src, dst = maker(rng.getrandbits(bits)), maker(rng.getrandbits(bits))
        if proto in (1, 58):
            sport, dport = rng.randrange(256), rng.randrange(256)
        else:
            sport, dport = rng.randrange(65536), rng.randrange(65536)
        assert community_id_v1(proto, src.packed, dst.packed, sport, dport) == reference(
            proto, str(src), str(dst), sport, dport
        )


def test_direction_independent() -> None:
    a, b = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
    assert community_id_v1(6, a, b, 1, 2) == community_id_v1(6, b, a, 2, 1)
