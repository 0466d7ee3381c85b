"""Decoder and defrag events on the suricata-verify corpus, against what Suricata 8.0.8 alerted.

For every corpus case whose rules use only `decode-event`, decode each frame (plus tunnel
inner packets and defragmented datagrams), count the packets that carry each rule's event,
and compare with the alerts per sid that the reference Suricata produced (manifest.json).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from sensor.capture.pcapfile import open_capture
from sensor.decode.dispatch import decode_frame
from sensor.decode.events import event_id
from sensor.decode.packet import Packet
from sensor.stream.defrag import Defragmenter

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "suricata-verify"
MANIFEST = CORPUS / "manifest.json"

_RULE = re.compile(r"^\s*alert\s+(\w+)\s.*?decode-event:\s*([\w.]+)\s*;.*?sid:\s*(\d+)", re.MULTILINE)
# rule header protocol -> does the packet match it
_PROTO_MATCH: dict[str, Callable[[Packet], bool]] = {
    "pkthdr": lambda p: True,
    "ip": lambda p: p.ip_version != 0,
    "ipv4": lambda p: p.ip_version == 4,
    "ipv6": lambda p: p.ip_version == 6,
    "tcp": lambda p: p.proto == 6,
    "udp": lambda p: p.proto == 17,
}


def _cases() -> list[dict[str, object]]:
    if not MANIFEST.exists():
        return []
    tests = json.loads(MANIFEST.read_text())["tests"]
    return [t for t in tests if set(t.get("detection_keywords") or ()) == {"decode-event"}]


def _packets(path: Path) -> list[Packet]:
    """Every packet detection would see: frames, tunnel inner packets, reassembled datagrams."""
    # Suricata's default configuration: IPv4 reassembled as Windows does, IPv6 as BSD does.
    defrag = {4: Defragmenter(policy="windows"), 6: Defragmenter(policy="bsd")}
    out: list[Packet] = []
    for n, (ts_us, linktype, frame) in enumerate(open_capture(path), 1):
        pending = [Packet(ts_us, n, linktype, frame)]
        decode_frame(pending[0])
        while pending:
            pkt = pending.pop()
            out.append(pkt)
            if pkt.inner is not None:
                pending.append(pkt.inner)
            if pkt.is_fragment:
                whole = defrag[pkt.ip_version].add(pkt)
                if whole is not None:
                    pending.append(whole)
    return out


@pytest.mark.corpus
@pytest.mark.parametrize("case", _cases(), ids=lambda c: str(c["name"]))
def test_decode_event_alerts_match_suricata(case: dict[str, object]) -> None:
    rules = (CORPUS / str(case["rules"])).read_text()
    packets = _packets(CORPUS / str(case["pcap"]))
    ours: Counter[str] = Counter()
    for proto, name, sid in _RULE.findall(rules):
        eid = event_id("decoder." + name)
        ours[sid] = sum(1 for p in packets if p.events and eid in p.events and _PROTO_MATCH[proto](p))
    peer = case["peer"]
    assert isinstance(peer, dict)
    expected = Counter({sid: n for sid, n in peer["observed_alerts_per_sid"].items()})
    assert +ours == +expected


def test_corpus_cases_found_when_present() -> None:
    if not MANIFEST.exists():
        pytest.skip("suricata-verify corpus not present")
    assert len(_cases()) >= 15
