"""FlowTable: direction and `established` per packet, flow creation, ICMP, VLAN, other protocols.

Every expected value below was observed with Suricata 8.0.8 (tools/peer) on a crafted pcap
with the same packets, reading `flow:to_server/to_client/established/not_established/
stateless` alerts per packet and the EVE flow records. Notation per packet: "ts" or "tc"
(direction) followed by "+" (established) or "-" (not established); "none": no flow.
"""

from __future__ import annotations

import struct

import pytest

from sensor.decode.packet import TH_ACK, TH_FIN, TH_PUSH, TH_RST, TH_SYN, Packet
from sensor.flow.flow import Flow
from sensor.flow.table import FlowTable

C = bytes([10, 0, 0, 1])
S = bytes([10, 0, 0, 2])
T0 = 1_700_000_000_000_000
FLAGS = {"S": TH_SYN, "A": TH_ACK, "F": TH_FIN, "R": TH_RST, "P": TH_PUSH}


def pkt(
    src: bytes,
    dst: bytes,
    sp: int = 0,
    dp: int = 0,
    *,
    proto: int = 6,
    flags: str = "",
    seq: int = 0,
    ack: int = 0,
    payload: bytes = b"",
    t: float = 0.0,
    vlan: tuple[int, ...] = (),
    icmp_type: int = -1,
    icmp_code: int = 0,
    data: bytes | None = None,
) -> Packet:
    """A decoded packet as the decoders would leave it (frame bytes only where the table reads them)."""
    p = Packet(T0 + round(t * 1_000_000), 0, 1, data if data is not None else b"\0" * (54 + len(payload)))
    p.ip_version = 4 if len(src) == 4 else 6
    p.l3_off = 14
    p.src, p.dst, p.proto, p.vlan = src, dst, proto, vlan
    p.payload = payload
    if proto in (6, 17, 132):
        p.l4_off = 34
        p.sp, p.dp = sp, dp
    if proto == 6:
        p.tcp_flags = sum(FLAGS[c] for c in flags)
        p.tcp_seq, p.tcp_ack = seq, ack
    if proto in (1, 58):
        p.l4_off = 0 if data is not None else 34
        p.icmp_type, p.icmp_code = icmp_type, icmp_code
    return p


def view(table: FlowTable, p: Packet) -> str:
    flow = table.process(p)
    if flow is None:
        assert p.flow is None and p.to_server and not p.established
        return "none"
    assert p.flow is flow
    return ("ts" if p.to_server else "tc") + ("+" if p.established else "-")


def c2s(flags: str, seq: int, ack: int, payload: bytes = b"", t: float = 0.0, port: int = 40000) -> Packet:
    return pkt(C, S, port, 80, flags=flags, seq=seq, ack=ack, payload=payload, t=t)


def s2c(flags: str, seq: int, ack: int, payload: bytes = b"", t: float = 0.0, port: int = 40000) -> Packet:
    return pkt(S, C, 80, port, flags=flags, seq=seq, ack=ack, payload=payload, t=t)


HANDSHAKE = [c2s("S", 1000, 0), s2c("SA", 5000, 1001), c2s("A", 1001, 5001)]


def run(packets: list[Packet], **kw: bool) -> tuple[list[str], FlowTable]:
    table = FlowTable(**kw)  # type: ignore[arg-type]
    return [view(table, p) for p in packets], table


# -- TCP handshakes ---------------------------------------------------------------------


def test_full_session_handshake_ack_is_not_yet_established() -> None:
    got, table = run(
        [
            *HANDSHAKE,
            c2s("PA", 1001, 5001, b"GET / HTTP/1.0\r\n\r\n", t=0.3),
            s2c("A", 5001, 1019, t=0.4),
            s2c("PA", 5001, 1019, b"HTTP/1.0 200 OK\r\n\r\n", t=0.5),
            c2s("FA", 1019, 5020, t=0.6),
            s2c("FA", 5020, 1020, t=0.7),
            c2s("A", 1020, 5021, t=0.8),
            c2s("A", 1020, 5021, t=0.9),
        ]
    )
    assert got == ["ts-", "tc-", "ts-", "ts+", "tc+", "tc+", "ts+", "tc+", "ts+", "ts+"]
    (flow,) = table.flush()
    assert (flow.pkts_toserver, flow.pkts_toclient) == (6, 4)
    assert (flow.client_addr, flow.client_port, flow.server_addr, flow.server_port) == (C, 40000, S, 80)
    assert flow.state_name == "closed" and flow.end_reason == "shutdown"
    assert flow.is_established()


