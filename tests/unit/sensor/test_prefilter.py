"""Prefilter (sensor/detect/prefilter.py): which rules reach verification.

The prefilter may only drop rules that cannot match; these tests check that it
drops the ones it should (protocol narrowed by ip_proto, 1-2 byte fast patterns
absent from the data, flow direction and state missing from the packet) and
keeps the rest. Verdicts themselves are covered by test_engine and the corpus.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scapy.all import IP, TCP, UDP, Ether, Raw  # type: ignore[import-untyped]

from sensor.capture import linktypes
from sensor.decode.dispatch import decode_frame
from sensor.decode.packet import Packet
from sensor.detect.mask import NEED_FLOW, NEED_PAYLOAD, NEED_TO_CLIENT, NEED_TO_SERVER
from sensor.ruleset import load_ruleset
from sensor.suricata_yaml import load_suricata_yaml


def engine(tmp_path: Path, rules: str) -> Any:
    path = tmp_path / "t.rules"
    path.write_text(rules)
    return load_ruleset([str(path)], load_suricata_yaml(None, [])).engine


def packet(frame: Any) -> Packet:
    pkt = Packet(1_700_000_000_000_000, 1, linktypes.ETHERNET, bytes(frame))
    decode_frame(pkt)
    return pkt


def sids(eng: Any, pkt: Packet, mask: int) -> list[int]:
    return [eng.rules[n].sid for n in eng.prefilter.candidates(pkt, mask)]


def group_sids(eng: Any, group: str) -> set[int]:
    grp = eng.prefilter.groups[group]
    nums = {num for _, num in grp.residual} | {num for _, num in grp.iponly_residual}
    nums |= {num for entries in grp.by_port.values() for _, num, _ in entries}
    nums |= set(grp.index.lookup(4, 0x0A000001)) | set(grp.iponly_index.lookup(4, 0x0A000001))
    return {eng.rules[n].sid for n in nums}


def test_ip_proto_narrows_the_protocol_groups(tmp_path: Path) -> None:
    eng = engine(
        tmp_path,
        "alert ip any any -> any any (ip_proto:41; sid:1;)\n"
        "alert ip any any -> any any (ip_proto:!6; sid:2;)\n"
        "alert ip any any -> any any (ip_proto:<7; sid:3;)\n",
    )
    assert group_sids(eng, "tcp") == {3}
    assert group_sids(eng, "udp") == {2}
    assert group_sids(eng, "icmp") == {2, 3}
    assert group_sids(eng, "other") == {1, 2, 3}


def test_short_port_pattern_is_a_candidate_only_when_present(tmp_path: Path) -> None:
    eng = engine(tmp_path, 'alert udp any any -> any 53 (content:"|00 f9|"; sid:1;)\n')
    base = Ether() / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=5000, dport=53)
    mask = NEED_PAYLOAD | NEED_TO_SERVER
    assert sids(eng, packet(base / Raw(b"\x12\x34\x00\xf9\x00\x01")), mask) == [1]
    assert sids(eng, packet(base / Raw(b"\x12\x34\x00\x01\x00\x01")), mask) == []


def test_short_nocase_letters_pattern_is_kept_whatever_the_data(tmp_path: Path) -> None:
    eng = engine(tmp_path, 'alert udp any any -> any 53 (content:"ab"; nocase; sid:1;)\n')
    pkt = packet(Ether() / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=5000, dport=53) / Raw(b"xyz"))
    assert sids(eng, pkt, NEED_PAYLOAD | NEED_TO_SERVER) == [1]


def test_flow_direction_and_state_gate_fast_pattern_hits(tmp_path: Path) -> None:
    eng = engine(
        tmp_path,
        'alert tcp any any -> any any (flow:to_client; content:"secret-word"; sid:1;)\n'
        'alert tcp any any -> any any (flow:established; content:"secret-word"; sid:2;)\n'
        'alert tcp any any -> any any (content:"secret-word"; sid:3;)\n',
    )
    frame = (
        Ether()
        / IP(src="10.0.0.1", dst="10.0.0.2")
        / TCP(sport=5000, dport=80, flags="PA")
        / Raw(b"a secret-word")
    )
    pkt = packet(frame)
    pkt.stream_added = False
    assert sids(eng, pkt, NEED_PAYLOAD | NEED_TO_SERVER) == [3]
    assert sids(eng, pkt, NEED_PAYLOAD | NEED_TO_CLIENT | NEED_FLOW) == [1, 3]
