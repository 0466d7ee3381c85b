"""Flow lifetime: timeouts by packet time and state, the expiry wheel, memcap eviction, flush, stats."""

from __future__ import annotations

import pytest

from sensor.decode.packet import TH_ACK, TH_FIN, TH_SYN, Packet
from sensor.flow.flow import Flow
from sensor.flow.table import DEFAULT_TIMEOUTS_US, FlowTable

T0 = 1_700_000_000_000_000
S = 1_000_000
A, B = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])


def udp(sp: int, t_us: int, reply: bool = False, dp: int = 53) -> Packet:
    p = Packet(T0 + t_us, 0, 1, b"\0" * 60)
    p.ip_version, p.proto, p.l3_off, p.l4_off = 4, 17, 14, 34
    p.src, p.dst, p.sp, p.dp = (B, A, dp, sp) if reply else (A, B, sp, dp)
    return p


def tcp(sp: int, t_us: int, flags: int, seq: int, ack: int, reply: bool = False) -> Packet:
    p = Packet(T0 + t_us, 0, 1, b"\0" * 60)
    p.ip_version, p.proto, p.l3_off, p.l4_off = 4, 6, 14, 34
    p.src, p.dst, p.sp, p.dp = (B, A, 80, sp) if reply else (A, B, sp, 80)
    p.tcp_flags, p.tcp_seq, p.tcp_ack = flags, seq, ack
    return p


def consistent(table: FlowTable) -> None:
    st = table.stats
    ended = st["flow.timeout"] + st["flow.tcp_reuse"] + st["flow.evicted_memcap"] + st["flow.shutdown"]
    assert st["flow.created"] - ended == st["flow.active"] == len(table)


