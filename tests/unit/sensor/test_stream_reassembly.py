"""Unit tests for sensor.stream.reassembly: what each TCP stream holds and when it is inspected.

Frames are built with scapy, decoded, run through sensor.flow.table.FlowTable (TCP state)
and then Reassembler.process, which sets pkt.stream_added and pkt.stream_chunks. Where a
result is Suricata's, it was observed with Suricata 8.0.8 (tools/peer) on the same frames:
the reassembled data of the overlap cases is the `payload` of its stream alert at flow end.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from scapy.all import IP, TCP, Ether, Raw  # type: ignore[import-untyped]

from sensor.decode.dispatch import decode_frame
from sensor.decode.packet import Packet
from sensor.errors import ConfigError
from sensor.flow.table import FlowTable
from sensor.stream.reassembly import (
    BSD,
    FIRST,
    LINUX,
    OLD_LINUX,
    POLICY_NAMES,
    SOLARIS,
    Reassembler,
    StreamConfig,
    new_data_wins,
    parse_size,
    stream_config,
)
from sensor.suricata_yaml import load_suricata_yaml

ETH = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
C, S = "10.0.0.1", "10.0.0.2"
ISN_C, ISN_S = 1000, 5000
T0 = 1_700_000_000_000_000


def frame(to_server: bool, flags: str, seq: int, ack: int = 0, data: bytes = b"", win: int = 8192) -> Any:
    src, dst, sp, dp = (C, S, 40000, 9999) if to_server else (S, C, 9999, 40000)
    f = ETH / IP(src=src, dst=dst) / TCP(sport=sp, dport=dp, flags=flags, seq=seq % (1 << 32), window=win)
    if "A" in flags:
        f[TCP].ack = ack % (1 << 32)
    return f / Raw(data) if data else f


def handshake(isn_c: int = ISN_C, isn_s: int = ISN_S) -> list[Any]:
    return [
        frame(True, "S", isn_c),
        frame(False, "SA", isn_s, isn_c + 1),
        frame(True, "A", isn_c + 1, isn_s + 1),
    ]


def cdata(off: int, data: bytes, isn_c: int = ISN_C, flags: str = "PA") -> Any:
    """Client data at stream offset `off` (0 = the byte after the ISN)."""
    return frame(True, flags, isn_c + 1 + off, ISN_S + 1, data)


def sack(upto: int, isn_c: int = ISN_C) -> Any:
    """The server ACKs the client's stream up to offset `upto`."""
    return frame(False, "A", ISN_S + 1, isn_c + 1 + upto)


def feed(
    frames: list[Any], config: StreamConfig | None = None, **table: Any
) -> tuple[list[Packet], Reassembler]:
    flows = FlowTable(**table)
    streams = Reassembler(config or StreamConfig(), async_oneside=table.get("async_oneside", False))
    out = []
    for i, f in enumerate(frames):
        pkt = Packet(T0 + i * 1000, i + 1, 1, bytes(f))
        decode_frame(pkt)
        flows.process(pkt)
        if pkt.flow is not None and pkt.flow.tcp is not None:
            streams.process(pkt)
        out.append(pkt)
    return out, streams


def leftover(pkts: list[Packet], streams: Reassembler) -> list[bytes]:
    """The data the flow-end pseudo packet of the client stream inspects."""
    flow = pkts[-1].flow
    ends = streams.end_flow(flow)
    return [c for p in ends if p.to_server for c in p.stream_chunks or ()]


# ------------------------------------------------------------------------------ overlap policies