@pytest.mark.parametrize(
    ("midstream", "expected", "state"),
    [(False, ["ts-", "tc-", "tc-", "ts-"], "new"), (True, ["ts-", "tc+", "tc+", "ts+"], "established")],
)
def test_midstream_ack_first(midstream: bool, expected: list[str], state: str) -> None:
    got, table = run(
        [
            c2s("PA", 1001, 5001, b"GET / HTTP/1.0\r\n\r\n"),
            s2c("A", 5001, 1019, t=0.1),
            s2c("PA", 5001, 1019, b"HTTP/1.0 200 OK\r\n\r\n", t=0.2),
            c2s("A", 1019, 5020, t=0.3),
        ],
        midstream=midstream,
    )
    assert got == expected
    assert table.stats["tcp.midstream_pickups"] == int(midstream)
    (flow,) = table.flush()
    assert flow.state_name == state and flow.client_addr == C


SYNACK_FIRST = [
    s2c("SA", 5000, 1001),
    c2s("A", 1001, 5001, t=0.1),
    c2s("PA", 1001, 5001, b"GET / HTTP/1.0\r\n\r\n", t=0.2),
    s2c("A", 5001, 1019, t=0.3),
]


def test_synack_first_without_pickup_keeps_first_source_as_client() -> None:
    got, table = run(SYNACK_FIRST)
    assert got == ["ts-", "tc-", "tc-", "ts-"]
    (flow,) = table.flush()
    assert (flow.client_addr, flow.client_port) == (S, 80)


@pytest.mark.parametrize("opt", ["midstream", "async_oneside"])
def test_synack_first_with_pickup_makes_its_destination_the_client(opt: str) -> None:
    got, table = run(SYNACK_FIRST, **{opt: True})
    assert got == ["tc-", "ts-", "ts+", "tc+"]
    (flow,) = table.flush()
    assert (flow.client_addr, flow.client_port, flow.server_port) == (C, 40000, 80)
    assert (flow.pkts_toserver, flow.pkts_toclient) == (2, 2)
    assert flow.state_name == "established"


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({}, ["ts-", "ts-", "ts-", "tc-"]),
        ({"midstream": True}, ["ts-", "ts-", "ts-", "tc-"]),
        ({"async_oneside": True}, ["ts-", "ts-", "ts+", "tc+"]),
    ],
)
def test_syn_then_client_ack_without_synack(kw: dict[str, bool], expected: list[str]) -> None:
    got, _ = run(
        [
            c2s("S", 1000, 0),
            c2s("A", 1001, 5001, t=0.1),
            c2s("PA", 1001, 5001, b"data", t=0.2),
            s2c("A", 5001, 1005, t=0.3),
        ],
        **kw,
    )
    assert got == expected


def test_rst_after_establishment_stays_established() -> None:
    got, table = run(
        [
            *HANDSHAKE,
            c2s("PA", 1001, 5001, b"hello", t=0.3),
            s2c("RA", 5001, 1006, t=0.4),
            c2s("PA", 1006, 5001, b"after", t=0.5),
        ]
    )
    assert got == ["ts-", "tc-", "ts-", "ts+", "tc+", "ts+"]
    (flow,) = table.flush()
    assert flow.state_name == "closed"


def test_rst_during_handshake_then_the_resetting_side_revives_the_session() -> None:
    got, table = run(
        [
            c2s("S", 1000, 0, port=40004),
            s2c("RA", 0, 1001, t=0.1, port=40004),
            c2s("S", 1000, 0, t=0.5, port=40004),  # same ISN: not a new session, ignored
            s2c("SA", 7000, 1001, t=0.6, port=40004),
            c2s("A", 1001, 7001, t=0.7, port=40004),
        ]
    )
    assert got == ["ts-", "tc-", "ts+", "tc+", "ts-"]
    (flow,) = table.flush()
    assert flow.state_name == "established" and table.stats["flow.created"] == 1


