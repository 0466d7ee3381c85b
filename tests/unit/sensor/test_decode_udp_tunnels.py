"""UDP tunnels (VXLAN, Geneve, Teredo) and their configuration as Suricata's decoder.* keys set it."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any

import pytest

from sensor.capture import linktypes
from sensor.decode.config import CODE_DEFAULTS, DecoderConfig, decoder_config_from, parse_ports
from sensor.decode.dispatch import configure_decoders, decode_frame
from sensor.decode.events import event_name
from sensor.decode.packet import Packet

OUT_SRC4 = bytes([203, 0, 113, 1])
OUT_DST4 = bytes([203, 0, 113, 2])
IN_SRC4 = bytes([10, 9, 9, 1])
IN_DST4 = bytes([10, 9, 9, 2])
SRC6 = bytes.fromhex("20010db8000000000000000000000001")
DST6 = bytes.fromhex("20010db8000000000000000000000002")
MACS = bytes.fromhex("020000000001020000000002")


def ip4(proto: int, payload: bytes, src: bytes = OUT_SRC4, dst: bytes = OUT_DST4) -> bytes:
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0, src, dst) + payload


def ip6(nh: int, payload: bytes, hop_limit: int = 64) -> bytes:
    return struct.pack("!IHBB", 6 << 28, len(payload), nh, hop_limit) + SRC6 + DST6 + payload


def udp(sp: int, dp: int, payload: bytes) -> bytes:
    return struct.pack("!HHHH", sp, dp, 8 + len(payload), 0) + payload


INNER_UDP4 = ip4(17, udp(1111, 2222, b"abc"), IN_SRC4, IN_DST4)
INNER_UDP6 = ip6(17, udp(3333, 4444, b"zz"))


def outer_udp(sp: int, dp: int, payload: bytes) -> Packet:
    pkt = Packet(9, 4, linktypes.IPV4, ip4(17, udp(sp, dp, payload)))
    decode_frame(pkt)
    return pkt


def names(pkt: Packet | None) -> list[str]:
    assert pkt is not None
    return [event_name(e) for e in pkt.events or []]


@pytest.fixture
def stock_config() -> Iterator[None]:
    """Restore Suricata's shipped decoder settings after a test changes them."""
    yield
    configure_decoders(DecoderConfig())


def vxlan(ethertype: int, body: bytes, flags: int = 0x08, last: int = 0) -> bytes:
    return struct.pack("!BBHI", flags, 0, 0, (42 << 8) | last) + MACS + struct.pack("!H", ethertype) + body


def test_vxlan_ipv4_on_the_destination_port() -> None:
    outer = outer_udp(40000, 4789, vxlan(0x0800, INNER_UDP4))
    inner = outer.inner
    assert inner is not None and outer.events is None
    assert (outer.sp, outer.dp, outer.payload) == (40000, 4789, b"")  # no payload inspection of the outer
    assert (inner.src, inner.dp, inner.payload, inner.tunnel_depth, inner.linktype) == (
        IN_SRC4,
        2222,
        b"abc",
        1,
        linktypes.RAW,
    )
    assert outer_udp(4789, 40000, vxlan(0x0800, INNER_UDP4)).inner is None  # source port alone: not VXLAN


def test_vxlan_ipv6_and_vlan() -> None:
    inner = outer_udp(1, 4789, vxlan(0x86DD, INNER_UDP6)).inner
    assert inner is not None and inner.sp == 3333
    inner = outer_udp(1, 4789, vxlan(0x88A8, b"\x00\x07\x81\x00\x00\x08\x08\x00" + INNER_UDP4)).inner
    assert inner is not None and inner.vlan == (7, 8) and inner.dp == 2222


@pytest.mark.parametrize(
    "payload",
    [vxlan(0x0800, INNER_UDP4, flags=0), vxlan(0x0800, INNER_UDP4, last=1), vxlan(0x0800, b"")[:21]],
    ids=["no-I-flag", "reserved-byte", "short"],
)
def test_not_vxlan_stays_plain_udp(payload: bytes) -> None:
    outer = outer_udp(1, 4789, payload)
    assert outer.inner is None and outer.events is None and outer.payload == payload


def test_vxlan_payload_events_and_drops() -> None:
    outer = outer_udp(1, 4789, vxlan(0x8847, INNER_UDP4))
    assert names(outer) == ["decoder.vxlan.unknown_payload_type"] and outer.inner is None
    outer = outer_udp(1, 4789, vxlan(0x0806, bytes(28)))  # ARP: ignored
    assert outer.events is None and outer.inner is None
    outer = outer_udp(1, 4789, vxlan(0x0800, INNER_UDP4[:25]))  # broken inner IPv4: dropped
    assert outer.events is None and outer.inner is None and outer.payload != b""