# (first segment, second segment) as offsets after a one-byte "@" at offset 0; holes are filled
# with "f" and "#" ends the stream, all ACKed before the flow ends
SCENARIOS = [
    ((1, 5), (1, 5)),  # exact
    ((3, 5), (1, 5)),  # second starts before, same end
    ((3, 5), (1, 7)),  # second covers the first
    ((3, 7), (1, 5)),  # second starts before, ends inside
    ((1, 5), (1, 7)),  # same start, second ends after
    ((1, 7), (1, 5)),  # same start, second ends before
    ((1, 7), (3, 7)),  # second starts inside, same end
    ((1, 5), (3, 7)),  # second starts inside, ends after
    ((1, 7), (3, 5)),  # second inside the first
    ((3, 5), (1, 3)),  # adjacent, no overlap
]
# Suricata 8.0.8's reassembled stream per policy, scenario by scenario
RESULTS = {
    BSD: [
        "@AAAAf#",
        "@BBBBf#",
        "@BBBBBBf#",
        "@BBBBAAf#",
        "@AAAABBf#",
        "@AAAAAAf#",
        "@AAAAAAf#",
        "@AAAABBf#",
        "@AAAAAAf#",
        "@BBAAf#",
    ],
    LINUX: [
        "@AAAAf#",
        "@BBBBf#",
        "@BBBBBBf#",
        "@BBBBAAf#",
        "@BBBBBBf#",
        "@AAAAAAf#",
        "@AAAAAAf#",
        "@AAAABBf#",
        "@AAAAAAf#",
        "@BBAAf#",
    ],
    OLD_LINUX: [
        "@BBBBf#",
        "@BBBBf#",
        "@BBBBBBf#",
        "@BBBBAAf#",
        "@BBBBBBf#",
        "@AAAAAAf#",
        "@AAAAAAf#",
        "@AAAABBf#",
        "@AAAAAAf#",
        "@BBAAf#",
    ],
    SOLARIS: [
        "@BBBBf#",
        "@BBBBf#",
        "@BBBBBBf#",
        "@BBAAAAf#",
        "@BBBBBBf#",
        "@AAAAAAf#",
        "@AAAAAAf#",
        "@AABBBBf#",
        "@AAAAAAf#",
        "@BBAAf#",
    ],
    FIRST: [
        "@AAAAf#",
        "@BBAAf#",
        "@BBAABBf#",
        "@BBAAAAf#",
        "@AAAABBf#",
        "@AAAAAAf#",
        "@AAAAAAf#",
        "@AAAABBf#",
        "@AAAAAAf#",
        "@BBAAf#",
    ],
}


def overlap_frames(a: tuple[int, int], b: tuple[int, int]) -> list[Any]:
    frames = handshake() + [
        cdata(0, b"@"),
        cdata(a[0], b"A" * (a[1] - a[0])),
        cdata(b[0], b"B" * (b[1] - b[0])),
    ]
    covered = set(range(*a)) | set(range(*b))
    end = max(a[1], b[1]) + 1
    frames += [cdata(x, b"f") for x in range(1, end) if x not in covered]
    return frames + [cdata(end, b"#"), sack(end + 1)]


@pytest.mark.parametrize("name", sorted(POLICY_NAMES))
@pytest.mark.parametrize("index", range(len(SCENARIOS)))
def test_overlap_policy_as_suricata(name: str, index: int) -> None:
    policy = POLICY_NAMES[name]
    net = ipaddress.ip_network("0.0.0.0/0")
    config = StreamConfig(host_policies=((net, policy),))
    pkts, streams = feed(overlap_frames(*SCENARIOS[index]), config)
    assert leftover(pkts, streams) == [RESULTS[policy][index].encode()]


@pytest.mark.parametrize(
    ("policy", "new", "old", "wins"),
    [
        (BSD, (0, 4), (1, 4), True),
        (BSD, (1, 5), (1, 4), False),
        (LINUX, (1, 5), (1, 4), True),
        (LINUX, (1, 4), (1, 4), False),
        (OLD_LINUX, (1, 4), (1, 4), True),
        (SOLARIS, (2, 5), (1, 4), True),
        (SOLARIS, (2, 4), (1, 4), False),
        (SOLARIS, (0, 4), (1, 4), True),
        (FIRST, (0, 9), (1, 4), False),
    ],
)
def test_new_data_wins(policy: int, new: tuple[int, int], old: tuple[int, int], wins: bool) -> None:
    assert new_data_wins(policy, *new, *old) is wins


def test_host_os_policy_by_receiver_longest_prefix() -> None:
    config = StreamConfig(
        host_policies=(
            (ipaddress.ip_network("10.0.0.2/32"), OLD_LINUX),
            (ipaddress.ip_network("10.0.0.0/8"), FIRST),
        )
    )
    assert config.policy_for(ipaddress.ip_address(S).packed) == OLD_LINUX
    assert config.policy_for(ipaddress.ip_address(C).packed) == FIRST
    assert config.policy_for(ipaddress.ip_address("192.0.2.1").packed) == BSD


def test_inline_first_data_wins_and_rewrites_the_packet() -> None:
    frames = handshake() + [cdata(0, b"GOOD"), cdata(0, b"EVIL")]
    pkts, _ = feed(frames, StreamConfig(inline=True, default_policy=OLD_LINUX))
    assert pkts[4].payload == b"GOOD"
    assert pkts[4].stream_added and pkts[4].stream_chunks == (b"GOOD",)


# ------------------------------------------------------------------------------ raw inspection


def test_in_order_data_waits_for_a_chunk_of_acked_data() -> None:
    frames = handshake() + [
        cdata(0, b"a" * 1500),
        sack(1500),
        cdata(1500, b"b" * 1500),
        sack(3000),
        cdata(3000, b"c"),
    ]
    pkts, streams = feed(frames)
    assert [p.stream_added for p in pkts[3:]] == [True, False, True, False, True]
    assert pkts[5].stream_chunks is None  # 1500 ACKed: not a chunk yet
    assert pkts[7].stream_chunks == (b"a" * 1500 + b"b" * 1500,)
    flow = pkts[-1].flow
    assert flow.stream.client.raw == 3000 and flow.stream.client.held < 200  # inspected data is released
    assert leftover(pkts, streams) == [b"c"]
    assert streams.memuse == 0


