"""Deterministic generator of the small pcaps bundled with the project (scapy, test-only).

    .venv/bin/python tests/pcaps/gen.py      # rewrites pehredar/samples/sample.pcap

The sample holds a little of everything the engine core handles: TCP sessions
with handshakes and payloads that the bundled rules match, DNS over UDP, ICMP
echo, a VLAN-tagged session, IPv6, a fragmented datagram and a few malformed
packets that raise decode events. Timestamps are fixed, so the file is
byte-for-byte reproducible.
"""

from __future__ import annotations

import sys
from pathlib import Path

from scapy.all import DNS, DNSQR, ICMP, IP, TCP, UDP, Dot1Q, Ether, IPv6, Raw, fragment, wrpcap  # type: ignore

BASE_TS = 1_764_000_000.0
CLIENT, SERVER, EXTERNAL = "10.1.2.3", "10.9.9.9", "203.0.113.7"


def tcp_session(client: str, server: str, sport: int, dport: int, request: bytes, response: bytes,
                vlan: int | None = None) -> list:
    """Handshake, one request, one response, FIN close; correct sequence numbers."""
    cseq, sseq = 1000, 5000
    frames = []

    def l2(pkt):
        eth = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
        return eth / Dot1Q(vlan=vlan) / pkt if vlan is not None else eth / pkt

    frames.append(l2(IP(src=client, dst=server) / TCP(sport=sport, dport=dport, flags="S", seq=cseq)))
    frames.append(l2(IP(src=server, dst=client) / TCP(sport=dport, dport=sport, flags="SA", seq=sseq, ack=cseq + 1)))
    frames.append(l2(IP(src=client, dst=server) / TCP(sport=sport, dport=dport, flags="A", seq=cseq + 1, ack=sseq + 1)))
    frames.append(l2(IP(src=client, dst=server) / TCP(sport=sport, dport=dport, flags="PA", seq=cseq + 1,
                                                       ack=sseq + 1) / Raw(request)))
    cnext = cseq + 1 + len(request)
    frames.append(l2(IP(src=server, dst=client) / TCP(sport=dport, dport=sport, flags="PA", seq=sseq + 1,
                                                       ack=cnext) / Raw(response)))
    snext = sseq + 1 + len(response)
    frames.append(l2(IP(src=client, dst=server) / TCP(sport=sport, dport=dport, flags="FA", seq=cnext, ack=snext)))
    frames.append(l2(IP(src=server, dst=client) / TCP(sport=dport, dport=sport, flags="FA", seq=snext, ack=cnext + 1)))
    frames.append(l2(IP(src=client, dst=server) / TCP(sport=sport, dport=dport, flags="A", seq=cnext + 1,
                                                       ack=snext + 1)))
    return frames


def build_sample() -> list:
    eth = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
    frames = []
    frames += tcp_session(CLIENT, EXTERNAL, 40001, 80, b"GET /index.html HTTP/1.1\r\nHost: example.test\r\n\r\n",
                          b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    frames += tcp_session(CLIENT, SERVER, 40002, 23, b"id\r\n", b"uid=0(root) gid=0(root) groups=0(root)\r\n")
    frames += tcp_session(CLIENT, EXTERNAL, 40003, 4444, b"\x90" * 32 + b"/bin/sh\x00", b"", vlan=42)
    frames.append(eth / IP(src=CLIENT, dst="198.51.100.53") / UDP(sport=53001, dport=53) /
                  DNS(id=7, rd=1, qd=DNSQR(qname="update.badexample.test")))
    frames.append(eth / IP(src=CLIENT, dst=EXTERNAL) / ICMP(type=8, id=77, seq=1) / Raw(b"pehredar-ping"))
    frames.append(eth / IP(src=EXTERNAL, dst=CLIENT) / ICMP(type=0, id=77, seq=1) / Raw(b"pehredar-ping"))
    frames.append(eth / IPv6(src="2001:db8::1", dst="2001:db8::2") / TCP(sport=40100, dport=22, flags="S"))
    big = IP(src=EXTERNAL, dst=CLIENT, id=4242) / UDP(sport=5000, dport=5001) / Raw(b"A" * 1400 + b"EVILFRAG")
    frames += [eth / f for f in fragment(big, fragsize=512)]
    frames.append(eth / IP(src=EXTERNAL, dst=CLIENT, ttl=0) / TCP(sport=1, dport=2, flags="S"))
    truncated = bytes(eth / IP(src=EXTERNAL, dst=CLIENT) / TCP(sport=3, dport=4))[:14 + 12]
    frames.append(Ether(truncated))
    for i, f in enumerate(frames):
        f.time = BASE_TS + i * 0.01
    return frames


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[2] / "pehredar" / "samples" / "sample.pcap"
    wrpcap(str(out), build_sample())
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
