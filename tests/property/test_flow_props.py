"""Flow table properties: symmetric keys, opposite directions, consistent counters, exact expiry."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sensor.decode.packet import TH_ACK, TH_FIN, TH_RST, TH_SYN, Packet
from sensor.flow.flow import Flow
from sensor.flow.table import FlowTable

T0 = 1_700_000_000_000_000

_v4 = st.binary(min_size=4, max_size=4)
_v6 = st.binary(min_size=16, max_size=16)
_port = st.integers(0, 65535)
_vlan = st.sampled_from([(), (10,), (10, 20)])


def _pkt(
    proto: int,
    src: bytes,
    dst: bytes,
    sp: int,
    dp: int,
    vlan: tuple[int, ...],
    t_us: int,
    flags: int = TH_ACK,
    icmp_type: int = -1,
) -> Packet:
    p = Packet(T0 + t_us, 0, 1, b"\0" * 60)
    p.ip_version = 4 if len(src) == 4 else 6
    p.proto, p.src, p.dst, p.vlan, p.l3_off, p.l4_off = proto, src, dst, vlan, 14, 34
    if proto in (1, 58):
        p.icmp_type, p.icmp_code = icmp_type, 0
    else:
        p.sp, p.dp = sp, dp
        p.tcp_flags, p.tcp_seq, p.tcp_ack = flags, 1000, 2000
    return p


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.tuples(_v4, _v4), st.tuples(_v6, _v6)),
    st.sampled_from([6, 17, 132]),
    _port,
    _port,
    _vlan,
    st.booleans(),
)
def test_swapping_ends_finds_the_same_flow_in_the_opposite_direction(
    addrs: tuple[bytes, bytes], proto: int, sp: int, dp: int, vlan: tuple[int, ...], midstream: bool
) -> None:
    src, dst = addrs
    table = FlowTable(midstream=midstream)
    fwd = _pkt(proto, src, dst, sp, dp, vlan, 0)
    rev = _pkt(proto, dst, src, dp, sp, vlan, 1)
    assert table.get(rev) is None
    flow = table.process(fwd)
    assert flow is not None and table.get(rev) is flow and table.get(fwd) is flow
    assert table.process(rev) is flow
    assert fwd.to_server
    # a host talking to itself on one port: every packet is to_server, as in Suricata
    assert rev.to_server is ((src, sp) == (dst, dp))
    assert (flow.client_addr, flow.client_port) == (src, sp)
    assert len(table) == 1


@settings(max_examples=200, deadline=None)
@given(
    st.tuples(_v4, _v4).filter(lambda a: a[0] != a[1]),
    st.sampled_from([(1, 8, 0), (1, 13, 14), (58, 128, 129), (58, 135, 136)]),
)
def test_icmp_request_and_reply_share_a_flow(addrs: tuple[bytes, bytes], types: tuple[int, int, int]) -> None:
    proto, req, rep = types
    src, dst = addrs
    if proto == 58:
        src, dst = src * 4, dst * 4
    table = FlowTable()
    a = _pkt(proto, src, dst, 0, 0, (), 0, icmp_type=req)
    b = _pkt(proto, dst, src, 0, 0, (), 1, icmp_type=rep)
    assert table.process(a) is table.process(b) is not None
    assert a.to_server and not b.to_server and not a.established and b.established


_hosts = st.sampled_from([bytes([10, 0, 0, i]) for i in range(1, 5)])
_event = st.tuples(
    _hosts,
    _hosts,
    st.sampled_from([1000, 1001, 80]),
    st.sampled_from([1000, 80]),
    st.sampled_from([6, 6, 17]),
    st.sampled_from([TH_SYN, TH_SYN | TH_ACK, TH_ACK, TH_ACK, TH_FIN | TH_ACK, TH_RST]),
    st.integers(0, 700_000_000),  # time step, µs: up to 700 s (beyond every default timeout)
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_event, max_size=60), st.integers(1, 6), st.booleans(), st.booleans())
def test_counters_stay_consistent_and_every_ended_flow_is_reported_once(
    events: list[tuple[bytes, bytes, int, int, int, int, int]],
    max_flows: int,
    midstream: bool,
    async_oneside: bool,
) -> None:
    ended: list[Flow] = []
    table = FlowTable(
        max_flows=max_flows, midstream=midstream, async_oneside=async_oneside, on_flow_end=ended.append
    )
    seen: set[int] = set()
    t = 0
    for src, dst, sp, dp, proto, flags, step in events:
        t += step
        flow = table.process(_pkt(proto, src, dst, sp, dp, (), t, flags))
        assert flow is not None and flow.end_reason is None
        seen.add(flow.flow_id)
        st_ = table.stats
        gone = st_["flow.timeout"] + st_["flow.tcp_reuse"] + st_["flow.evicted_memcap"] + st_["flow.shutdown"]
        assert st_["flow.created"] - gone == st_["flow.active"] == len(table) <= max_flows
        assert len(ended) == gone
    table.flush()
    assert table.stats["flow.active"] == 0 == len(table)
    assert len(ended) == table.stats["flow.created"] == len(seen)
    assert len({f.flow_id for f in ended}) == len(ended)
    assert all(f.end_reason in ("timeout", "tcp_reuse", "evicted", "shutdown") for f in ended)


_near_timeout = st.sampled_from([30_000_000, 300_000_000]).flatmap(
    lambda b: st.integers(b - 1_500_000, b + 1_500_000)
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 30), st.booleans(), st.integers(0, 40_000_000)), min_size=1, max_size=50
    ),
    st.one_of(st.integers(0, 700_000_000), _near_timeout),
    st.booleans(),
)
def test_expire_and_flush_end_exactly_the_idle_flows_as_timeout(
    events: list[tuple[int, bool, int]], extra: int, use_flush: bool
) -> None:
    table = FlowTable()
    a, b = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
    t = 0
    for port, reply, step in events:
        t += step
        p = _pkt(17, b, a, 53, 2000 + port, (), t) if reply else _pkt(17, a, b, 2000 + port, 53, (), t)
        assert table.process(p) is not None
    last = T0 + t
    live = list(table._flows.values())
    if use_flush:
        # the time of the last packet is "now" at the end of a capture
        want = {f.flow_id for f in live if last - f.last_us >= f._timeout_us}
        got = table.flush()
        assert {f.flow_id for f in got if f.end_reason == "timeout"} == want
        assert {f.flow_id for f in got} == {f.flow_id for f in live} and len(table) == 0
    else:
        now = last + extra
        want = {f.flow_id for f in live if now - f.last_us >= f._timeout_us}
        got = table.expire(now)
        assert {f.flow_id for f in got} == want and all(f.end_reason == "timeout" for f in got)
        assert len(table) == len(live) - len(want)