def test_suricata_default_timeouts() -> None:
    secs = {cls: {k: v // S for k, v in m.items()} for cls, m in DEFAULT_TIMEOUTS_US.items()}
    assert secs == {
        "default": {"new": 30, "established": 300, "closed": 0},
        "tcp": {"new": 60, "established": 600, "closed": 60},
        "udp": {"new": 30, "established": 300, "closed": 0},
        "icmp": {"new": 30, "established": 300, "closed": 0},
    }


@pytest.mark.parametrize(("gap_s", "same"), [(29.999999, True), (30, False)])
def test_new_udp_flow_times_out_at_exactly_its_timeout(gap_s: float, same: bool) -> None:
    table = FlowTable()
    first = table.process(udp(1000, 0))
    again = table.process(udp(1000, round(gap_s * S)))
    assert (first is again) is same
    consistent(table)


def test_established_udp_uses_the_established_timeout() -> None:
    table = FlowTable()
    f = table.process(udp(1000, 0))
    table.process(udp(1000, 1, reply=True))
    assert table.process(udp(1000, 299 * S)) is f
    assert table.process(udp(1000, 299 * S + 300 * S)) is not f
    assert table.stats["flow.timeout"] == 1


def test_tcp_timeouts_follow_the_session_state() -> None:
    table = FlowTable()
    f = table.process(tcp(1, 0, TH_SYN, 100, 0))
    table.process(tcp(1, 1, TH_SYN | TH_ACK, 500, 101, reply=True))
    table.process(tcp(1, 2, TH_ACK, 101, 501))
    assert f is not None and f.state_name == "established"
    assert table.process(tcp(1, 500 * S, TH_ACK, 101, 501)) is f  # 600 s established timeout
    table.process(tcp(1, 501 * S, TH_FIN | TH_ACK, 101, 501))
    table.process(tcp(1, 502 * S, TH_FIN | TH_ACK, 501, 102, reply=True))
    assert f.state_name == "closed"
    assert table.expire(T0 + 561 * S) == []
    assert table.expire(T0 + 562 * S) == [f]  # closed: 60 s after the last packet
    assert f.end_reason == "timeout"
    consistent(table)


def test_custom_timeouts() -> None:
    table = FlowTable(timeouts_us={"udp": {"new": 5 * S}})
    f = table.process(udp(1, 0))
    assert table.process(udp(1, 5 * S)) is not f


def test_expire_by_packet_time_returns_idle_flows_only() -> None:
    ended: list[Flow] = []
    table = FlowTable(on_flow_end=ended.append)
    old = table.process(udp(1, 0))
    busy = table.process(udp(2, 0))
    table.process(udp(2, 20 * S))
    gone = table.expire(T0 + 35 * S)
    assert gone == [old] and ended == [old]
    assert table.get(udp(2, 0)) is busy
    assert table.expire(T0 + 49 * S) == []
    assert table.expire(T0 + 50 * S) == [busy]
    consistent(table)


def test_expiry_is_amortised_into_process() -> None:
    table = FlowTable()
    for i in range(200):
        table.process(udp(1000 + i, i))
    # packet time moves 31 s on: each later packet looks at a few due entries, never all at once
    table.process(udp(5000, 31 * S))
    assert 0 < table.stats["flow.timeout"] <= 64
    for i in range(1, 4):
        table.process(udp(5000 + i, 31 * S + i))
    assert table.stats["flow.timeout"] == 200
    consistent(table)


def test_packet_time_never_moves_back_for_expiry() -> None:
    table = FlowTable()
    f = table.process(udp(1, 100 * S))
    old = table.process(udp(2, 0))  # an older packet: a new flow, but "now" stays at 100 s
    assert table.expire(T0 + 50 * S) == [old]  # judged at 100 s, not at 50 s
    assert table.expire(T0 + 129 * S) == []
    assert table.expire(T0 + 130 * S) == [f]


def test_memcap_evicts_the_flow_nearest_its_timeout() -> None:
    ended: list[Flow] = []
    table = FlowTable(max_flows=3, on_flow_end=ended.append)
    a = table.process(udp(1, 0))
    table.process(udp(1, 1, reply=True))  # a: established, 300 s timeout
    b = table.process(udp(2, 1 * S))  # new: 30 s timeout
    c = table.process(udp(3, 2 * S))
    d = table.process(udp(4, 3 * S))
    assert ended == [b] and b is not None and b.end_reason == "evicted"
    assert table.stats["flow.evicted_memcap"] == 1 and len(table) == 3
    assert {table.get(udp(p, 0)) for p in (1, 3, 4)} == {a, c, d}
    consistent(table)


def test_memcap_prefers_a_timed_out_flow_and_counts_it_as_timeout() -> None:
    table = FlowTable(max_flows=2)
    table.process(udp(1, 0))
    table.process(udp(2, 40 * S))  # the sweep was not due yet for flow 1's second
    table.process(udp(3, 40 * S + 1))
    assert table.stats["flow.timeout"] == 1 and table.stats["flow.evicted_memcap"] == 0
    consistent(table)


def test_flush_ends_everything_with_shutdown() -> None:
    ended: list[Flow] = []
    table = FlowTable(on_flow_end=ended.append)
    flows = [table.process(udp(i, i)) for i in range(1, 6)]
    out = table.flush()
    assert out == flows == ended
    assert {f.end_reason for f in out} == {"shutdown"}
    assert len(table) == 0 and table.stats["flow.shutdown"] == 5
    assert table.expire(T0 + 10**9) == []
    consistent(table)


def test_expire_is_exact_within_a_second() -> None:
    table = FlowTable()
    f = table.process(udp(1, 500_000))
    assert table.expire(T0 + 30 * S + 499_999) == []
    assert table.expire(T0 + 30 * S + 500_000) == [f]


def test_flush_reports_flows_already_past_their_timeout_as_timeout() -> None:
    table = FlowTable()
    idle = table.process(udp(1, 200_000))  # idle from 30.2 s, filed under second 31
    busy = table.process(udp(2, 29 * S))
    table.process(udp(2, 30 * S + 500_000))  # second 31 is not due yet: flow 1 is still there
    assert len(table) == 2
    out = table.flush()
    assert [(f, f.end_reason) for f in out] == [(idle, "timeout"), (busy, "shutdown")]
    consistent(table)
