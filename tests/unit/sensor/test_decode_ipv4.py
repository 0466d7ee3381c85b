"""IPv4 decoder: header checks, options, fragments, unknown protocols."""

from __future__ import annotations

import struct

import pytest

from sensor.capture import linktypes
from sensor.decode.dispatch import decode_frame
from sensor.decode.events import event_name
from sensor.decode.ipv4 import IPOPT_EOL, IPOPT_LSRR, IPOPT_NOP, IPOPT_RR, IPOPT_RTRALT, IPOPT_TS
from sensor.decode.packet import Packet

SRC = bytes([192, 0, 2, 1])
DST = bytes([198, 51, 100, 2])
UDP = bytes.fromhex("1f900035000c0000") + b"data"  # 8080 -> 53, length 12


def ip4(
    payload: bytes,
    *,
    proto: int = 17,
    options: bytes = b"",
    frag: int = 0,
    total: int | None = None,
    ihl: int | None = None,
    version: int = 4,
    ident: int = 0x1234,
) -> bytes:
    hlen = 20 + len(options)
    vhl = (version << 4) | ((hlen // 4) if ihl is None else ihl)
    length = hlen + len(payload) if total is None else total
    hdr = struct.pack("!BBHHHBBH4s4s", vhl, 0x10, length, ident, frag, 61, proto, 0, SRC, DST)
    return hdr + options + payload


def decode(frame: bytes) -> Packet:
    pkt = Packet(0, 1, linktypes.IPV4, frame)
    decode_frame(pkt)
    return pkt


def names(pkt: Packet) -> list[str]:
    return [event_name(e) for e in pkt.events or []]


def test_valid_header_fields() -> None:
    pkt = decode(ip4(UDP))
    assert pkt.events is None
    assert (pkt.ip_version, pkt.l3_off, pkt.src, pkt.dst) == (4, 0, SRC, DST)
    assert (pkt.proto, pkt.ttl, pkt.tos, pkt.ip_id, pkt.ip_len) == (17, 61, 0x10, 0x1234, 32)
    assert (pkt.sp, pkt.dp, pkt.payload, pkt.l4_off) == (8080, 53, b"data", 20)
    assert not pkt.is_fragment and pkt.ip_opts == 0


@pytest.mark.parametrize(
    ("frame", "event"),
    [
        (ip4(UDP)[:19], "decoder.ipv4.pkt_too_small"),
        (ip4(UDP, version=5), "decoder.ipv4.wrong_ip_version"),
        (ip4(UDP, ihl=4), "decoder.ipv4.hlen_too_small"),
        (ip4(UDP, total=19), "decoder.ipv4.iplen_smaller_than_hlen"),
        (ip4(UDP, total=200), "decoder.ipv4.trunc_pkt"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_header_errors_stop_decoding(frame: bytes, event: str) -> None:
    pkt = decode(frame)
    assert names(pkt) == [event]
    assert pkt.ip_version == 0 and pkt.proto == -1 and pkt.payload == b""


def test_total_length_bounds_the_payload() -> None:
    pkt = decode(ip4(UDP) + b"trailer")
    assert pkt.payload == b"data" and pkt.ip_len == 32


def test_unknown_protocol_payload_is_ip_payload() -> None:
    pkt = decode(ip4(b"\x01\x02\x03", proto=200))
    assert (pkt.proto, pkt.payload, pkt.l4_off, pkt.events) == (200, b"\x01\x02\x03", -1, None)


def test_icmpv6_in_ipv4_is_an_event() -> None:
    pkt = decode(ip4(bytes.fromhex("8000f7ff00010001"), proto=58))
    assert names(pkt) == ["decoder.ipv4.icmpv6"]
    assert pkt.icmp_type == -1


# -- fragments ---------------------------------------------------------------


def test_first_fragment_is_not_transport_decoded() -> None:
    pkt = decode(ip4(UDP[:8] + b"01234567", frag=0x2000))
    assert pkt.is_fragment and pkt.frag_mf and pkt.frag_off == 0
    assert pkt.payload == UDP[:8] + b"01234567"
    assert (pkt.sp, pkt.dp, pkt.l4_off, pkt.proto) == (0, 0, -1, 17)


def test_last_fragment() -> None:
    pkt = decode(ip4(b"tail", frag=3))  # offset 3 * 8 bytes, MF clear
    assert pkt.is_fragment and not pkt.frag_mf and pkt.frag_off == 24
    assert pkt.payload == b"tail"


def test_df_is_not_a_fragment() -> None:
    pkt = decode(ip4(UDP, frag=0x4000))
    assert not pkt.is_fragment and pkt.dp == 53
    assert pkt.data[pkt.l3_off + 6] & 0x40  # the DF bit stays readable from the raw header


# -- options (events as Suricata 8.0.8 raises them, checked against it) ------


def test_options_bitmask() -> None:
    rr = bytes([7, 7, 4]) + b"\x00" * 4  # record route, one empty slot
    rtralt = bytes([0x94, 4, 0, 0])
    pkt = decode(ip4(UDP, options=b"\x01" + rr + rtralt + b"\x00" * 4))
    assert pkt.events is None
    assert pkt.ip_opts == IPOPT_NOP | IPOPT_RR | IPOPT_RTRALT | IPOPT_EOL
    assert pkt.dp == 53


def test_timestamp_and_lsrr_options() -> None:
    ts = bytes([0x44, 12, 5, 0]) + b"\x00" * 8  # two 4-byte timestamps, pointer at the first
    lsrr = bytes([0x83, 7, 4]) + DST
    pkt = decode(ip4(UDP, options=ts + lsrr + b"\x00" * 5))
    assert pkt.events is None
    assert pkt.ip_opts == IPOPT_TS | IPOPT_LSRR | IPOPT_EOL


def test_options_not_a_multiple_of_8_bytes_want_padding() -> None:
    pkt = decode(ip4(UDP, options=bytes([0x94, 4, 0, 0])))
    assert names(pkt) == ["decoder.ipv4.opt_pad_required"]
    assert pkt.ip_opts == IPOPT_RTRALT and pkt.dp == 53


@pytest.mark.parametrize(
    ("options", "event"),
    [
        (bytes([0x94, 5, 0, 0, 0, 0, 0, 0]), "decoder.ipv4.opt_invalid_len"),  # router alert is 4
        (bytes([0x44, 4, 5, 0]) + b"\x00" * 4, "decoder.ipv4.opt_invalid_len"),  # timestamp min 5
        (bytes([7, 2, 0, 0, 0, 0, 0, 0]), "decoder.ipv4.opt_invalid_len"),  # record route min 3
        (bytes([7, 7, 5]) + b"\x00" * 5, "decoder.ipv4.opt_malformed"),  # RR pointer off a slot
        (bytes([7, 7, 12]) + b"\x00" * 5, "decoder.ipv4.opt_malformed"),  # RR pointer past the end
        (bytes([0x44, 12, 6, 0]) + b"\x00" * 12, "decoder.ipv4.opt_malformed"),  # TS pointer off an entry
        (bytes([0x44, 12, 4, 0]) + b"\x00" * 12, "decoder.ipv4.opt_malformed"),  # TS pointer below 5
        (bytes([1, 1, 1, 1, 1, 1, 1, 7]), "decoder.ipv4.opt_eol_required"),  # no room for a length
        (bytes([0x94, 4, 0, 0, 0x94, 4, 0, 0]), "decoder.ipv4.opt_duplicate"),
        (bytes([0x9E, 4, 0, 0, 0, 0, 0, 0]), "decoder.ipv4.opt_invalid"),  # unknown option type
    ],
    ids=lambda v: v.hex() if isinstance(v, bytes) else v,
)
def test_option_anomalies_keep_decoding(options: bytes, event: str) -> None:
    pkt = decode(ip4(UDP, options=options))
    assert names(pkt) == [event]
    assert pkt.dp == 53 and pkt.payload == b"data"


def test_timestamp_with_addresses_uses_8_byte_entries() -> None:
    ts = bytes([0x44, 20, 13, 1]) + b"\x00" * 16  # flag 1: address + timestamp, second entry
    pkt = decode(ip4(UDP, options=ts + b"\x00" * 4))
    assert pkt.events is None and pkt.ip_opts == IPOPT_TS | IPOPT_EOL


@pytest.mark.parametrize(
    "options",
    [bytes([7, 1, 0, 0, 0, 0, 0, 0]), bytes([7, 20, 4, 0, 0, 0, 0, 0])],  # length below 2 / past the end
    ids=lambda v: v.hex(),
)
def test_unwalkable_option_length_stops_decoding(options: bytes) -> None:
    pkt = decode(ip4(UDP, options=options))
    assert names(pkt) == ["decoder.ipv4.opt_invalid_len"]
    assert pkt.ip_version == 4 and pkt.src == SRC  # the IP layer is known ...
    assert pkt.sp == 0 and pkt.payload == b""  # ... the transport is not decoded


@pytest.mark.parametrize(
    ("tags", "ok"),
    [
        (bytes([1, 4, 0, 0]), True),
        (bytes([7, 4, 0, 0]), True),
        (bytes([1, 4, 0, 0, 5, 6, 0, 0, 0, 0]), True),
        (bytes([9, 4, 0, 0]), False),  # unknown tag type
        (bytes([1, 3, 0, 0]), False),  # tag too short
        (bytes([1, 9, 0, 0]), False),  # tag longer than the option
        (bytes([1, 4, 0, 0, 7]), False),  # a trailing partial tag
        (bytes([7, 2, 7, 4, 0, 0]), False),  # every tag is at least 4 bytes
    ],
    ids=lambda v: v.hex() if isinstance(v, bytes) else str(v),
)
def test_cipso_tags(tags: bytes, ok: bool) -> None:
    option = bytes([0x86, 6 + len(tags), 0, 0, 0, 1]) + tags
    pkt = decode(ip4(UDP, options=option + b"\x00" * (-len(option) % 8)))
    assert names(pkt) == ([] if ok else ["decoder.ipv4.opt_malformed"])
    assert pkt.dp == 53


def test_cipso_needs_a_tag() -> None:
    pkt = decode(ip4(UDP, options=bytes([0x86, 8, 0, 0, 0, 1, 7, 2])))
    assert names(pkt) == ["decoder.ipv4.opt_invalid_len"]


def test_bytes_after_end_of_list_are_ignored() -> None:
    pkt = decode(ip4(UDP, options=bytes([0, 5, 5, 5, 5, 5, 5, 5])))
    assert pkt.events is None and pkt.ip_opts == IPOPT_EOL