def test_server_data_is_inspected_on_server_packets() -> None:
    frames = handshake() + [
        frame(False, "PA", ISN_S + 1, ISN_C + 1, b"x" * 3000),
        frame(True, "A", ISN_C + 1, ISN_S + 3001),
        frame(False, "A", ISN_S + 3001, ISN_C + 1),
    ]
    pkts, _ = feed(frames)
    assert pkts[4].stream_chunks is None  # the client's stream has nothing
    assert pkts[5].stream_chunks == (b"x" * 3000,)


def test_closing_states_inspect_what_is_acked() -> None:
    frames = handshake() + [cdata(0, b"hello"), sack(5), frame(True, "FA", ISN_C + 6, ISN_S + 1)]
    pkts, _ = feed(frames)
    assert pkts[5].stream_chunks == (b"hello",)  # CLOSE_WAIT is past TIME_WAIT


def test_server_fin_first_does_not_inspect() -> None:
    frames = handshake() + [
        cdata(0, b"hello"),
        sack(5),
        frame(False, "FA", ISN_S + 1, ISN_C + 6),
        cdata(5, b"!"),
    ]
    pkts, _ = feed(frames)
    assert pkts[6].stream_chunks is None  # FIN_WAIT1 is not


def test_out_of_order_segments_fill_in() -> None:
    frames = handshake() + [
        cdata(5, b"world"),
        cdata(0, b"hello"),
        sack(10),
        frame(True, "FA", ISN_C + 11, ISN_S + 1),
    ]
    pkts, _ = feed(frames)
    assert pkts[3].stream_added and pkts[4].stream_added
    assert pkts[6].stream_chunks == (b"helloworld",)


def test_gap_progress_stops_at_the_far_side() -> None:
    # Suricata inspects "x" and "MARK" but moves its progress only to the start of "MARK",
    # which is then inspected again at flow end
    frames = handshake() + [
        cdata(0, b"x"),
        cdata(2, b"MARK"),
        sack(6),
        frame(True, "FA", ISN_C + 7, ISN_S + 1),
    ]
    pkts, streams = feed(frames)
    assert pkts[6].stream_chunks == (b"x", b"MARK")
    assert pkts[6].flow.stream.client.raw == 2
    assert leftover(pkts, streams) == [b"MARK"]


def test_acked_limit_and_eof() -> None:
    frames = handshake() + [
        cdata(0, b"acked"),
        cdata(5, b"unacked"),
        sack(5),
        frame(True, "FA", ISN_C + 13, ISN_S + 1),
    ]
    pkts, streams = feed(frames)
    assert pkts[6].stream_chunks == (b"acked",)
    assert leftover(pkts, streams) == [b"unacked"]


def test_sequence_numbers_wrap() -> None:
    isn = (1 << 32) - 3
    frames = handshake(isn_c=isn) + [
        cdata(0, b"wrap", isn_c=isn),
        cdata(4, b"around", isn_c=isn),
        sack(10, isn_c=isn),
    ]
    frames += [frame(True, "FA", isn + 11, ISN_S + 1)]
    pkts, _ = feed(frames)
    assert pkts[6].stream_chunks == (b"wraparound",)


# ------------------------------------------------------------------------------ what is taken


def test_retransmission_rules() -> None:
    frames = handshake() + [
        cdata(0, b"GOOD"),
        sack(4),
        cdata(0, b"EVIL"),  # ends at the last ACK: taken, the first data stays
        cdata(0, b"EVI"),  # ends before it: refused
        cdata(4, b"more"),
    ]
    pkts, streams = feed(frames)
    assert [p.stream_added for p in pkts[5:8]] == [True, False, True]
    assert leftover(pkts, streams) == [b"GOODmore"]


def test_rst_and_synack_data_are_not_stream_data() -> None:
    frames = [
        frame(True, "S", ISN_C),
        frame(False, "SA", ISN_S, ISN_C + 1, b"syn-ack data"),
        frame(True, "A", ISN_C + 1, ISN_S + 1),
        frame(True, "RA", ISN_C + 1, ISN_S + 1, b"rst data"),
    ]
    pkts, _ = feed(frames)
    assert not pkts[1].stream_added and not pkts[3].stream_added


def test_out_of_window_data_is_refused() -> None:
    frames = [
        frame(True, "S", ISN_C),
        frame(False, "SA", ISN_S, ISN_C + 1, win=100),
        frame(True, "A", ISN_C + 1, ISN_S + 1),
    ]
    pkts, _ = feed(frames + [cdata(0, b"x" * 101)])
    assert not pkts[3].stream_added
    pkts, _ = feed(frames + [cdata(0, b"x" * 100)])
    assert pkts[3].stream_added


