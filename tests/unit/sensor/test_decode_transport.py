"""TCP and UDP decoders: fields, options, length checks, their events."""

from __future__ import annotations

import struct

import pytest

from sensor.capture import linktypes
from sensor.decode.dispatch import decode_frame
from sensor.decode.events import event_name
from sensor.decode.packet import TH_ACK, TH_ECN, TH_PUSH, TH_SYN, Packet

SRC = bytes([10, 1, 1, 1])
DST = bytes([10, 2, 2, 2])


def ip4(proto: int, payload: bytes) -> bytes:
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0, SRC, DST) + payload


def tcp(
    payload: bytes = b"", *, options: bytes = b"", flags: int = TH_ACK | TH_PUSH, doff: int | None = None
) -> bytes:
    hwords = (20 + len(options)) // 4 if doff is None else doff
    hdr = struct.pack("!HHIIBBHHH", 40000, 443, 0x01020304, 0xA0B0C0D0, hwords << 4, flags, 512, 0, 0)
    return hdr + options + payload


def udp(payload: bytes = b"", *, length: int | None = None) -> bytes:
    return struct.pack("!HHHH", 5353, 5353, 8 + len(payload) if length is None else length, 0) + payload


def decode(frame: bytes) -> Packet:
    pkt = Packet(0, 1, linktypes.IPV4, frame)
    decode_frame(pkt)
    return pkt


def names(pkt: Packet) -> list[str]:
    return [event_name(e) for e in pkt.events or []]


# -- TCP ---------------------------------------------------------------------


def test_tcp_fields() -> None:
    pkt = decode(ip4(6, tcp(b"hello", flags=TH_ACK | TH_PUSH | TH_ECN)))
    assert pkt.events is None
    assert (pkt.proto, pkt.sp, pkt.dp, pkt.l4_off) == (6, 40000, 443, 20)
    assert (pkt.tcp_seq, pkt.tcp_ack, pkt.tcp_win) == (0x01020304, 0xA0B0C0D0, 512)
    assert pkt.tcp_flags == TH_ACK | TH_PUSH | TH_ECN
    assert pkt.payload == b"hello" and pkt.tcp_opts is None


def test_tcp_options() -> None:
    opts = (
        bytes([2, 4, 0x05, 0xB4])  # MSS 1460
        + bytes([1, 3, 3, 7])  # NOP, window scale 7
        + bytes([4, 2])  # SACK permitted
        + bytes([8, 10])
        + struct.pack("!II", 1, 2)  # timestamps
        + bytes([0, 0, 0, 0])  # end of list, padding
    )
    pkt = decode(ip4(6, tcp(b"x", options=opts, flags=TH_SYN)))
    assert pkt.events is None
    assert pkt.tcp_opts == {2: b"\x05\xb4", 3: b"\x07", 4: b"", 8: struct.pack("!II", 1, 2)}
    assert pkt.payload == b"x"


def test_tcp_sack_option() -> None:
    opts = bytes([1, 1, 5, 18]) + struct.pack("!IIII", 1, 2, 3, 4)
    assert decode(ip4(6, tcp(options=opts))).tcp_opts == {5: struct.pack("!IIII", 1, 2, 3, 4)}
    pkt = decode(ip4(6, tcp(options=bytes([1, 1, 5, 2]))))  # empty SACK: tolerated
    assert pkt.events is None and pkt.tcp_opts == {5: b""}


@pytest.mark.parametrize(
    ("frame", "event"),
    [
        (ip4(6, tcp()[:19]), "decoder.tcp.pkt_too_small"),
        (ip4(6, tcp(doff=4)), "decoder.tcp.invalid_optlen"),  # Suricata's name for a header below 20
        (ip4(6, tcp(doff=8)), "decoder.tcp.hlen_too_small"),  # header longer than the segment
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_tcp_header_errors(frame: bytes, event: str) -> None:
    pkt = decode(frame)
    assert names(pkt) == [event]
    assert pkt.proto == 6 and pkt.sp == 0 and pkt.l4_off == -1


@pytest.mark.parametrize(
    ("options", "event", "kept"),
    [
        (bytes([2, 3, 5, 0]), "decoder.tcp.opt_invalid_len", {}),  # MSS must be 4 long
        (bytes([3, 4, 7, 0]), "decoder.tcp.opt_invalid_len", {}),  # WS must be 3 long
        (bytes([8, 8]) + b"\x00" * 6, "decoder.tcp.opt_invalid_len", {}),  # TS must be 10 long
        (bytes([5, 6, 0, 0, 0, 0, 0, 0]), "decoder.tcp.opt_invalid_len", {}),  # SACK too short
        (bytes([2, 1, 0, 0]), "decoder.tcp.opt_invalid_len", {}),  # length below 2: parsing stops
        (bytes([2, 9, 0, 0]), "decoder.tcp.opt_invalid_len", {}),  # runs past the header
        (bytes([34, 5, 0, 0, 0, 0, 0, 0]), "decoder.tcp.opt_invalid_len", {}),  # fast open: even lengths
        (bytes([34, 20]) + bytes(18), "decoder.tcp.opt_invalid_len", {}),  # fast open: at most 18
        (bytes([3, 3, 15, 1]), "decoder.tcp.opt_wscale_over_max", {3: b"\x0f"}),
        (bytes([4, 2, 4, 2]), "decoder.tcp.opt_duplicate", {4: b""}),
    ],
    ids=lambda v: v.hex() if isinstance(v, bytes) else "",
)
def test_tcp_option_events_keep_payload(options: bytes, event: str, kept: dict[int, bytes]) -> None:
    pkt = decode(ip4(6, tcp(b"data", options=options)))
    assert names(pkt) == [event]
    assert pkt.tcp_opts == kept
    assert pkt.payload == b"data" and pkt.dp == 443


def test_tcp_option_kind_without_room_for_a_length_is_padding() -> None:
    pkt = decode(ip4(6, tcp(b"data", options=bytes([1, 1, 1, 2]))))
    assert pkt.events is None and pkt.tcp_opts == {}


def test_tcp_unknown_option_kind_is_kept() -> None:
    assert decode(ip4(6, tcp(options=bytes([254, 4, 0xAB, 0xCD])))).tcp_opts == {254: b"\xab\xcd"}


# -- UDP ---------------------------------------------------------------------


def test_udp_fields() -> None:
    pkt = decode(ip4(17, udp(b"query")))
    assert pkt.events is None
    assert (pkt.proto, pkt.sp, pkt.dp, pkt.payload, pkt.l4_off) == (17, 5353, 5353, b"query", 20)


def test_udp_length_field_bounds_payload() -> None:
    pkt = decode(ip4(17, udp(b"query", length=10)))
    assert pkt.payload == b"qu" and pkt.events is None


@pytest.mark.parametrize(
    ("frame", "event"),
    [
        (ip4(17, udp()[:7]), "decoder.udp.hlen_too_small"),
        (ip4(17, udp(b"abc", length=40)), "decoder.udp.pkt_too_small"),
        (ip4(17, udp(b"abc", length=7)), "decoder.udp.len_invalid"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_udp_errors(frame: bytes, event: str) -> None:
    pkt = decode(frame)
    assert names(pkt) == [event]
    assert pkt.proto == 17 and pkt.sp == 0 and pkt.payload == b""
