"""TCP session states: handshake, closing sequences, RST, stream starters, port reuse.

The final states of the closing sequences are those Suricata 8.0.8 reported (EVE
`tcp.state`) for the same packets after a complete handshake (client ISN 1000, server
ISN 5000).
"""

from __future__ import annotations

import pytest

from sensor.decode.packet import TH_ACK, TH_FIN, TH_RST, TH_SYN
from sensor.flow import tcp
from sensor.flow.tcp import STATE_NAMES, TcpState, is_port_reuse, is_stream_starter, update_tcp

F = {"S": TH_SYN, "A": TH_ACK, "F": TH_FIN, "R": TH_RST}


def step(
    st: TcpState,
    who: str,
    flags: str,
    seq: int,
    ack: int,
    *,
    midstream: bool = False,
    async_oneside: bool = False,
    plen: int = 0,
) -> bool:
    return update_tcp(st, sum(F[c] for c in flags), seq, ack, plen, who == "C", midstream, async_oneside)


def established() -> TcpState:
    st = TcpState()
    for who, flags, seq, ack in (("C", "S", 1000, 0), ("S", "SA", 5000, 1001), ("C", "A", 1001, 5001)):
        step(st, who, flags, seq, ack)
    assert st.state == tcp.ESTABLISHED
    return st


@pytest.mark.parametrize(
    ("close", "final"),
    [
        ([("C", "FA", 1001, 5001)], "close_wait"),
        ([("C", "FA", 1001, 5001), ("S", "A", 5001, 1002)], "close_wait"),
        ([("C", "FA", 1001, 5001), ("S", "FA", 5001, 1002)], "last_ack"),
        ([("C", "FA", 1001, 5001), ("S", "A", 5001, 1002), ("S", "FA", 5001, 1002)], "last_ack"),
        ([("C", "FA", 1001, 5001), ("S", "FA", 5001, 1002), ("C", "A", 1002, 5002)], "closed"),
        ([("S", "FA", 5001, 1001)], "fin_wait1"),
        ([("S", "FA", 5001, 1001), ("C", "A", 1001, 5002)], "fin_wait2"),
        ([("S", "FA", 5001, 1001), ("C", "FA", 1001, 5002)], "time_wait"),
        ([("S", "FA", 5001, 1001), ("C", "FA", 1001, 5002), ("S", "A", 5002, 1002)], "closed"),
        ([("C", "FA", 1001, 5001), ("S", "FA", 5001, 1001)], "last_ack"),  # FINs crossing
        ([("C", "R", 1001, 0)], "closed"),
        ([("S", "RA", 5001, 1001)], "closed"),
    ],
)
def test_closing_sequences_end_in_suricatas_states(
    close: list[tuple[str, str, int, int]], final: str
) -> None:
    st = established()
    for who, flags, seq, ack in close:
        step(st, who, flags, seq, ack)
    assert STATE_NAMES[st.state] == final


def test_simultaneous_close_goes_through_closing() -> None:
    st = established()
    step(st, "S", "FA", 5001, 1001)  # fin_wait1
    step(st, "C", "F", 1001, 0)  # the client's FIN does not acknowledge the server's
    assert st.state == tcp.CLOSING
    step(st, "S", "A", 5002, 1002)
    assert st.state == tcp.TIME_WAIT


def test_handshake_states_and_isns() -> None:
    st = TcpState()
    step(st, "C", "S", 1000, 0)
    assert (st.state, st.client_isn) == (tcp.SYN_SENT, 1000)
    step(st, "S", "SA", 5000, 999)  # does not acknowledge the SYN: ignored
    assert st.state == tcp.SYN_SENT
    step(st, "S", "SA", 5000, 1001)
    assert (st.state, st.server_isn) == (tcp.SYN_RECV, 5000)
    step(st, "C", "A", 1001, 4000)  # wrong ACK: the handshake is not complete
    assert st.state == tcp.SYN_RECV
    step(st, "C", "A", 1001, 5001)
    assert st.state == tcp.ESTABLISHED and not st.midstream