def test_depth_refuses_the_segment_and_ends_reassembly() -> None:
    frames = handshake() + [cdata(0, b"0123456"), sack(7), cdata(7, b"789abc"), sack(13), cdata(13, b"more")]
    pkts, streams = feed(frames, StreamConfig(depth=10))
    assert pkts[5].stream_added  # refused, yet counted as added
    assert pkts[5].stream_chunks == (b"0123456",)  # depth reached: inspect now
    assert not pkts[7].stream_added  # no more reassembly: later data is packet data
    assert streams.memuse == 0 and streams.stats["tcp.stream_depth_reached"] == 1


def test_memcap_refuses_segments() -> None:
    frames = handshake() + [cdata(0, b"a" * 100), cdata(100, b"b" * 100)]
    pkts, streams = feed(frames, StreamConfig(memcap=250))
    assert pkts[3].stream_added and not pkts[4].stream_added
    assert streams.stats["tcp.segment_memcap_drop"] == 1


def test_no_session_no_stream() -> None:
    pkts, _ = feed([cdata(0, b"midstream")])
    assert pkts[0].flow.stream is None and not pkts[0].stream_added
    pkts, _ = feed([cdata(0, b"midstream")], midstream=True)
    assert pkts[0].stream_added


def test_async_oneside_data_counts_as_acked() -> None:
    frames = [frame(False, "SA", ISN_S, ISN_C + 1), frame(False, "A", ISN_S + 1, ISN_C + 1)]
    frames += [frame(False, "PA", ISN_S + 1 + i * 1000, ISN_C + 1, b"z" * 1000) for i in range(3)]
    pkts, _ = feed(frames, async_oneside=True)
    assert [p.stream_chunks is not None for p in pkts[2:]] == [False, False, True]


def test_urgent_byte_policies() -> None:
    frames = handshake() + [cdata(0, b"mal"), cdata(3, b"X", flags="PAU"), cdata(4, b"icious"), sack(10)]
    frames[4][TCP].urgptr = 1
    frames += [frame(True, "FA", ISN_C + 11, ISN_S + 1)]
    expect = {"oob": (b"malicious",), "inline": (b"malXicious",), "gap": (b"mal", b"icious")}
    for policy, chunks in expect.items():
        pkts, _ = feed(frames, StreamConfig(urgent_policy=policy))
        assert pkts[-1].stream_chunks == chunks, policy


# ------------------------------------------------------------------------------ inline windows


def test_inline_window_is_a_chunk_ending_at_the_packet() -> None:
    frames = handshake() + [cdata(0, b"a" * 3000), cdata(3000, b"tail")]
    pkts, _ = feed(frames, StreamConfig(inline=True))
    # a packet larger than the chunk size gets its own length plus a third of a chunk
    assert pkts[3].stream_chunks == (b"a" * 3000,)
    assert pkts[4].stream_chunks == ((b"a" * 3000 + b"tail")[-2560:],)


def test_inline_packet_not_covered_inspects_its_payload() -> None:
    frames = handshake() + [cdata(0, b"x"), cdata(5, b"after a gap")]
    pkts, _ = feed(frames, StreamConfig(inline=True))
    assert pkts[4].stream_chunks == (b"after a gap",)


# ------------------------------------------------------------------------------ configuration


def test_parse_size() -> None:
    assert parse_size("1mb") == 1 << 20
    assert parse_size("256 MiB") == 256 << 20
    assert parse_size(2560) == 2560
    assert parse_size("0") == 0
    with pytest.raises(ValueError):
        parse_size("lots")


def test_stream_config_from_yaml(tmp_path: Any) -> None:
    path = tmp_path / "suricata.yaml"
    path.write_text(
        "%YAML 1.1\n---\nstream:\n  inline: auto\n  reassembly:\n    depth: 4kb\n    toserver-chunk-size: 100\n"
        "host-os-policy:\n  linux: [10.0.0.0/8]\n  vista: [10.1.0.0/16]\n"
    )
    config = stream_config(
        load_suricata_yaml(str(path), ["stream.reassembly.urgent.policy=gap"]), ips_mode=True
    )
    assert (
        config.inline
        and config.depth == 4096
        and config.toserver_chunk == 100
        and config.toclient_chunk == 2560
    )
    assert config.urgent_policy == "gap"
    assert config.policy_for(ipaddress.ip_address("10.1.2.3").packed) == FIRST
    assert config.policy_for(ipaddress.ip_address("10.2.2.3").packed) == LINUX
    with pytest.raises(ConfigError):
        stream_config(load_suricata_yaml(None, ["stream.reassembly.depth=huge"]), ips_mode=False)
