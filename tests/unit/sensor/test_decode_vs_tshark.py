"""Differential oracle: our addresses and ports against tshark's, frame by frame, on corpus pcaps.

tshark (Debian's package) dissects each pcap with IP reassembly off; for every frame we decode
cleanly (no events, not a fragment), the IPv4 and IPv6 addresses along our tunnel chain must
be the first ones tshark lists, and the first TCP/UDP ports must agree. Catches offset and
byte-order slips. Skipped when tshark or the corpus is absent.
"""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
from pathlib import Path

import pytest

from sensor.capture.pcapfile import open_capture
from sensor.decode.dispatch import decode_frame
from sensor.decode.packet import Packet
from sensor.errors import CaptureError

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "suricata-verify"
TSHARK = shutil.which("tshark")
FIELDS = [
    "frame.number",
    "ip.src",
    "ip.dst",
    "ipv6.src",
    "ipv6.dst",
    "tcp.srcport",
    "tcp.dstport",
    "udp.srcport",
    "udp.dstport",
]
INTERESTING = (
    "gre",
    "vlan",
    "ipv6",
    "tunnel",
    "frag",
    "sll",
    "null",
    "raw",
    "erspan",
    "icmp",
    "pppoe",
    "teredo",
    "6in4",
    "qinq",
)


def _sample() -> list[Path]:
    if not CORPUS.exists():
        return []
    pcaps = sorted(p for p in CORPUS.glob("tests/**/*") if p.suffix in (".pcap", ".pcapng"))
    chosen = {p for i, p in enumerate(pcaps) if i % 15 == 0}
    chosen |= {p for p in pcaps if any(word in str(p.relative_to(CORPUS)).lower() for word in INTERESTING)}
    return sorted(chosen)


def _tshark(path: Path) -> dict[int, dict[str, list[str]]]:
    assert TSHARK is not None
    cmd = [
        TSHARK,
        "-n",
        "-r",
        str(path),
        "-T",
        "fields",
        "-E",
        "separator=\t",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=,",
    ]
    cmd += [
        "-o",
        "ip.defragment:FALSE",
        "-o",
        "ipv6.defragment:FALSE",
        "-o",
        "tcp.desegment_tcp_streams:FALSE",
    ]
    for field in FIELDS:
        cmd += ["-e", field]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False).stdout
    rows: dict[int, dict[str, list[str]]] = {}
    for line in out.splitlines():
        cols = line.split("\t")
        if len(cols) != len(FIELDS) or not cols[0].isdigit():
            continue
        rows[int(cols[0])] = {f: [v for v in c.split(",") if v] for f, c in zip(FIELDS[1:], cols[1:])}
    return rows


def _chain(pkt: Packet) -> list[Packet]:
    chain = [pkt]
    while chain[-1].inner is not None:
        inner = chain[-1].inner
        assert inner is not None
        chain.append(inner)
    return chain


def _addr(raw: bytes) -> str:
    return str(ipaddress.ip_address(raw))


@pytest.mark.corpus
@pytest.mark.skipif(TSHARK is None, reason="tshark not installed")
@pytest.mark.parametrize("pcap", _sample(), ids=lambda p: str(p.relative_to(CORPUS)))
def test_addresses_and_ports_match_tshark(pcap: Path) -> None:
    try:
        frames = list(open_capture(pcap))
    except CaptureError:
        pytest.skip("capture file the reader refuses")
    rows = _tshark(pcap)
    for n, (ts_us, linktype, data) in enumerate(frames, 1):
        pkt = Packet(ts_us, n, linktype, data)
        decode_frame(pkt)
        chain = _chain(pkt)
        if n not in rows or any(p.events or p.is_fragment for p in chain) or pkt.ip_version == 0:
            continue
        row = rows[n]
        for version, src_f, dst_f in ((4, "ip.src", "ip.dst"), (6, "ipv6.src", "ipv6.dst")):
            ours = [(_addr(p.src), _addr(p.dst)) for p in chain if p.ip_version == version]
            theirs = list(zip(row[src_f], row[dst_f]))[: len(ours)]
            assert ours == theirs, f"frame {n}: IPv{version} addresses"
        ported = [p for p in chain if p.proto in (6, 17) and p.l4_off >= 0]
        if ported:
            first = ported[0]
            kind = "tcp" if first.proto == 6 else "udp"
            if row[f"{kind}.srcport"]:
                assert (str(first.sp), str(first.dp)) == (
                    row[f"{kind}.srcport"][0],
                    row[f"{kind}.dstport"][0],
                ), f"frame {n}: ports"
