"""TCP session state: handshake, midstream pickup, FIN/RST close, port-reuse test.

Step 3 of 10 (flow). Tracks just enough of each TCP session for Suricata's
`flow:established` semantics, flow timeouts (new / established / closed) and TCP
port reuse; no sequence tracking beyond ISNs and FIN acknowledgement (reassembly
lives in sensor.stream). State names and their numeric order are Suricata's, which
is observable: a packet is "established" when the state before it is >= ESTABLISHED,
so the closing states (and CLOSED after an RST during the handshake) count too.
Hot path: no allocation, no logging; callers skip `update_tcp` for plain data
segments on an established session (see `sensor.flow.table`).
"""

from __future__ import annotations

from sensor.decode.packet import TH_ACK, TH_FIN, TH_RST, TH_SYN

# Suricata's TcpState values (stream-tcp-private.h order); the order is part of the semantics.
NONE = 0
SYN_SENT = 2
SYN_RECV = 3
ESTABLISHED = 4
FIN_WAIT1 = 5
FIN_WAIT2 = 6
TIME_WAIT = 7
LAST_ACK = 8
CLOSE_WAIT = 9
CLOSING = 10
CLOSED = 11

STATE_NAMES: dict[int, str] = {
    NONE: "none",
    SYN_SENT: "syn_sent",
    SYN_RECV: "syn_recv",
    ESTABLISHED: "established",
    FIN_WAIT1: "fin_wait1",
    FIN_WAIT2: "fin_wait2",
    TIME_WAIT: "time_wait",
    LAST_ACK: "last_ack",
    CLOSE_WAIT: "close_wait",
    CLOSING: "closing",
    CLOSED: "closed",
}

# Flow state a TCP state maps to (Suricata: FLOW_STATE_NEW / ESTABLISHED / CLOSED).
FLOW_NEW = 0
FLOW_ESTABLISHED = 1
FLOW_CLOSED = 2
FLOW_STATE_OF: dict[int, int] = {
    NONE: FLOW_NEW,
    SYN_SENT: FLOW_NEW,
    SYN_RECV: FLOW_NEW,
    ESTABLISHED: FLOW_ESTABLISHED,
    FIN_WAIT1: FLOW_ESTABLISHED,
    FIN_WAIT2: FLOW_ESTABLISHED,
    CLOSING: FLOW_ESTABLISHED,
    CLOSE_WAIT: FLOW_ESTABLISHED,
    LAST_ACK: FLOW_CLOSED,
    TIME_WAIT: FLOW_CLOSED,
    CLOSED: FLOW_CLOSED,
}

_M32 = 0xFFFFFFFF
_SYN_ACK = TH_SYN | TH_ACK
_CTL = TH_SYN | TH_ACK | TH_RST | TH_FIN


class TcpState:
    """Per-flow TCP session; `state` is NONE until a session is picked up."""

    __slots__ = (
        "client_fin_ack",
        "client_isn",
        "client_syn_len",
        "midstream",
        "rst_state",
        "rst_to",
        "server_fin_ack",
        "server_isn",
        "state",
    )

    def __init__(self) -> None:
        self.state = NONE
        self.rst_state = NONE  # state when the session was reset (Suricata's pstate)
        self.rst_to = 0  # sides that received a RST: 1 the client, 2 the server
        self.client_isn = 0
        self.client_syn_len = 0  # data on the client's SYN (TCP fast open): the SYN/ACK may ACK it too
        self.server_isn = 0
        self.client_fin_ack = -1  # ACK value that acknowledges the client's FIN, -1 before it
        self.server_fin_ack = -1
        self.midstream = False  # picked up without seeing the client's SYN

    def __repr__(self) -> str:
        return f"TcpState({STATE_NAMES[self.state]})"


def is_stream_starter(flags: int, midstream: bool, async_oneside: bool) -> bool:
    """A packet that may open a new session: a bare SYN, or a SYN/ACK when pickups are allowed."""
    ctl = flags & _CTL
    return ctl == TH_SYN or (ctl == _SYN_ACK and (midstream or async_oneside))


def is_port_reuse(st: TcpState, seq: int, to_server: bool) -> bool:
    """Whether a stream-starter packet ends this session and starts a new flow (Suricata's rule).

    No session yet: reuse. A retransmitted SYN/SYN-ACK (same ISN as the sender's): never.
    Otherwise only once the session is LAST_ACK or later in Suricata's order (LAST_ACK,
    CLOSE_WAIT, CLOSING, CLOSED); TIME_WAIT and the FIN_WAIT states keep the old flow.
    """
    state = st.state
    if state == NONE:
        return True
    isn = st.client_isn if to_server else st.server_isn
    if seq == isn:
        return False
    return state >= LAST_ACK