def test_port_reuse_after_close_starts_a_new_flow() -> None:
    ended: list[Flow] = []
    table = FlowTable(on_flow_end=ended.append)
    close = [c2s("FA", 1001, 5001, t=0.3), s2c("FA", 5001, 1002, t=0.4), c2s("A", 1002, 5002, t=0.5)]
    again = [c2s("S", 90000, 0, t=2), s2c("SA", 60000, 90001, t=2.1), c2s("A", 90001, 60001, t=2.2)]
    got = [view(table, p) for p in [*HANDSHAKE, *close, *again]]
    assert got == ["ts-", "tc-", "ts-", "ts+", "tc+", "ts+", "ts-", "tc-", "ts-"]
    assert len(ended) == 1 and ended[0].end_reason == "tcp_reuse"
    assert (ended[0].pkts_toserver, ended[0].pkts_toclient) == (4, 2)
    assert table.stats["flow.tcp_reuse"] == 1 and table.stats["flow.created"] == 2
    (second,) = table.flush()
    assert second.flow_id != ended[0].flow_id and (second.pkts_toserver, second.pkts_toclient) == (2, 1)


def _close_then_syn(close: list[tuple[str, str, int, int]]) -> FlowTable:
    table = FlowTable()
    for p in HANDSHAKE:
        table.process(p)
    for i, (who, flags, seq, ack) in enumerate(close):
        table.process((c2s if who == "C" else s2c)(flags, seq, ack, t=0.3 + i / 10))
    table.process(c2s("S", 77777, 0, t=5))
    return table


@pytest.mark.parametrize(
    ("close", "reused"),
    [
        ([], False),  # established
        ([("S", "FA", 5001, 1001)], False),  # fin_wait1
        ([("S", "FA", 5001, 1001), ("C", "A", 1001, 5002)], False),  # fin_wait2
        ([("S", "FA", 5001, 1001), ("C", "FA", 1001, 5002)], False),  # time_wait
        ([("C", "FA", 1001, 5001)], True),  # close_wait
        ([("C", "FA", 1001, 5001), ("S", "FA", 5001, 1002)], True),  # last_ack
    ],
)
def test_port_reuse_needs_last_ack_or_later(close: list[tuple[str, str, int, int]], reused: bool) -> None:
    assert _close_then_syn(close).stats["flow.tcp_reuse"] == int(reused)


@pytest.mark.parametrize("syn_from_client", [True, False])
def test_syn_on_a_sessionless_flow_starts_a_new_flow(syn_from_client: bool) -> None:
    table = FlowTable()
    table.process(c2s("A", 1, 1))
    syn = c2s("S", 500, 0, t=1) if syn_from_client else s2c("S", 500, 0, t=1)
    assert view(table, syn) == "ts-"
    assert table.stats["flow.tcp_reuse"] == 1
    assert syn.flow is not None and syn.flow.client_addr == syn.src


def test_resent_syn_with_new_isn_is_not_reuse_and_its_handshake_completes() -> None:
    got, table = run(
        [
            c2s("S", 1, 0),
            c2s("S", 500, 0, t=1),
            s2c("SA", 900, 501, t=1.1),
            c2s("A", 501, 901, t=1.2),
            c2s("A", 501, 901, t=1.3),
        ]
    )
    assert got == ["ts-", "ts-", "tc-", "ts-", "ts+"]
    assert table.stats["flow.created"] == 1


# -- UDP, ICMP, other protocols ----------------------------------------------------------------


def test_udp_established_after_the_reply() -> None:
    got, table = run(
        [
            pkt(C, S, 5353, 53, proto=17),
            pkt(S, C, 53, 5353, proto=17, t=0.1),
            pkt(C, S, 5353, 53, proto=17, t=0.2),
        ]
    )
    assert got == ["ts-", "tc+", "ts+"]
    (flow,) = table.flush()
    assert flow.state_name == "established" and flow.tcp is None


def test_udp_after_its_timeout_is_a_new_flow() -> None:
    ended: list[Flow] = []
    table = FlowTable(on_flow_end=ended.append)
    first = [pkt(C, S, 5353, 53, proto=17), pkt(S, C, 53, 5353, proto=17, t=0.1)]
    later = [pkt(C, S, 5353, 53, proto=17, t=400), pkt(S, C, 53, 5353, proto=17, t=400.1)]
    assert [view(table, p) for p in first + later] == ["ts-", "tc+", "ts-", "tc+"]
    assert [f.end_reason for f in ended] == ["timeout"]
    assert first[0].flow is not later[0].flow


def icmp(src: bytes, dst: bytes, itype: int, t: float = 0.0, proto: int = 1) -> Packet:
    return pkt(src, dst, proto=proto, icmp_type=itype, t=t)


