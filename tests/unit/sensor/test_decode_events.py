"""The decode/stream event table: names, ids, and that every decoder's event is in it."""

from __future__ import annotations

import importlib
import re

import pytest

from sensor.decode.events import ALL_EVENTS, EVENT_IDS, EVENTS, STREAM_EVENTS, event_id, event_name

DECODER_MODULES = [
    "sensor.decode.ethernet",
    "sensor.decode.vlan",
    "sensor.decode.sll",
    "sensor.decode.null",
    "sensor.decode.ipv4",
    "sensor.decode.ipv6",
    "sensor.decode.tcp",
    "sensor.decode.udp",
    "sensor.decode.icmp4",
    "sensor.decode.icmp6",
    "sensor.decode.gre",
    "sensor.decode.dispatch",
    "sensor.stream.defrag",
]


def test_names_are_unique_dotted_lowercase() -> None:
    assert len(set(ALL_EVENTS)) == len(ALL_EVENTS)
    for name in EVENTS:
        assert re.fullmatch(r"decoder\.[a-z0-9_]+(\.[a-z0-9_]+)?", name), name
    for name in STREAM_EVENTS:
        assert re.fullmatch(r"stream\.[a-z0-9_]+", name), name


def test_ids_are_positions() -> None:
    assert ALL_EVENTS == EVENTS + STREAM_EVENTS
    for i, name in enumerate(ALL_EVENTS):
        assert EVENT_IDS[name] == i == event_id(name)
        assert event_name(i) == name


def test_unknown_name_is_key_error() -> None:
    with pytest.raises(KeyError):
        event_id("decoder.ipv4.no_such_event")
    with pytest.raises(KeyError):
        event_id("ipv4.trunc_pkt")  # rule spelling needs the "decoder." prefix


@pytest.mark.parametrize(
    "name",
    [
        "decoder.ipv4.trunc_pkt",
        "decoder.tcp.opt_invalid_len",
        "decoder.ipv6.frag_overlap",
        "decoder.ipv4.frag_overlap",
        "decoder.ipv6.frag_invalid_length",
        "decoder.udp.len_invalid",
        "decoder.ethernet.unknown_ethertype",
        "decoder.ieee8021ah.header_too_small",
        "decoder.ipraw.invalid_ip_version",
        "decoder.ltnull.unsupported_type",
        "decoder.sll2.pkt_too_small",
        "decoder.too_many_layers",
        "decoder.tcp.opt_wscale_over_max",
        "decoder.afpacket.trunc_pkt",
        "stream.3whs_ack_in_wrong_dir",
        "stream.reassembly_overlap_different_data",
    ],
)
def test_suricata_names_present(name: str) -> None:
    assert name in EVENT_IDS


@pytest.mark.parametrize("module", DECODER_MODULES)
def test_every_event_a_decoder_names_is_registered(module: str) -> None:
    mod = importlib.import_module(module)  # ids are resolved at import: an unknown name fails here
    assert mod.__file__ is not None
    with open(mod.__file__, encoding="utf-8") as f:
        used = re.findall(r'event_id\("([^"]+)"\)', f.read())
    assert used
    for name in used:
        assert name in EVENT_IDS, name