def geneve(proto: int, body: bytes, options: bytes = b"", version: int = 0, flags: int = 0) -> bytes:
    return struct.pack("!BBHI", (version << 6) | len(options) // 4, flags, proto, 42 << 8) + options + body


@pytest.mark.parametrize(
    ("sp", "dp", "payload"),
    [
        (1, 6081, geneve(0x0800, INNER_UDP4)),
        (6081, 1, geneve(0x0800, INNER_UDP4)),
        (1, 6081, geneve(0x6558, MACS + b"\x08\x00" + INNER_UDP4)),
        (
            1,
            6081,
            geneve(0x0800, INNER_UDP4, options=struct.pack("!HBB", 0x0102, 0x80, 1) + bytes(4), flags=0xC0),
        ),
    ],
    ids=["ipv4", "source-port", "ethernet", "options"],
)
def test_geneve(sp: int, dp: int, payload: bytes) -> None:
    outer = outer_udp(sp, dp, payload)
    inner = outer.inner
    assert outer.events is None and inner is not None and (inner.src, inner.dp) == (IN_SRC4, 2222)


@pytest.mark.parametrize(
    "payload",
    [
        geneve(0x0800, INNER_UDP4, version=1),
        geneve(0x0800, INNER_UDP4, flags=0x01),
        geneve(0x0800, INNER_UDP4, options=struct.pack("!HBB", 0x0102, 0x80, 5) + bytes(4)),
        geneve(0x0800, b"")[:7],
    ],
    ids=["version", "reserved-flags", "option-overrun", "short"],
)
def test_not_geneve(payload: bytes) -> None:
    outer = outer_udp(1, 6081, payload)
    assert outer.events is None and outer.inner is None


def test_geneve_payload_types() -> None:
    outer = outer_udp(1, 6081, geneve(0x8100, b"\x00\x07\x08\x00" + INNER_UDP4))
    assert names(outer) == ["decoder.geneve.unknown_payload_type"] and outer.inner is None
    outer = outer_udp(1, 6081, geneve(0x6558, MACS + b"\x12\x34" + INNER_UDP4))
    assert names(outer.inner) == ["decoder.ethernet.unknown_ethertype"]  # the Ethernet header decoded


@pytest.mark.parametrize("prefix", [b"", b"\x00\x00" + bytes(6)], ids=["bare", "origin-indication"])
def test_teredo(prefix: bytes) -> None:
    outer = outer_udp(3544, 50000, prefix + INNER_UDP6)
    inner = outer.inner
    assert outer.events is None and inner is not None and (inner.ip_version, inner.sp) == (6, 3333)


@pytest.mark.parametrize(
    "payload",
    [
        b"\x00\x01" + bytes(6) + INNER_UDP6,  # authentication: not a data packet
        ip6(17, udp(1, 2, b"zz"), hop_limit=0),
        ip6(0, b""),  # empty hop-by-hop header
        INNER_UDP6 + b"\x00",  # the IPv6 length must account for every byte
        INNER_UDP4,
        ip6(17, b"\x00\x01\x00\x02\x00\x04\x00\x00"),  # decodes with udp.len_invalid: an invalid packet
    ],
    ids=["auth", "hop-limit-0", "empty-hbh", "length", "ipv4", "invalid-inner"],
)
def test_not_teredo(payload: bytes) -> None:
    outer = outer_udp(3544, 50000, payload)
    assert outer.inner is None and outer.events is None


def test_teredo_keeps_packets_with_events_that_leave_them_valid() -> None:
    hop_by_hop_padding = bytes([17, 0, 1, 4, 0, 0, 0, 0]) + udp(1, 2, b"")
    inner = outer_udp(1, 3544, ip6(0, hop_by_hop_padding)).inner
    assert names(inner) == ["decoder.ipv6.hopopts_only_padding"]


def test_udp_tunnel_nesting_is_bounded() -> None:
    frame = INNER_UDP4
    for _ in range(6):
        frame = ip4(17, udp(1, 4789, vxlan(0x0800, frame)), IN_SRC4, IN_DST4)
    pkt = Packet(1, 1, linktypes.ETHERNET, MACS + b"\x08\x00" + frame)
    decode_frame(pkt)
    depth = 0
    while pkt.inner is not None:
        pkt, depth = pkt.inner, depth + 1
    assert depth == 4 and names(pkt) == ["decoder.too_many_layers"]  # as Suricata, over Ethernet


def test_configure_decoders_switches_and_moves_ports(stock_config: None) -> None:
    configure_decoders(DecoderConfig(vxlan_enabled=False))
    assert outer_udp(1, 4789, vxlan(0x0800, INNER_UDP4)).inner is None
    configure_decoders(DecoderConfig(vxlan_ports=(8472,), geneve_ports=(7000,), teredo_ports=(5555,)))
    assert outer_udp(1, 4789, vxlan(0x0800, INNER_UDP4)).inner is None
    assert outer_udp(1, 8472, vxlan(0x0800, INNER_UDP4)).inner is not None
    assert outer_udp(1, 7000, geneve(0x0800, INNER_UDP4)).inner is not None
    assert outer_udp(5555, 2, INNER_UDP6).inner is not None
    assert outer_udp(3544, 2, INNER_UDP6).inner is None
    configure_decoders(DecoderConfig(teredo_ports=None))  # "any": every UDP packet is tried
    assert outer_udp(40000, 40001, INNER_UDP6).inner is not None
    configure_decoders(DecoderConfig(teredo_enabled=False, geneve_enabled=False))
    assert outer_udp(1, 3544, INNER_UDP6).inner is None
    assert outer_udp(1, 6081, geneve(0x0800, INNER_UDP4)).inner is None


def getter(tree: dict[str, Any]) -> Any:
    def get(dotted: str, default: Any = None) -> Any:
        node: Any = tree
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    return get


def test_decoder_config_from_the_shipped_yaml() -> None:
    tree = {
        "vars": {"port-groups": {"GENEVE_PORTS": 6081, "VXLAN_PORTS": 4789, "TEREDO_PORTS": 3544}},
        "decoder": {
            "teredo": {"enabled": True, "ports": "$TEREDO_PORTS"},
            "vxlan": {"enabled": True, "ports": "$VXLAN_PORTS"},
            "geneve": {"enabled": True, "ports": "$GENEVE_PORTS"},
        },
    }
    assert decoder_config_from(getter(tree)) == DecoderConfig()


def test_decoder_config_code_defaults_and_overrides() -> None:
    assert decoder_config_from(getter({})) == CODE_DEFAULTS == DecoderConfig(teredo_ports=None)
    tree = {
        "decoder": {
            "vxlan": {"enabled": "no", "ports": "[8472, 4789]"},
            "geneve": {"enabled": "yes", "ports": "6081:7000"},
            "teredo": {"enabled": "false", "ports": "any"},
        }
    }
    assert decoder_config_from(getter(tree)) == DecoderConfig(
        vxlan_enabled=False,
        vxlan_ports=(4789, 8472),
        geneve_ports=(6081,),
        teredo_enabled=False,
        teredo_ports=None,
    )
    assert decoder_config_from(getter({"decoder": {"vxlan": {"ports": "any"}}})).vxlan_ports == (0,)


def test_decoder_config_sets_over_the_shipped_configuration() -> None:
    sets_only = getter({"decoder": {"vxlan": {"enabled": "true"}, "teredo": {"ports": "5555"}}})
    assert decoder_config_from(sets_only, DecoderConfig()) == DecoderConfig(teredo_ports=(5555,))


def test_parse_ports() -> None:
    get = getter({"vars": {"port-groups": {"P": "[10, 20]", "Q": "$P"}}})
    assert parse_ports(4789, get, "k") == (4789,)
    assert parse_ports([8472, "4789"], get, "k") == (4789, 8472)
    assert parse_ports("$Q", get, "k") == (10, 20)
    assert parse_ports("[5, 4, 3, 2, 1]", get, "k") == (1, 2, 3, 4)  # Suricata keeps four
    assert parse_ports("any", get, "k") is None
    for bad in ("$NOPE", "http", "70000", True):
        with pytest.raises(ValueError, match="k"):
            parse_ports(bad, get, "k")


@pytest.mark.parametrize(
    ("dp", "payload", "source"),
    [
        (4789, vxlan(0x0800, INNER_UDP4), "vxlan encapsulation"),
        (6081, geneve(0x0800, INNER_UDP4), "geneve encapsulation"),
        (3544, INNER_UDP6, "teredo tunnel"),
    ],
)
def test_tunnel_packets_are_named_as_suricata_names_their_source(
    dp: int, payload: bytes, source: str
) -> None:
    inner = outer_udp(1, dp, payload).inner
    assert inner is not None and inner.pkt_src == source