def icmp4_error(
    src: bytes,
    dst: bytes,
    itype: int,
    q_src: bytes,
    q_dst: bytes,
    q_proto: int,
    sp: int,
    dp: int,
    t: float = 0.0,
) -> Packet:
    quoted = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, 0, 0, 64, q_proto, 0, q_src, q_dst) + struct.pack(
        "!HHI", sp, dp, 0
    )
    data = struct.pack("!BBHI", itype, 1, 0, 0) + quoted
    return pkt(src, dst, proto=1, icmp_type=itype, icmp_code=1, t=t, data=data)


def test_icmp_echo_pairs_share_a_flow_whatever_the_id() -> None:
    got, table = run(
        [
            icmp(C, S, 8),
            icmp(S, C, 0, 0.1),
            icmp(C, S, 8, 0.2),
            icmp(S, C, 0, 0.3),
            icmp(C, S, 13, 0.7),
            icmp(S, C, 14, 0.8),
        ]
    )
    assert got == ["ts-", "tc+", "ts+", "tc+", "ts-", "tc+"]
    assert table.stats["flow.created"] == 2


def test_icmp_errors_join_the_quoted_flow_or_get_none() -> None:
    table = FlowTable()
    syn = c2s("S", 1, 0, port=3333)
    got = [
        view(table, syn),
        view(table, icmp4_error(S, C, 3, C, S, 6, 3333, 80, t=0.1)),  # quotes the client's SYN
        view(table, icmp4_error(C, S, 3, S, C, 6, 80, 3333, t=0.2)),  # sent from the client's address
        view(table, icmp4_error(C, S, 3, C, S, 17, 9, 9, t=0.3)),  # quotes an unknown flow
        view(table, icmp4_error(S, C, 11, C, S, 6, 3333, 80, t=0.4)),  # time exceeded: never a flow
        view(table, icmp(C, S, 9, 0.5)),  # router advertisement / solicitation pair
        view(table, icmp(S, C, 10, 0.6)),
    ]
    assert got == ["ts-", "tc-", "ts-", "none", "none", "ts-", "tc+"]
    flow = syn.flow
    assert flow is not None and (flow.pkts_toserver, flow.pkts_toclient) == (2, 1)
    assert table.stats["flow.icmp_error_no_flow"] == 2


def test_icmp_error_does_not_establish_a_udp_flow() -> None:
    table = FlowTable()
    assert view(table, pkt(C, S, 6000, 7000, proto=17)) == "ts-"
    assert view(table, icmp4_error(S, C, 3, C, S, 17, 6000, 7000, t=0.1)) == "tc-"
    assert view(table, pkt(C, S, 6000, 7000, proto=17, t=0.2)) == "ts-"


def test_icmpv6_flows_by_type_pair() -> None:
    a, b = bytes(15) + b"\x01", bytes(15) + b"\x02"
    got, table = run(
        [
            icmp(a, b, 128, proto=58),
            icmp(b, a, 129, 0.1, proto=58),
            icmp(a, b, 135, 0.2, proto=58),
            icmp(b, a, 136, 0.3, proto=58),
            icmp(a, b, 128, 0.4, proto=58),
            icmp(b, a, 3, 0.5, proto=58),
        ]
    )
    assert got == ["ts-", "tc+", "ts-", "tc+", "ts+", "ts-"]
    assert table.stats["flow.created"] == 3


def test_vlan_ids_separate_flows() -> None:
    table = FlowTable()
    a = pkt(C, S, 1111, 2222, proto=17, vlan=(10,))
    b = pkt(C, S, 1111, 2222, proto=17, vlan=(20,), t=0.1)
    c = pkt(C, S, 1111, 2222, proto=17, vlan=(10,), t=0.2)
    for p in (a, b, c):
        table.process(p)
    assert a.flow is c.flow and a.flow is not b.flow
    assert table.get(pkt(S, C, 2222, 1111, proto=17, vlan=(20,))) is b.flow


def test_tunnel_depth_separates_flows() -> None:
    table = FlowTable()
    outer = pkt(C, S, 1, 2, proto=17)
    inner = pkt(C, S, 1, 2, proto=17)
    inner.tunnel_depth = 1
    assert table.process(outer) is not table.process(inner)