def update_tcp(
    st: TcpState,
    flags: int,
    seq: int,
    ack: int,
    plen: int,
    to_server: bool,
    midstream: bool,
    async_oneside: bool,
) -> bool:
    """Advance the session with one packet; True means "reverse the flow's direction".

    The reverse request comes from a SYN/ACK picked up as the first packet of a session
    (midstream or async-oneside): its destination is the client. The caller swaps the
    flow, then the packet counts as to_client. RSTs are accepted without Suricata's
    sequence-window check.
    """
    state = st.state
    if flags & TH_RST:
        if state != NONE and state != CLOSED:
            st.rst_state = state
            st.rst_to |= 2 if to_server else 1
            st.state = CLOSED
        return False
    if state == CLOSED:
        # Suricata: after a RST, the side that sent it may go on from the state before
        # the reset (the session is revived); packets of the side that got it change nothing.
        rst_to = st.rst_to
        if rst_to & (1 if to_server else 2) or not rst_to & (2 if to_server else 1):
            return False
        state = st.state = st.rst_state
    if state == NONE:
        ctl = flags & _SYN_ACK
        if ctl == _SYN_ACK:
            if midstream or async_oneside:
                st.state = SYN_RECV
                st.client_isn = (ack - 1) & _M32
                st.server_isn = seq
                st.midstream = True
                return True
        elif ctl == TH_SYN:
            st.state = SYN_SENT
            st.client_isn = seq
            st.client_syn_len = plen
        elif ctl == TH_ACK and midstream:
            st.state = ESTABLISHED
            st.midstream = True
        return False
    if state == SYN_SENT:
        if to_server:
            if flags & TH_SYN:
                st.client_isn = seq  # a SYN resent with a new ISN replaces the old one
                st.client_syn_len = plen
            elif flags & TH_ACK and async_oneside:
                st.state = ESTABLISHED
        elif (flags & _SYN_ACK) == _SYN_ACK and (
            ack == (st.client_isn + 1) & _M32
            or (st.client_syn_len and ack == (st.client_isn + 1 + st.client_syn_len) & _M32)
        ):
            st.state = SYN_RECV
            st.server_isn = seq
        return False
    if state == SYN_RECV:
        if to_server:
            if (flags & _SYN_ACK) == TH_ACK and ack == (st.server_isn + 1) & _M32:
                st.state = ESTABLISHED
                if flags & TH_FIN:
                    _fin(st, flags, seq, ack, plen, True)
        elif (flags & _SYN_ACK) == _SYN_ACK:
            st.server_isn = seq
        elif flags & TH_ACK and async_oneside and st.midstream:
            # one-sided session picked up at its SYN/ACK: the server's next ACK establishes it
            st.state = ESTABLISHED
        return False
    if flags & TH_FIN:
        _fin(st, flags, seq, ack, plen, to_server)
    elif flags & TH_ACK:
        _ack(st, ack, to_server)
    return False


def _fin(st: TcpState, flags: int, seq: int, ack: int, plen: int, to_server: bool) -> None:
    """A FIN from one side, in Suricata's (server-perspective) state names."""
    state = st.state
    if to_server:
        st.client_fin_ack = (seq + plen + 1) & _M32
        if state == ESTABLISHED:
            st.state = CLOSE_WAIT
        elif state == FIN_WAIT1:
            st.state = TIME_WAIT if flags & TH_ACK and _ack_covers(ack, st.server_fin_ack) else CLOSING
        elif state == FIN_WAIT2:
            st.state = TIME_WAIT
    else:
        st.server_fin_ack = (seq + plen + 1) & _M32
        if state == ESTABLISHED:
            st.state = FIN_WAIT1
        elif state == CLOSE_WAIT:
            st.state = LAST_ACK


def _ack(st: TcpState, ack: int, to_server: bool) -> None:
    """A pure ACK moving a closing session on."""
    state = st.state
    if to_server:
        if state == FIN_WAIT1 and _ack_covers(ack, st.server_fin_ack):
            st.state = FIN_WAIT2
        elif state == LAST_ACK and _ack_covers(ack, st.server_fin_ack):
            st.state = CLOSED
        elif state == CLOSING:
            st.state = TIME_WAIT
    elif state == TIME_WAIT and _ack_covers(ack, st.client_fin_ack):
        st.state = CLOSED
    elif state == CLOSING:
        st.state = TIME_WAIT


def _ack_covers(ack: int, expected: int) -> bool:
    """`ack` acknowledges up to or past `expected` (mod 2**32); False before any FIN."""
    return expected >= 0 and ((ack - expected) & _M32) < 0x80000000
