"""The decoded packet record: one mutable, slotted object per captured frame.

Step 2 of the data flow (README): decoders fill it in place, the flow table
attaches the flow and direction, detection reads it. Fields hold plain ints and
bytes so that keyword closures read them without calls. Hot path: no methods
that allocate beyond what a field needs; malformed input is recorded as events
(`sensor.decode.events`), never raised.
"""

from __future__ import annotations

from typing import Any

# ip_version values
IPV4 = 4
IPV6 = 6

# TCP flag bits (as in the TCP header's flags byte, plus ECE/CWR)
TH_FIN = 0x01
TH_SYN = 0x02
TH_RST = 0x04
TH_PUSH = 0x08
TH_ACK = 0x10
TH_URG = 0x20
TH_ECN = 0x40
TH_CWR = 0x80


class Packet:
    """One decoded frame (or a pseudo-packet: tunnel inner or defragmented datagram)."""

    __slots__ = (  # noqa: RUF023 - grouped by layer, in the order decoders fill them
        # capture
        "ts_us",  # int: packet timestamp, microseconds since the epoch
        "pcap_cnt",  # int: 1-based record number in the capture (pseudo-packets share their root's)
        "linktype",  # int: DLT/LINKTYPE of the frame
        "data",  # bytes: the whole frame (or the reassembled datagram for a pseudo-packet)
        "vlan",  # tuple[int, ...]: VLAN ids, outermost first
        # layer 3
        "ip_version",  # 0 (no IP), 4 or 6
        "l3_off",  # int: offset of the IP header in data, -1 if none
        "src",  # bytes: source address, 4 or 16 bytes (b"" when no IP)
        "dst",  # bytes: destination address
        "proto",  # int: IP protocol of the transport header (after IPv6 extension headers), -1 if none
        "ttl",  # int: IPv4 TTL / IPv6 hop limit
        "tos",  # int: IPv4 TOS / IPv6 traffic class
        "ip_id",  # int: IPv4 identification (IPv6: fragment header id, else 0)
        "ip_len",  # int: total length of the IP datagram as the header says
        "frag_off",  # int: fragment offset in bytes
        "frag_mf",  # bool: more-fragments flag
        "is_fragment",  # bool: datagram is a fragment (needs defrag before L4)
        "ip_opts",  # int: bitmask of IPv4 options seen (see sensor.decode.ipv4)
        # layer 4
        "l4_off",  # int: offset of the transport header in data, -1 if none
        "sp",  # int: source port (0 when the protocol has none)
        "dp",  # int: destination port
        "tcp_flags",  # int: TCP flags byte
        "tcp_seq",  # int
        "tcp_ack",  # int
        "tcp_win",  # int: raw window field
        "tcp_opts",  # dict[int, bytes] | None: TCP options by kind (last wins)
        "icmp_type",  # int, -1 when not ICMP
        "icmp_code",  # int
        "icmp_id",  # int, -1 when the message type has none
        "icmp_seq",  # int, -1 when the message type has none
        # payload
        "payload",  # bytes: transport payload (b"" when none)
        # TCP stream (set by sensor.stream.reassembly)
        "stream_added",  # bool: the payload was taken into its TCP stream (Suricata's PKT_STREAM_ADD)
        "stream_chunks",  # tuple[bytes, ...] | None: stream data to inspect with this packet, None when none is ready
        "stream_eof",  # bool: flow-end pseudo packet; only payload rules run, over stream_chunks
        # decode results
        "events",  # list[int] | None: decode event ids (sensor.decode.events)
        "inner",  # Packet | None: the packet a tunnel carries (sensor.decode.tunnel)
        "is_pseudo",  # bool: made by the engine (tunnel inner or reassembled datagram)
        "pkt_src",  # str: EVE pkt_src: "wire/pcap", "defrag", "gre tunnel", "ipv4 tunnel", ...
        "tunnel_depth",  # int: 0 for a captured frame, parent's + 1 for a tunnel's inner packet
        "layers",  # int: decode layers counted beyond Ethernet/VLAN/IP (sensor.decode.layers)
        # flow (set by sensor.flow)
        "flow",  # Flow | None
        "to_server",  # bool: direction within the flow (initiator -> responder)
        "established",  # bool: flow was established when this packet was seen
        "checksum_ok",  # bool: IP/L4 checksums valid (only computed when validation is on)
    )

    def __init__(self, ts_us: int, pcap_cnt: int, linktype: int, data: bytes) -> None:
        self.ts_us = ts_us
        self.pcap_cnt = pcap_cnt
        self.linktype = linktype
        self.data = data
        self.vlan: tuple[int, ...] = ()
        self.ip_version = 0
        self.l3_off = -1
        self.src = b""
        self.dst = b""
        self.proto = -1
        self.ttl = 0
        self.tos = 0
        self.ip_id = 0
        self.ip_len = 0
        self.frag_off = 0
        self.frag_mf = False
        self.is_fragment = False
        self.ip_opts = 0
        self.l4_off = -1
        self.sp = 0
        self.dp = 0
        self.tcp_flags = 0
        self.tcp_seq = 0
        self.tcp_ack = 0
        self.tcp_win = 0
        self.tcp_opts: dict[int, bytes] | None = None
        self.icmp_type = -1
        self.icmp_code = -1
        self.icmp_id = -1
        self.icmp_seq = -1
        self.payload = b""
        self.stream_added = False
        self.stream_chunks: tuple[bytes, ...] | None = None
        self.stream_eof = False
        self.events: list[int] | None = None
        self.inner: Packet | None = None
        self.is_pseudo = False
        self.pkt_src = "wire/pcap"
        self.tunnel_depth = 0
        self.layers = 0
        self.flow: Any = None
        self.to_server = True
        self.established = False
        self.checksum_ok = True

    def add_event(self, event_id: int) -> None:
        """Record a decode event (an int from sensor.decode.events)."""
        if self.events is None:
            self.events = [event_id]
        else:
            self.events.append(event_id)

    def __repr__(self) -> str:
        return (
            f"Packet(#{self.pcap_cnt} v{self.ip_version} proto={self.proto} "
            f"{self.src.hex()}:{self.sp} -> {self.dst.hex()}:{self.dp} len={len(self.payload)})"
        )