def test_protocols_without_flows_and_port_less_flows() -> None:
    table = FlowTable()
    assert view(table, pkt(C, S, proto=46, payload=b"abcd")) == "none"  # RSVP: Suricata makes no flow
    assert view(table, pkt(C, S, proto=2, payload=b"abcd")) == "none"  # IGMP
    assert view(table, pkt(C, S, proto=47, payload=b"abcd")) == "none"  # GRE outer
    # IP-in-IP outer packets: one flow for both directions, every packet to_server
    assert [
        view(table, pkt(a, b, proto=4, payload=b"\x45" + bytes(19), t=i))
        for i, (a, b) in enumerate([(C, S), (S, C), (C, S)])
    ] == ["ts-", "ts-", "ts-"]
    # ESP: one flow per direction (keyed by SPI), even when the SPI is the same
    e1 = pkt(C, S, proto=50, payload=struct.pack("!II", 5, 1))
    e2 = pkt(S, C, proto=50, payload=struct.pack("!II", 5, 1), t=0.1)
    assert (view(table, e1), view(table, e2)) == ("ts-", "ts-")
    assert e1.flow is not e2.flow
    assert table.stats["flow.no_flow"] == 3


def test_sctp_without_a_decoded_header_is_keyed_by_payload_ports() -> None:
    table = FlowTable()
    a = pkt(C, S, proto=132, payload=struct.pack("!HHII", 7, 7, 0, 0))
    b = pkt(S, C, proto=132, payload=struct.pack("!HHII", 7, 7, 0, 0), t=0.1)
    a.l4_off = b.l4_off = -1
    assert (view(table, a), view(table, b)) == ("ts-", "tc+")


def test_no_ip_fragment_or_broken_transport_gets_no_flow() -> None:
    table = FlowTable()
    arp = Packet(T0, 1, 1, b"\0" * 42)
    frag = pkt(C, S, 1, 2, proto=17)
    frag.is_fragment = True
    broken = pkt(C, S, 1, 2)
    broken.l4_off = -1
    assert [view(table, p) for p in (arp, frag, broken)] == ["none"] * 3
    assert table.stats["flow.no_flow"] == 3 and len(table) == 0


def test_counters_and_times() -> None:
    table = FlowTable()
    a = pkt(C, S, 1, 2, proto=17, payload=b"x" * 10, t=1)
    b = pkt(S, C, 2, 1, proto=17, payload=b"y" * 20, t=2)
    late = pkt(C, S, 1, 2, proto=17, t=1.5)  # out of order: counted, last_us does not move back
    for p in (a, b, late):
        table.process(p)
    flow = a.flow
    assert flow is not None
    assert (flow.pkts_toserver, flow.pkts_toclient) == (2, 1)
    assert (flow.bytes_toserver, flow.bytes_toclient) == (len(a.data) + len(late.data), len(b.data))
    assert (flow.start_us, flow.last_us) == (a.ts_us, b.ts_us)


def test_flow_ids_are_unique_positive_51_bit_and_seeded() -> None:
    ids = set()
    for seed in (0, 1):
        table = FlowTable(flow_id_seed=seed)
        for i in range(2000):
            f = table.process(pkt(C, S, 1000 + i, 53, proto=17))
            assert f is not None and 0 < f.flow_id < 2**51
            ids.add(f.flow_id)
    assert len(ids) == 4000
    again = FlowTable().process(pkt(C, S, 1000, 53, proto=17))
    first = FlowTable().process(pkt(C, S, 1000, 53, proto=17))
    assert again is not None and first is not None and again.flow_id == first.flow_id  # deterministic


def test_flow_record_fields() -> None:
    table = FlowTable()
    p = icmp(C, S, 8)
    flow = table.process(p)
    assert flow is not None
    assert (flow.proto, flow.ip_version, flow.icmp_type, flow.icmp_code) == (1, 4, 8, 0)
    assert (flow.client_port, flow.server_port, flow.app_proto) == (0, 0, None)
    assert flow.flowbits == set() and flow.flowints == {} and flow.detect_state == {}
    assert not flow.is_established() and "proto=1" in repr(flow)


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(ValueError, match="max_flows"):
        FlowTable(max_flows=0)
    with pytest.raises(ValueError, match="class"):
        FlowTable(timeouts_us={"sctp": {"new": 1}})
    with pytest.raises(ValueError, match=r"tcp\.old"):
        FlowTable(timeouts_us={"tcp": {"old": 1}})