def test_isn_wraps_around() -> None:
    st = TcpState()
    step(st, "C", "S", 0xFFFFFFFF, 0)
    step(st, "S", "SA", 0xFFFFFFFF, 0)
    step(st, "C", "A", 0, 0)
    assert st.state == tcp.ESTABLISHED


def test_pickups() -> None:
    st = TcpState()
    assert not step(st, "C", "A", 1, 1)  # midstream off: no session
    assert st.state == tcp.NONE
    assert not step(st, "C", "A", 1, 1, midstream=True)
    assert st.state == tcp.ESTABLISHED and st.midstream
    st = TcpState()
    assert step(st, "S", "SA", 5000, 1001, async_oneside=True)  # caller must reverse the flow
    assert (st.state, st.client_isn, st.server_isn) == (tcp.SYN_RECV, 1000, 5000)
    st = TcpState()
    assert not step(st, "S", "SA", 5000, 1001)  # no pickup allowed
    assert st.state == tcp.NONE
    st = TcpState()
    step(st, "C", "S", 1000, 0, async_oneside=True)
    step(st, "C", "A", 1001, 5001, async_oneside=True)
    assert st.state == tcp.ESTABLISHED


def test_rst_without_session_and_on_closed_session() -> None:
    st = TcpState()
    step(st, "C", "R", 1, 0)
    assert st.state == tcp.NONE
    st = established()
    step(st, "C", "R", 1001, 0)
    step(st, "S", "R", 5001, 0)
    assert (st.state, st.rst_state) == (tcp.CLOSED, tcp.ESTABLISHED)


def test_after_rst_only_the_resetting_side_moves_the_session() -> None:
    st = TcpState()
    step(st, "C", "S", 1000, 0)
    step(st, "S", "RA", 0, 1001)  # the server resets; the client received it
    step(st, "C", "S", 2000, 0)  # the side that got the RST: ignored
    assert st.state == tcp.CLOSED
    step(st, "S", "SA", 7000, 1001)  # the resetting side continues from SYN_SENT
    assert st.state == tcp.SYN_RECV


def test_stream_starters() -> None:
    assert is_stream_starter(TH_SYN, False, False)
    assert not is_stream_starter(TH_SYN | TH_ACK, False, False)
    assert is_stream_starter(TH_SYN | TH_ACK, True, False)
    assert is_stream_starter(TH_SYN | TH_ACK, False, True)
    assert not is_stream_starter(TH_SYN | TH_RST, True, True)
    assert not is_stream_starter(TH_SYN | TH_FIN, True, True)
    assert not is_stream_starter(TH_ACK, True, True)


@pytest.mark.parametrize(
    ("state", "seq", "to_server", "reuse"),
    [
        (tcp.NONE, 1000, True, True),
        (tcp.SYN_SENT, 2000, True, False),
        (tcp.ESTABLISHED, 2000, True, False),
        (tcp.FIN_WAIT2, 2000, True, False),
        (tcp.TIME_WAIT, 2000, True, False),
        (tcp.LAST_ACK, 2000, True, True),
        (tcp.CLOSE_WAIT, 2000, False, True),
        (tcp.CLOSED, 2000, True, True),
        (tcp.CLOSED, 1000, True, False),  # retransmission of the client's SYN
        (tcp.CLOSED, 5000, False, False),  # retransmission of the server's SYN/ACK
    ],
)
def test_port_reuse_rule(state: int, seq: int, to_server: bool, reuse: bool) -> None:
    st = TcpState()
    st.state, st.client_isn, st.server_isn = state, 1000, 5000
    assert is_port_reuse(st, seq, to_server) is reuse


def test_flow_state_mapping_and_names() -> None:
    assert set(STATE_NAMES) == set(tcp.FLOW_STATE_OF)
    assert {s for s, f in tcp.FLOW_STATE_OF.items() if f == tcp.FLOW_CLOSED} == {
        tcp.TIME_WAIT,
        tcp.LAST_ACK,
        tcp.CLOSED,
    }
    assert repr(established()) == "TcpState(established)"
