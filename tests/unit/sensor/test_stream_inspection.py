"""Stream versus packet inspection of TCP payload rules (sensor.stream.reassembly + sensor.detect).

Each case crafts a pcap with scapy, replays it in-process (`pehredar sensor replay`) and
compares the alerts, as (pcap_cnt, sid) pairs, with what Suricata 8.0.8 produced on the
same pcap and rules (tools/peer: `suricata --runmode single -k none -r PCAP -S RULES -l DIR`
plus the case's arguments). A flow-end pseudo packet (Suricata's pkt_src "stream (flow
timeout)") has no pcap_cnt in Suricata's EVE or ours; it is compared as 0. Alert order within
a packet is not compared.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from scapy.all import IP, TCP, Ether, Raw, wrpcap  # type: ignore[import-untyped]

from pehredar.cli import main

ETH = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")


class Session:
    """A TCP conversation written packet by packet, sequence numbers kept automatically."""

    def __init__(
        self, cport: int = 40000, sport: int = 9999, t0: float = 1_700_000_000.0, net: int = 0
    ) -> None:
        self.cip, self.sip = f"10.0.{net}.1", f"10.0.{net}.2"
        self.cport, self.sport = cport, sport
        self.cseq, self.sseq = 1000, 5000
        self.t = t0
        self.frames: list[Any] = []

    def _add(self, to_server: bool, flags: str, data: bytes, seq: int | None, ack: int | None) -> Any:
        if to_server:
            s, a = (self.cseq if seq is None else seq), (self.sseq if ack is None else ack)
            frame = (
                ETH
                / IP(src=self.cip, dst=self.sip)
                / TCP(sport=self.cport, dport=self.sport, flags=flags, seq=s)
            )
        else:
            s, a = (self.sseq if seq is None else seq), (self.cseq if ack is None else ack)
            frame = (
                ETH
                / IP(src=self.sip, dst=self.cip)
                / TCP(sport=self.sport, dport=self.cport, flags=flags, seq=s)
            )
        if "A" in flags:
            frame[TCP].ack = a
        if data:
            frame = frame / Raw(data)
        self.t += 0.001
        frame.time = self.t
        self.frames.append(frame)
        if seq is None:
            step = len(data) + (1 if "S" in flags or "F" in flags else 0)
            if to_server:
                self.cseq += step
            else:
                self.sseq += step
        return frame

    def c(self, data: bytes = b"", flags: str = "PA", seq: int | None = None, ack: int | None = None) -> Any:
        return self._add(True, flags, data, seq, ack)

    def s(self, data: bytes = b"", flags: str = "PA", seq: int | None = None, ack: int | None = None) -> Any:
        return self._add(False, flags, data, seq, ack)

    def handshake(self) -> Session:
        self.c(flags="S")
        self.s(flags="SA")
        self.c(flags="A")
        return self

    def close(self) -> Session:
        self.c(flags="FA")
        self.s(flags="FA")
        self.c(flags="A")
        return self


def replay(tmp_path: Path, frames: list[Any], rules: str, *extra: str) -> list[tuple[int, int]]:
    pcap = tmp_path / "t.pcap"
    wrpcap(str(pcap), frames)
    rule_file = tmp_path / "t.rules"
    rule_file.write_text(rules)
    eve = tmp_path / "eve.json"
    argv = ["sensor", "replay", str(pcap), "--rules", str(rule_file), "--eve", str(eve), "-k", "none", *extra]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in eve.read_text().splitlines()]
    return sorted((r.get("pcap_cnt", 0), r["alert"]["signature_id"]) for r in records)


# ------------------------------------------------------------------------------ scenarios

RULES_KINDS = """\
alert tcp any any -> any any (content:"EVIL"; sid:1;)
alert tcp any any -> any any (content:"hello"; depth:5; sid:2;)
alert tcp-pkt any any -> any any (content:"EVIL"; sid:3;)
alert tcp-stream any any -> any any (content:"EVIL"; sid:4;)
alert ip any any -> any any (content:"uid=0"; sid:5;)
alert tcp any any -> any any (dsize:>0; content:"EVIL"; sid:6;)
alert tcp any any -> any any (flow:established; sid:7;)
alert tcp any any -> any any (content:"EVIL"; flow:only_stream; sid:8;)
alert tcp any any -> any any (content:"EVIL"; flow:no_stream; sid:9;)
alert tcp any any -> any any (flow:established,to_server; sid:10;)
alert tcp any any -> any any (content:"hello"; startswith; sid:11;)
alert tcp any any -> any any (content:"world"; offset:2; sid:12;)
alert tcp any any -> any any (content:"EVIL"; flow:established,to_server; sid:13;)
"""


def kinds_closed() -> list[Any]:
    s = Session().handshake()
    s.c(b"hello EVIL world")  # 4
    s.s(flags="A")  # 5
    s.s(b"reply uid=0(root) zz")  # 6
    s.c(flags="A")  # 7
    return s.close().frames  # 8 client FIN (CLOSE_WAIT), 9 server FIN (LAST_ACK), 10


def kinds_open() -> list[Any]:
    return kinds_closed()[:7]


def kinds_unacked() -> list[Any]:
    s = Session().handshake()
    s.c(b"hello EVIL world")
    s.s(b"reply uid=0(root) zz")
    return s.frames


RULES_CHUNKS = """\
alert tcp any any -> any any (content:"EVIL"; sid:1;)
alert tcp any any -> any any (content:"hello"; depth:5; sid:2;)
alert tcp any any -> any any (content:"hello"; sid:3;)
alert tcp any any -> any any (content:"hellohello"; sid:4;)
alert tcp any any -> any any (content:"x"; sid:5;)
"""


def chunks() -> list[Any]:
    s = Session().handshake()
    s.c(b"a" * 1398 + b"EV")  # 4
    s.s(flags="A")
    s.c(b"IL" + b"b" * 1398)  # 6
    s.s(flags="A")  # 7: 2800 bytes ACKed, a chunk (2560) is due
    s.c(b"hello")  # 8 inspects [0, 2800)
    s.s(flags="A")
    s.c(b"hello" + b"c" * 1395 + b"EV")  # 10
    s.c(b"IL" + b"d" * 1598)  # 11
    s.s(flags="A")
    s.c(b"x")  # 13 inspects [2800, ...): a chunk starts at "hello"
    s.s(flags="A")
    return s.close().frames


RULES_BORDER = """\
alert tcp any any -> any any (content:"XYZW"; sid:1;)
alert tcp any any -> any any (content:"ZWccc"; sid:2;)
alert tcp any any -> any any (content:"XY"; sid:3;)
"""


def chunk_border() -> list[Any]:
    s = Session().handshake()
    s.c(b"a" * 1398 + b"EV")
    s.s(flags="A")
    s.c(b"IL" + b"b" * 1396 + b"XY")
    s.s(flags="A")
    s.c(b"ZW")  # 8: the chunk ends between XY and ZW
    s.s(flags="A")
    s.c(b"c" * 1000)
    s.s(flags="A")
    return s.frames


RULES_WINDOW = """\
alert tcp any any -> any any (content:"EVIL"; sid:1;)
alert tcp any any -> any any (content:"hello"; depth:5; sid:2;)
alert tcp-pkt any any -> any any (content:"EVIL"; sid:3;)
alert tcp any any -> any any (content:"EVILaaaabbbb"; sid:4;)
"""


def inline_window() -> list[Any]:
    s = Session().handshake()
    s.c(b"hello EVIL")  # 4
    s.s(flags="A")
    s.c(b"aaaa")  # 6
    s.c(b"bbbb")  # 7
    s.s(flags="A")
    s.c(b"c" * 3000)  # 9: a large packet widens the window
    s.c(b"dddd")  # 10
    return s.close().frames


RULES_MARK = """\
alert tcp any any -> any any (content:"MARK"; sid:1;)
alert tcp any any -> any any (content:"MARK"; flow:only_stream; sid:2;)
alert tcp-stream any any -> any any (content:"MARK"; sid:3;)
alert tcp any any -> any any (pcre:"/MARK/"; sid:4;)
alert tcp-pkt any any -> any any (pcre:"/MARK/"; sid:5;)
alert tcp any any -> any any (content:"aaaa"; sid:6;)
"""


def _flows(*builders: Callable[[Session], None]) -> list[Any]:
    frames: list[Any] = []
    for i, build in enumerate(builders):
        s = Session(cport=42000 + i, t0=1_700_000_000.0 + i * 10)
        build(s)
        frames += s.frames
    return frames


def _syn_data(s: Session) -> None:
    s.c(b"MARKa", flags="S")
    s.s(flags="SA", ack=1001)
    s.cseq = 1001
    s.c(flags="A")
    s.s(flags="A")
    s.close()


def _synack_data(s: Session) -> None:
    s.c(flags="S")
    s.s(b"MARKc", flags="SA")
    s.c(flags="A")
    s.s(flags="A")
    s.close()


def _third_ack_data(s: Session) -> None:
    s.c(flags="S")
    s.s(flags="SA")
    s.c(b"MARKd", flags="A")
    s.s(flags="A")
    s.close()


def _data_before_handshake(s: Session) -> None:
    s.c(flags="S")
    s.c(b"MARKe", flags="PA", ack=0)
    s.s(flags="SA")
    s.c(flags="A")
    s.s(flags="A")
    s.close()


def _fin_data(s: Session) -> None:
    s.handshake()
    s.c(b"MARKf", flags="FA")
    s.s(flags="FA")
    s.c(flags="A")


def _data_after_fin(s: Session) -> None:
    s.handshake()
    s.c(b"x")
    s.s(flags="A")
    s.c(flags="FA")
    s.c(b"MARKg")  # one sequence number after the data (the FIN's) is a gap
    s.s(flags="FA")
    s.c(flags="A")


def _far_ahead(s: Session) -> None:
    s.handshake()
    s.c(b"x")
    s.s(flags="A")
    s.c(b"MARKj", seq=s.cseq + 100000)
    s.s(flags="A")
    s.close()


def _far_behind(s: Session) -> None:
    s.handshake()
    s.c(b"x")
    s.s(flags="A")
    s.c(b"MARKk", seq=(s.cseq - 100000) % (1 << 32))
    s.s(flags="A")
    s.close()


def acceptance() -> list[Any]:
    return _flows(
        _syn_data,
        _synack_data,
        _third_ack_data,
        _data_before_handshake,
        _fin_data,
        _data_after_fin,
        _far_ahead,
        _far_behind,
    )


def _rst_no_stream_data(s: Session) -> None:
    s.handshake()
    s.s(b"y")
    s.c(flags="A")
    s.c(b"MARK0", flags="RA")


def _rst_acked_data(s: Session) -> None:
    s.handshake()
    s.c(b"x")
    s.s(flags="A")
    s.c(b"MARK1", flags="RA")


def _rst_unacked_data(s: Session) -> None:
    s.handshake()
    s.c(b"x")
    s.c(b"MARK2", flags="RA")


def _chunk_then_out_of_window(s: Session) -> None:
    s.handshake()
    s.c(b"a" * 1400)
    s.c(b"b" * 1400)
    s.c(b"c" * 200)
    s.s(flags="A")
    s.c(b"MARK3", seq=s.cseq + 200000)  # stream data is ready: the stream MPM skips the payload
    s.s(flags="A")


def rst_and_ready_stream() -> list[Any]:
    return _flows(_rst_no_stream_data, _rst_acked_data, _rst_unacked_data, _chunk_then_out_of_window)


def _retrans_to_last_ack(s: Session) -> None:
    s.handshake()
    seq = s.cseq
    s.c(b"GOOD0")
    s.s(flags="A")
    s.c(b"MARK0", seq=seq)  # ends at the last ACKed byte: taken, the old bytes stay
    s.s(flags="A")
    s.close()


def _retrans_before_last_ack(s: Session) -> None:
    s.handshake()
    seq = s.cseq
    s.c(b"GOOD1")
    s.c(b"zzz")
    s.s(flags="A")
    s.c(b"MARK1", seq=seq)  # ends before the last ACKed byte: refused, inspected as a packet
    s.s(flags="A")
    s.close()


def _retrans_in_flight(s: Session) -> None:
    s.handshake()
    seq = s.cseq
    s.c(b"GOOD2")
    s.c(b"MARK2", seq=seq)
    s.s(flags="A")
    s.close()


def _retrans_partly_new(s: Session) -> None:
    s.handshake()
    seq = s.cseq
    s.c(b"GOOD")
    s.s(flags="A")
    s.c(b"XXXXMARK3", seq=seq)
    s.cseq = seq + 9
    s.s(flags="A")
    s.close()


def _before_isn(s: Session) -> None:
    s.handshake()
    seq = s.cseq
    s.c(b"xxxMARK4", seq=seq - 3)  # starts before the ISN: taken as added, its data dropped
    s.cseq = seq + 5
    s.s(flags="A")
    s.close()


def retransmissions() -> list[Any]:
    return _flows(
        _retrans_to_last_ack, _retrans_before_last_ack, _retrans_in_flight, _retrans_partly_new, _before_isn
    )


def _depth_spill(s: Session) -> None:
    s.handshake()
    s.c(b"0123456")
    s.s(flags="A")
    s.c(b"789MARKa")  # ends beyond the depth of 10: refused whole
    s.s(flags="A")
    s.c(b"MARKb")
    s.s(flags="A")
    s.close()


def _depth_exact(s: Session) -> None:
    s.handshake()
    s.c(b"01234MARKd")
    s.s(flags="A")
    s.c(b"MARKe")
    s.s(flags="A")
    s.c(b"MARKf")
    s.s(flags="A")
    s.close()


def _depth_unacked(s: Session) -> None:
    s.handshake()
    s.c(b"0123")
    s.c(b"MARKg")
    s.c(b"MARKh")  # depth reached before any ACK: the stream's data is dropped uninspected
    s.c(b"MARKi")
    s.s(flags="A")
    s.close()


def depth() -> list[Any]:
    return _flows(_depth_spill, _depth_exact, _depth_unacked)


def _receiver_window(win: int, data: bytes) -> Callable[[Session], None]:
    def build(s: Session) -> None:
        s.c(flags="S")
        s.s(flags="SA")[TCP].window = win
        s.c(flags="A")
        s.c(data)
        s.s(flags="A")
        s.close()

    return build


def receiver_window() -> list[Any]:
    return _flows(_receiver_window(100, b"MARK0" + b"a" * 145), _receiver_window(100, b"MARK1" + b"a" * 95))


RULES_DATA = 'alert tcp any any -> any any (content:"data"; sid:1;)\n'


def midstream() -> list[Any]:
    frames: list[Any] = []
    for i, (a, b) in enumerate([(445, 49216), (49216, 445), (40000, 50000)]):
        s = Session(cport=a, sport=b, t0=1_700_000_000.0 + i * 10, net=i)
        s.c(b"data1")
        s.s(flags="A")
        s.s(b"data2")
        frames += s.frames
    return frames


RULES_URGENT = """\
alert tcp any any -> any any (content:"malicious"; sid:1;)
alert tcp any any -> any any (content:"malicXious"; sid:2;)
alert tcp any any -> any any (content:"malic"; content:"ious"; distance:1; within:4; sid:4;)
alert tcp-pkt any any -> any any (content:"X"; sid:5;)
"""


def urgent() -> list[Any]:
    s = Session(sport=9090).handshake()
    s.c(b"GET /malic")  # 4
    s.c(b"X", flags="PAU")[TCP].urgptr = 1  # 5: one urgent byte
    s.s(flags="A")
    s.c(b"ious HTTP/1.1\r\n\r\n")  # 7
    s.s(flags="A")
    return s.close().frames


CASES: list[tuple[str, Callable[[], list[Any]], str, tuple[str, ...], list[tuple[int, int]]]] = [
    (
        "packet, stream or both; FIN past TIME_WAIT inspects the ACKed data",
        kinds_closed,
        RULES_KINDS,
        (),
        [
            (4, 2),
            (4, 3),
            (4, 6),
            (4, 7),
            (4, 9),
            (4, 10),
            (4, 11),
            (4, 12),
            (5, 7),
            (6, 7),
            (7, 7),
            (7, 10),
            (8, 1),
            (8, 2),
            (8, 4),
            (8, 7),
            (8, 8),
            (8, 10),
            (8, 11),
            (8, 12),
            (8, 13),
            (9, 5),
            (9, 7),
            (10, 7),
            (10, 10),
        ],
    ),
    (
        "flow end inspects what is left; only payload rules run on the pseudo packets",
        kinds_open,
        RULES_KINDS,
        (),
        [
            (0, 1),
            (0, 2),
            (0, 4),
            (0, 5),
            (0, 8),
            (0, 11),
            (0, 12),
            (0, 13),
            (4, 2),
            (4, 3),
            (4, 6),
            (4, 7),
            (4, 9),
            (4, 10),
            (4, 11),
            (4, 12),
            (5, 7),
            (6, 7),
            (7, 7),
            (7, 10),
        ],
    ),
    (
        "flow end inspects unACKed data too",
        kinds_unacked,
        RULES_KINDS,
        (),
        [
            (0, 1),
            (0, 2),
            (0, 4),
            (0, 5),
            (0, 8),
            (0, 11),
            (0, 12),
            (0, 13),
            (4, 2),
            (4, 3),
            (4, 6),
            (4, 7),
            (4, 9),
            (4, 10),
            (4, 11),
            (4, 12),
            (5, 7),
        ],
    ),
    (
        "a chunk of ACKed data is inspected once, content depth counts from the chunk",
        chunks,
        RULES_CHUNKS,
        (),
        [(8, 1), (8, 2), (10, 2), (13, 1), (13, 2), (13, 3), (13, 4), (15, 5)],
    ),
    ("chunks do not overlap", chunk_border, RULES_BORDER, (), [(0, 2), (8, 3)]),
    (
        "IDS: the window packets are inspected later",
        inline_window,
        RULES_WINDOW,
        (),
        [(4, 2), (4, 3), (11, 1), (11, 2), (11, 4)],
    ),
    (
        "IPS: every packet inspects a window of the stream around it",
        inline_window,
        RULES_WINDOW,
        ("--simulate-ips",),
        [(4, 1), (4, 2), (4, 3), (6, 1), (6, 2), (7, 1), (7, 2), (7, 4), (9, 1), (9, 2), (9, 4)],
    ),
    (
        "which packets' data the stream takes",
        acceptance,
        RULES_MARK,
        (),
        [
            (0, 1),
            (0, 2),
            (0, 3),
            (0, 4),
            (1, 1),
            (1, 3),
            (1, 4),
            (1, 5),
            (9, 1),
            (9, 3),
            (9, 4),
            (9, 5),
            (17, 5),
            (19, 1),
            (19, 2),
            (19, 3),
            (19, 4),
            (23, 1),
            (23, 3),
            (23, 4),
            (23, 5),
            (33, 5),
            (35, 1),
            (35, 2),
            (35, 3),
            (35, 4),
            (42, 5),
            (44, 1),
            (44, 2),
            (44, 3),
            (44, 4),
            (50, 1),
            (50, 3),
            (50, 4),
            (50, 5),
            (60, 1),
            (60, 3),
            (60, 4),
            (60, 5),
        ],
    ),
    (
        "RST data is not stream data; a packet with stream data ready is not prefiltered on its payload",
        rst_and_ready_stream,
        RULES_MARK,
        (),
        [(6, 1), (6, 3), (6, 4), (6, 5), (12, 4), (12, 5), (17, 4), (17, 5), (25, 4), (25, 5), (25, 6)],
    ),
    (
        "retransmissions",
        retransmissions,
        RULES_MARK,
        (),
        [
            (6, 5),
            (17, 1),
            (17, 3),
            (17, 4),
            (17, 5),
            (26, 5),
            (36, 5),
            (38, 1),
            (38, 2),
            (38, 3),
            (38, 4),
            (44, 5),
        ],
    ),
    (
        "reassembly depth",
        depth,
        RULES_MARK,
        ("--set", "stream.reassembly.depth=10"),
        [
            (6, 5),
            (8, 1),
            (8, 3),
            (8, 4),
            (8, 5),
            (16, 5),
            (18, 1),
            (18, 2),
            (18, 3),
            (18, 4),
            (18, 5),
            (20, 1),
            (20, 3),
            (20, 4),
            (20, 5),
            (29, 5),
            (30, 5),
            (31, 1),
            (31, 3),
            (31, 4),
            (31, 5),
        ],
    ),
    (
        "data beyond the receiver's window is inspected as a packet",
        receiver_window,
        RULES_MARK,
        (),
        [(4, 1), (4, 3), (4, 4), (4, 5), (4, 6), (12, 5), (14, 1), (14, 2), (14, 3), (14, 4), (14, 6)],
    ),
    (
        "midstream flows without pickup: packets",
        midstream,
        RULES_DATA,
        (),
        [(1, 1), (3, 1), (4, 1), (6, 1), (7, 1), (9, 1)],
    ),
    (
        "midstream pickup: stream",
        midstream,
        RULES_DATA,
        ("--set", "stream.midstream=true"),
        [(0, 1), (0, 1), (0, 1), (0, 1), (0, 1), (0, 1)],
    ),
    ("urgent byte out of band (default)", urgent, RULES_URGENT, (), [(5, 5), (9, 1)]),
    (
        "urgent byte inline",
        urgent,
        RULES_URGENT,
        ("--set", "stream.reassembly.urgent.policy=inline"),
        [(5, 5), (9, 2), (9, 4)],
    ),
    (
        "urgent byte as a gap",
        urgent,
        RULES_URGENT,
        ("--set", "stream.reassembly.urgent.policy=gap"),
        [(5, 5)],
    ),
]


@pytest.mark.parametrize(
    ("build", "rules", "extra", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_alerts_as_suricata(
    tmp_path: Path,
    build: Callable[[], list[Any]],
    rules: str,
    extra: tuple[str, ...],
    expected: list[tuple[int, int]],
) -> None:
    assert replay(tmp_path, build(), rules, *extra) == sorted(expected)


def test_tcp_fast_open_data_is_stream_data(tmp_path: Path) -> None:
    # the SYN/ACK acknowledges the SYN's data; the FIN (5) inspects it; the SYN itself is a packet
    sess = Session()
    syn = sess.c(b"MARKb", flags="S")
    syn[TCP].options = [("TFO", b"\x01\x02\x03\x04\x05\x06\x07\x08")]
    sess.s(flags="SA", ack=1006)
    sess.cseq = 1006
    sess.c(flags="A")
    sess.s(flags="A")
    sess.close()
    assert replay(tmp_path, sess.frames, RULES_MARK) == [(1, 5), (5, 1), (5, 2), (5, 3), (5, 4)]
