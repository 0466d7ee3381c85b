"""The Flow record: one bidirectional conversation, with the detection state kept on it.

Step 3 of 10 (flow). `sensor.flow.table` creates and updates Flow objects; detection
(step 5) reads the counters and keeps flowbits / flowints / its own per-flow caches
here; output (step 6) reads the addresses, counters and `flow_id`. The initiator is
the client (Suricata's EVE `src_*` of a flow). Plain slotted fields, no properties on
the hot path; fields whose names start with an underscore belong to the flow table.
"""

from __future__ import annotations

from typing import Any

from sensor.flow.tcp import ESTABLISHED, FLOW_ESTABLISHED, TcpState

FLOW_STATE_NAMES = ("new", "established", "closed")


class Flow:
    """One flow, keyed by `sensor.flow.key`; created by `FlowTable.process`."""

    __slots__ = (
        "_client_is_lo",  # bool: the client is the key's low endpoint
        "_key",  # tuple: the table's key (see sensor.flow.key)
        "_seen",  # int: bit 1 a packet to the server seen, bit 2 one to the client
        "_state",  # int: FLOW_NEW / FLOW_ESTABLISHED / FLOW_CLOSED (sensor.flow.tcp)
        "_timeout_us",  # int: _timeouts[_state]
        "_timeouts",  # tuple[int, int, int]: idle timeout in µs per _state for this protocol
        "_wheel_at",  # int: expiry-wheel second this flow is filed under (table internal)
        "app_proto",  # str | None: set by app-layer detection
        "bytes_toclient",  # int
        "bytes_toserver",  # int: whole-frame bytes, as Suricata counts them
        "client_addr",  # bytes: initiator address (4 or 16 bytes)
        "client_port",  # int: 0 for protocols without ports
        "detect_state",  # dict[str, Any]: free slot for the detection engine
        "end_reason",  # str | None: why the flow left the table (timeout, tcp_reuse, evicted, shutdown)
        "flow_id",  # int: 51-bit positive id, unique within the table's run (EVE flow_id)
        "flowbits",  # set[str]: flowbits keyword state
        "flowints",  # dict[str, int]: flowint keyword state
        "icmp_code",  # int
        "icmp_type",  # int: type of the first ICMP/ICMPv6 packet, -1 for other protocols
        "ip_version",  # int: 4 or 6
        "last_us",  # int: timestamp of the latest packet (never moves back)
        "pkts_toclient",  # int
        "pkts_toserver",  # int
        "proto",  # int: IP protocol (of the flow; an ICMP error joined to a TCP flow keeps 6)
        "server_addr",  # bytes
        "server_port",  # int
        "start_us",  # int: timestamp of the first packet
        "stream",  # TcpStreams | None: TCP stream data of both directions (sensor.stream.reassembly)
        "tcp",  # TcpState | None: TCP session (None for other protocols)
        "vlan",  # tuple[int, ...]: VLAN ids, outermost first (part of the key)
    )

    def __init__(
        self,
        flow_id: int,
        key: tuple[Any, ...],
        proto: int,
        ip_version: int,
        vlan: tuple[int, ...],
        client_addr: bytes,
        client_port: int,
        server_addr: bytes,
        server_port: int,
        ts_us: int,
        timeouts: tuple[int, int, int],
    ) -> None:
        self.flow_id = flow_id
        self._key = key
        self.proto = proto
        self.ip_version = ip_version
        self.vlan = vlan
        self.client_addr = client_addr
        self.client_port = client_port
        self.server_addr = server_addr
        self.server_port = server_port
        self.icmp_type = -1
        self.icmp_code = -1
        self.start_us = ts_us
        self.last_us = ts_us
        self.pkts_toserver = 0
        self.pkts_toclient = 0
        self.bytes_toserver = 0
        self.bytes_toclient = 0
        self.tcp: TcpState | None = TcpState() if proto == 6 else None
        self.stream: Any = None
        self.flowbits: set[str] = set()
        self.flowints: dict[str, int] = {}
        self.app_proto: str | None = None
        self.detect_state: dict[str, Any] = {}
        self.end_reason: str | None = None
        self._client_is_lo = True
        self._seen = 0
        self._state = 0
        self._timeouts = timeouts
        self._timeout_us = timeouts[0]
        self._wheel_at = -1

    def is_established(self) -> bool:
        """What `flow:established` would see on the next packet of this flow.

        TCP: the session state is ESTABLISHED or later in Suricata's order (closing and
        closed sessions included). Other protocols: packets were seen in both directions.
        """
        tcp = self.tcp
        if tcp is not None:
            return tcp.state >= ESTABLISHED
        return self._state == FLOW_ESTABLISHED

    @property
    def state_name(self) -> str:
        """EVE's flow.state: "new", "established" or "closed"."""
        return FLOW_STATE_NAMES[self._state]

    def __repr__(self) -> str:
        return (
            f"Flow(id={self.flow_id} proto={self.proto} {self.client_addr.hex()}:{self.client_port} -> "
            f"{self.server_addr.hex()}:{self.server_port} {self.state_name} "
            f"ts={self.pkts_toserver} tc={self.pkts_toclient})"
        )
