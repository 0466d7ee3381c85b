"""Deterministic generator of a realistic benchmark pcap for Pehredar.

The capture imitates the uplink of an organisation: about 1,500 internal hosts in 10.0.0.0/8 and
192.168.0.0/16 (a tenth of them on 802.1Q VLANs, ~12 % of the conversations over IPv6) talking to
external servers. Conversations are interleaved in time like real traffic:

- TCP with complete sessions (three-way handshake, data both ways with correct seq/ack segmented at
  the MSS, acks every second segment, FIN close): HTTP/1.1 (keep-alive GET/POST with realistic
  hosts, URIs, User-Agents and bodies), TLS 1.3 (ClientHello with SNI, then records of random bytes),
  SSH (banners, key exchange, then random encrypted bytes, interactive or bulk) and bulk transfers;
- UDP: DNS queries and responses, NTP, QUIC-like flows of random bytes, RTP voice;
- ICMP / ICMPv6 echo.

A small share of the traffic triggers real ET Open rules: packet-level ones (GNUTella and BitTorrent
handshakes, a version.bind probe, *NIX pings from outside) and application-level ones (APT and
ip-api.com HTTP requests, api.telegram.org in TLS SNI and DNS).

Frames are built with struct (checksums computed) and written with a minimal pcap writer; one seed
gives the same file byte for byte.

    .venv/bin/python bench/gen_traffic.py --size-mb 150 --out bench/out/bench.pcap --seed 1
    .venv/bin/python bench/gen_traffic.py --out /tmp/small.pcap --size-mb 5 --verify 2000
"""

from __future__ import annotations

import argparse
import email.utils
import heapq
import json
import random
import struct
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

# A frame and the time until the conversation's next frame, in seconds.
Emit = tuple[bytes, float]
Session = Iterator[Emit]

START_EPOCH = 1_764_547_200  # 2025-12-01 00:00:00 UTC
CONCURRENT_SESSIONS = 300
V6_SHARE = 0.12
VLAN_HOST_SHARE = 0.10
VLAN_IDS = (10, 20, 30, 100, 200)

ETH_IPV4, ETH_IPV6, ETH_VLAN = 0x0800, 0x86DD, 0x8100
PROTO_ICMP, PROTO_TCP, PROTO_UDP, PROTO_ICMPV6 = 1, 6, 17, 58
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
MSS_V4, MSS_V6 = 1460, 1440
ETH_MIN_FRAME = 60  # without FCS; shorter frames are padded on the wire
TLS_RECORD_MAX = 16_384

GATEWAY_MAC = bytes.fromhex("0090fb3a1c01")
RESOLVER_MAC = bytes.fromhex("0090fb3a1c35")

PCAP_HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262_144, 1)  # LINKTYPE_ETHERNET
PCAP_RECORD = struct.Struct("<IIII")


# --------------------------------------------------------------------------------------- framing


def checksum(data: bytes) -> int:
    """Internet checksum (RFC 1071) of data.

    The one's complement sum of the 16-bit words equals the data read as one big-endian integer,
    modulo 0xFFFF (as 0x10000 = 1 mod 0xFFFF), which CPython computes in C.
    """
    if len(data) % 2:
        data += b"\x00"
    total = int.from_bytes(data, "big") % 0xFFFF
    return 0xFFFF - (total or 0xFFFF)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One side of a conversation as seen on the wire."""

    ip: bytes  # 4 or 16 bytes
    mac: bytes
    ttl: int  # TTL / hop limit of its packets at the capture point


class Link:
    """Layer 2-4 framing of one conversation; direction 0 is initiator -> responder."""

    __slots__ = ("_addrs", "_flow_label", "_ip_id", "_l2", "_ttl", "v6")

    def __init__(self, initiator: Endpoint, responder: Endpoint, vlan: int | None, rng: random.Random):
        self.v6 = len(initiator.ip) == 16
        ethertype = struct.pack("!H", ETH_IPV6 if self.v6 else ETH_IPV4)
        tag = b"" if vlan is None else struct.pack("!HH", ETH_VLAN, vlan)
        self._l2 = (
            responder.mac + initiator.mac + tag + ethertype,
            initiator.mac + responder.mac + tag + ethertype,
        )
        self._addrs = (initiator.ip + responder.ip, responder.ip + initiator.ip)
        self._ttl = (initiator.ttl, responder.ttl)
        self._ip_id = [rng.getrandbits(16), rng.getrandbits(16)]
        self._flow_label = (rng.getrandbits(20), rng.getrandbits(20))

    def _pseudo_header(self, d: int, proto: int, length: int) -> bytes:
        if self.v6:
            return self._addrs[d] + struct.pack("!IxxxB", length, proto)
        return self._addrs[d] + struct.pack("!xBH", proto, length)

    def _frame(self, d: int, proto: int, l4: bytes, dont_fragment: bool) -> bytes:
        if self.v6:
            ip = struct.pack("!IHBB", 0x6000_0000 | self._flow_label[d], len(l4), proto, self._ttl[d])
            frame = self._l2[d] + ip + self._addrs[d] + l4
        else:
            ident = self._ip_id[d]
            self._ip_id[d] = (ident + 1) & 0xFFFF
            flags = 0x4000 if dont_fragment else 0
            head = struct.pack("!BBHHHBB", 0x45, 0, 20 + len(l4), ident, flags, self._ttl[d], proto)
            csum = checksum(head + b"\x00\x00" + self._addrs[d])
            frame = self._l2[d] + head + struct.pack("!H", csum) + self._addrs[d] + l4
        return frame if len(frame) >= ETH_MIN_FRAME else frame.ljust(ETH_MIN_FRAME, b"\x00")

    def tcp(
        self,
        d: int,
        ports: tuple[int, int],
        seq: int,
        ack: int,
        flags: int,
        window: int,
        payload: bytes,
        options: bytes,
    ) -> bytes:
        head = struct.pack("!HHIIBBH", ports[0], ports[1], seq, ack, (20 + len(options)) << 2, flags, window)
        rest = b"\x00\x00" + options + payload  # urgent pointer, options, data
        csum = checksum(self._pseudo_header(d, PROTO_TCP, 18 + len(rest)) + head + b"\x00\x00" + rest)
        return self._frame(d, PROTO_TCP, head + struct.pack("!H", csum) + rest, True)

    def udp(self, d: int, sport: int, dport: int, payload: bytes) -> bytes:
        head = struct.pack("!HHH", sport, dport, 8 + len(payload))
        csum = checksum(self._pseudo_header(d, PROTO_UDP, 8 + len(payload)) + head + b"\x00\x00" + payload)
        return self._frame(d, PROTO_UDP, head + struct.pack("!H", csum or 0xFFFF) + payload, False)

    def icmp_echo(self, d: int, reply: bool, ident: int, seq: int, payload: bytes) -> bytes:
        body = struct.pack("!HH", ident, seq) + payload
        if self.v6:
            head = bytes((129 if reply else 128, 0))
            csum = checksum(self._pseudo_header(d, PROTO_ICMPV6, 4 + len(body)) + head + b"\x00\x00" + body)
            return self._frame(d, PROTO_ICMPV6, head + struct.pack("!H", csum) + body, False)
        head = bytes((0 if reply else 8, 0))
        csum = checksum(head + b"\x00\x00" + body)
        return self._frame(d, PROTO_ICMP, head + struct.pack("!H", csum) + body, False)


class TcpConn:
    """One TCP conversation: both sides' sequence numbers and the segments they exchange."""

    def __init__(self, link: Link, rng: random.Random, sport: int, dport: int, rtt: float):
        self.link = link
        self.rng = rng
        self.rtt = rtt
        self.mss = MSS_V6 if link.v6 else MSS_V4
        self._ports = ((sport, dport), (dport, sport))
        self._seq = [rng.getrandbits(32), rng.getrandbits(32)]
        self._window = (rng.randint(500, 2050), rng.randint(500, 2050))  # scaled by 2**7

    def pace(self) -> float:
        """Gap between back-to-back segments."""
        return self.rng.uniform(20e-6, 400e-6)

    def segment(
        self, d: int, flags: int, payload: bytes = b"", options: bytes = b"", window: int | None = None
    ) -> bytes:
        seq = self._seq[d]
        ack = self._seq[1 - d] if flags & ACK else 0
        frame = self.link.tcp(d, self._ports[d], seq, ack, flags, window or self._window[d], payload, options)
        self._seq[d] = (seq + len(payload) + (1 if flags & (SYN | FIN) else 0)) & 0xFFFF_FFFF
        return frame

    def open(self) -> Iterator[Emit]:
        # MSS, NOP, window scale 7, NOP, NOP, SACK permitted
        options = struct.pack("!BBH8B", 2, 4, self.mss, 1, 3, 3, 7, 1, 1, 4, 2)
        yield self.segment(0, SYN, options=options, window=64_240), self.rtt
        yield self.segment(1, SYN | ACK, options=options, window=65_160), self.pace()
        yield self.segment(0, ACK), self.pace()

    def send(self, d: int, data: bytes, then: float) -> Iterator[Emit]:
        """Side d sends data in MSS segments, the peer acking every second one and the last;
        `then` is the gap after the final ack."""
        end = len(data)
        for count, offset in enumerate(range(0, end, self.mss), 1):
            last = offset + self.mss >= end
            yield self.segment(d, PSH | ACK if last else ACK, data[offset : offset + self.mss]), self.pace()
            if last or count % 2 == 0:
                yield self.segment(1 - d, ACK), then if last else self.pace()

    def close(self, d: int) -> Iterator[Emit]:
        yield self.segment(d, FIN | ACK), self.rtt
        yield self.segment(1 - d, FIN | ACK), self.pace()
        yield self.segment(d, ACK), 0.0

    def reset(self, d: int) -> Iterator[Emit]:
        yield self.segment(d, RST | ACK), 0.0


# -------------------------------------------------------------------------------------- payloads

WORD_TEXT = """
network security sensor alert traffic policy update report customer service market energy grid
water transport health bank payment account login profile search result weather news sport video
music travel hotel flight price offer product review order delivery support help contact about
privacy terms cookie settings language region country city street home office school university
research science technology software hardware cloud server storage backup mobile phone tablet
laptop desktop camera photo image gallery event calendar schedule meeting project team member
group forum thread comment reply message chat email newsletter subscribe download install
release version feature fix issue bug test build deploy monitor dashboard
"""
WORDS = tuple(WORD_TEXT.split())
CSS_CLASSES = (
    "container",
    "row",
    "col-md-6",
    "nav-item",
    "card",
    "card-body",
    "btn btn-primary",
    "footer",
    "header",
    "article",
    "sidebar",
    "list-group-item",
    "text-muted",
    "lead",
)
DOMAINS = (
    "google.com",
    "youtube.com",
    "wikipedia.org",
    "amazon.com",
    "microsoft.com",
    "apple.com",
    "netflix.com",
    "linkedin.com",
    "github.com",
    "stackoverflow.com",
    "bbc.co.uk",
    "cnn.com",
    "nytimes.com",
    "reddit.com",
    "office.com",
    "live.com",
    "bing.com",
    "yahoo.com",
    "cloudflare.com",
    "akamaized.net",
    "cloudfront.net",
    "fastly.net",
    "jsdelivr.net",
    "googleapis.com",
    "gstatic.com",
    "adobe.com",
    "zoom.us",
    "slack.com",
    "spotify.com",
    "twitch.tv",
    "ebay.com",
    "booking.com",
    "weather.com",
    "espn.com",
    "imdb.com",
    "salesforce.com",
    "oracle.com",
    "ubuntu.com",
    "python.org",
    "mozilla.org",
    "wordpress.com",
    "shopify.com",
    "hubspot.com",
    "atlassian.net",
    "okta.com",
    "theguardian.com",
    "reuters.com",
    "lemonde.fr",
    "spiegel.de",
    "ndtv.com",
    "timesofindia.com",
)
SUBDOMAINS = (
    "www",
    "www",
    "www",
    "cdn",
    "api",
    "static",
    "img",
    "assets",
    "m",
    "login",
    "media",
    "edge",
    "s",
    "content",
    "update",
    "telemetry",
    "news",
    "mail",
    "accounts",
    "play",
)
CHROME = "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
BROWSER_AGENTS = {
    "windows": (
        f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) {CHROME}",
        f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) {CHROME} Edg/131.0.2903.70",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "Microsoft-CryptoAPI/10.0",
    ),
    "linux": (
        "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        f"Mozilla/5.0 (X11; Linux x86_64) {CHROME}",
        "curl/8.5.0",
    ),
    "mac": (
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/18.1 Safari/605.1.15"
        ),
        f"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) {CHROME}",
    ),
}
WEB_SERVERS = (
    "nginx",
    "nginx/1.24.0",
    "Apache/2.4.62 (Debian)",
    "cloudflare",
    "Microsoft-IIS/10.0",
    "AmazonS3",
    "gws",
    "ECAcc (lhd/35A7)",
)
APT_AGENT = "Debian APT-HTTP/1.3 (2.6.1)"
TELEGRAM_API = "api.telegram.org"
SSH_CLIENTS = (
    "SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5",
    "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3",
    "SSH-2.0-PuTTY_Release_0.81",
    "SSH-2.0-OpenSSH_for_Windows_9.5",
)
SSH_SERVERS = (
    "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3",
    "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10",
    "SSH-2.0-OpenSSH_7.4",
)
EXTERNAL_V4_PREFIXES = (
    (142, 250),
    (172, 217),
    (151, 101),
    (104, 16),
    (104, 18),
    (13, 107),
    (20, 190),
    (52, 84),
    (54, 230),
    (23, 45),
    (185, 199),
    (93, 184),
    (199, 232),
    (31, 13),
    (157, 240),
    (17, 253),
    (184, 25),
    (2, 16),
    (88, 221),
    (95, 100),
    (34, 120),
)
EXTERNAL_V6_PREFIXES = (
    "2a00:1450:4001",
    "2606:4700:3033",
    "2a03:2880:f12c",
    "2600:1406:3a00",
    "2620:1ec:46",
    "2a04:4e42:600",
    "2001:67c:1360",
)
EPHEMERAL_PORTS = (32_768, 65_535)


@dataclass(frozen=True, slots=True)
class Resource:
    """A kind of web resource: how it is named, typed and sized."""

    ext: str
    content_type: str
    accept: str
    median_size: int
    body: str  # "markup", "code", "json" or "binary"


RESOURCES = (
    Resource(
        "html",
        "text/html; charset=utf-8",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        14_000,
        "markup",
    ),
    Resource("js", "application/javascript", "*/*", 16_000, "code"),
    Resource("css", "text/css", "text/css,*/*;q=0.1", 7_000, "code"),
    Resource("jpg", "image/jpeg", "image/avif,image/webp,image/apng,*/*;q=0.8", 22_000, "binary"),
    Resource("png", "image/png", "image/avif,image/webp,image/apng,*/*;q=0.8", 6_000, "binary"),
    Resource("json", "application/json", "application/json, text/plain, */*", 2_500, "json"),
    Resource("zip", "application/zip", "*/*", 250_000, "binary"),
)
RESOURCE_WEIGHTS = (20, 20, 10, 22, 14, 14, 1)
BINARY_MAGIC = {"jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "png": b"\x89PNG\r\n\x1a\n", "zip": b"PK\x03\x04"}
STATUS = ((200, "OK"), (304, "Not Modified"), (404, "Not Found"), (302, "Found"))
STATUS_WEIGHTS = (86, 6, 4, 4)


def lognormal_size(rng: random.Random, median: int, sigma: float, low: int, high: int) -> int:
    return max(low, min(high, int(median * rng.lognormvariate(0.0, sigma))))


def build_markup_pool(rng: random.Random, size: int) -> bytes:
    """HTML-like text from which page bodies are sliced."""
    parts: list[str] = []
    total = 0
    while total < size:
        tag = rng.choice(("p", "div", "span", "li", "h2", "a", "td"))
        words = " ".join(rng.choices(WORDS, k=rng.randint(4, 40)))
        href = (
            f' href="/{rng.choice(WORDS)}/{rng.choice(WORDS)}-{rng.randint(1, 9999)}"' if tag == "a" else ""
        )
        part = f'<{tag} class="{rng.choice(CSS_CLASSES)}"{href}>{words}</{tag}>\n'
        parts.append(part)
        total += len(part)
    return "".join(parts).encode()


def build_code_pool(rng: random.Random, size: int) -> bytes:
    """JavaScript/CSS-like text from which script and style bodies are sliced."""
    parts: list[str] = []
    total = 0
    while total < size:
        a, b = rng.sample(WORDS, 2)
        if rng.random() < 0.6:
            part = (
                f"function {a}_{b}{rng.randint(0, 999)}(e,t){{var n=document.querySelector('.{a}');"
                f"if(!n)return null;n.dataset.{b}=t;return e.{b}({rng.randint(0, 4096)})}}\n"
            )
        else:
            part = (
                f".{a}-{b}{{margin:{rng.randint(0, 32)}px;color:#{rng.getrandbits(24):06x};display:flex}}\n"
            )
        parts.append(part)
        total += len(part)
    return "".join(parts).encode()


def build_json_objects(rng: random.Random, count: int) -> list[str]:
    """JSON objects joined into API response bodies."""
    return [
        json.dumps(
            {
                "id": rng.randint(1, 10**7),
                "name": " ".join(rng.sample(WORDS, 3)),
                "tags": rng.sample(WORDS, 3),
                "score": round(rng.random() * 100, 2),
                "active": rng.random() < 0.7,
            },
            separators=(",", ":"),
        )
        for _ in range(count)
    ]


def dns_name(name: str) -> bytes:
    return b"".join(bytes((len(label),)) + label.encode() for label in name.split(".")) + b"\x00"


def dns_query(txid: int, name: str, qtype: int, qclass: int = 1) -> bytes:
    edns = b"\x00" + struct.pack("!HHIH", 41, 1232, 0, 0)  # OPT pseudo-record
    return (
        struct.pack("!HHHHHH", txid, 0x0100, 1, 0, 0, 1)
        + dns_name(name)
        + struct.pack("!HH", qtype, qclass)
        + edns
    )


def dns_response(
    txid: int, name: str, qtype: int, answers: list[tuple[int, bytes]], nxdomain: bool, qclass: int = 1
) -> bytes:
    """Response to a one-question query; answers are (type, rdata) owned by the question name."""
    flags = 0x8183 if nxdomain else 0x8180
    head = struct.pack("!HHHHHH", txid, flags, 1, len(answers), 0, 0)
    records = b"".join(
        struct.pack("!HHHIH", 0xC00C, rtype, qclass, 300, len(rdata)) + rdata for rtype, rdata in answers
    )
    return head + dns_name(name) + struct.pack("!HH", qtype, qclass) + records


def tls_records(content_type: int, data: bytes) -> bytes:
    return b"".join(
        struct.pack("!BHH", content_type, 0x0303, len(data[i : i + TLS_RECORD_MAX]))
        + data[i : i + TLS_RECORD_MAX]
        for i in range(0, len(data), TLS_RECORD_MAX)
    )


def tls_encrypted(rng: random.Random, size: int) -> bytes:
    """Application data records carrying `size` random bytes."""
    return tls_records(23, rng.randbytes(size))


def tls_client_hello(rng: random.Random, sni: str) -> bytes:
    name = sni.encode()
    ciphers = bytes.fromhex("130113021303c02bc02fc02cc030cca9cca8c013c014009c009d002f0035")
    extensions = b"".join(
        (
            struct.pack("!HHHBH", 0, len(name) + 5, len(name) + 3, 0, len(name)) + name,  # server_name
            bytes.fromhex("00170000ff01000100000a000a0008001d001700180019000b00020100"),
            bytes.fromhex("002300000010000e000c02683208687474702f312e31"),  # session ticket, ALPN h2 http/1.1
            bytes.fromhex("000d0012001004030804040105030805050108060601"),  # signature algorithms
            bytes.fromhex(
                "002b00050403040303"  # supported versions 1.3, 1.2
                "002d00020101"
            ),  # psk key exchange modes
            struct.pack("!HHHHH", 51, 38, 36, 0x001D, 32) + rng.randbytes(32),  # key share x25519
        )
    )
    body = (
        b"\x03\x03"
        + rng.randbytes(32)
        + b"\x20"
        + rng.randbytes(32)
        + struct.pack("!H", len(ciphers))
        + ciphers
        + b"\x01\x00"
        + struct.pack("!H", len(extensions))
        + extensions
    )
    handshake = b"\x01" + len(body).to_bytes(3, "big") + body
    return struct.pack("!BHH", 22, 0x0301, len(handshake)) + handshake


def tls_server_hello(rng: random.Random) -> bytes:
    extensions = (
        struct.pack("!HHH", 43, 2, 0x0304) + struct.pack("!HHHH", 51, 36, 0x001D, 32) + rng.randbytes(32)
    )
    body = (
        b"\x03\x03"
        + rng.randbytes(32)
        + b"\x20"
        + rng.randbytes(32)
        + b"\x13\x01\x00"
        + struct.pack("!H", len(extensions))
        + extensions
    )
    hello = tls_records(22, b"\x02" + len(body).to_bytes(3, "big") + body)
    return hello + tls_records(20, b"\x01")  # middlebox-compatibility ChangeCipherSpec


def ssh_packet(rng: random.Random, payload: bytes) -> bytes:
    padding = 8 - (len(payload) + 5) % 8
    if padding < 4:
        padding += 8
    return struct.pack("!IB", len(payload) + padding + 1, padding) + payload + rng.randbytes(padding)


def ssh_string(data: bytes) -> bytes:
    return struct.pack("!I", len(data)) + data


def ssh_kexinit(rng: random.Random) -> bytes:
    lists = (
        "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,diffie-hellman-group14-sha256",
        "ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256",
        "chacha20-poly1305@openssh.com,aes128-gcm@openssh.com,aes256-gcm@openssh.com,aes128-ctr",
        "chacha20-poly1305@openssh.com,aes128-gcm@openssh.com,aes256-gcm@openssh.com,aes128-ctr",
        "umac-64-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-256",
        "umac-64-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-256",
        "none,zlib@openssh.com",
        "none,zlib@openssh.com",
        "",
        "",
    )
    payload = (
        b"\x14" + rng.randbytes(16) + b"".join(ssh_string(s.encode()) for s in lists) + b"\x00" + bytes(4)
    )
    return ssh_packet(rng, payload)


def icmp_payload(os_name: str, rng: random.Random, now: float) -> bytes:
    """Echo data as sent by the ping of the given OS."""
    if os_name == "windows":
        return b"abcdefghijklmnopqrstuvwabcdefghi"
    sec = int(now)
    return struct.pack("<QQ", sec, int((now - sec) * 1e6)) + bytes(range(0x10, 0x38))


# ---------------------------------------------------------------------------------------- hosts


@dataclass(frozen=True, slots=True)
class Host:
    """An internal host."""

    ip4: bytes
    ip6: bytes
    mac: bytes
    vlan: int | None
    os: str

    def endpoint(self, v6: bool) -> Endpoint:
        return Endpoint(self.ip6 if v6 else self.ip4, self.mac, 128 if self.os == "windows" else 64)


@dataclass(frozen=True, slots=True)
class Server:
    """An external (or internal service) address pair and the TTL its packets arrive with."""

    ip4: bytes
    ip6: bytes
    ttl: int
    mac: bytes = GATEWAY_MAC

    def endpoint(self, v6: bool) -> Endpoint:
        return Endpoint(self.ip6 if v6 else self.ip4, self.mac, self.ttl)


def v6_address(prefix: str, rng: random.Random) -> bytes:
    groups = [int(g, 16) for g in prefix.split(":")]
    groups += [rng.getrandbits(16) for _ in range(8 - len(groups))]
    return struct.pack("!8H", *groups)


class World:
    """Hosts, servers and names of the simulated network."""

    def __init__(self, rng: random.Random, internal_hosts: int = 1_500, names: int = 450):
        self.rng = rng
        self.hosts = [self._host(i, internal_hosts) for i in range(internal_hosts)]
        self.names = sorted({f"{rng.choice(SUBDOMAINS)}.{rng.choice(DOMAINS)}" for _ in range(names)})
        self.servers = {name: self.external_server() for name in self.names}
        self.servers[TELEGRAM_API] = self.external_server()
        self.servers["deb.debian.org"] = self.external_server()
        self.servers["ip-api.com"] = self.external_server()
        self.resolvers = (
            Server(bytes((10, 0, 0, 53)), v6_address("fd00:10:0:0:0:0:0:53", rng), 64, RESOLVER_MAC),
            Server(bytes((8, 8, 8, 8)), v6_address("2001:4860:4860:0:0:0:0:8888", rng), 118),
            Server(bytes((1, 1, 1, 1)), v6_address("2606:4700:4700:0:0:0:0:1111", rng), 57),
        )

    def _host(self, index: int, total: int) -> Host:
        rng = self.rng
        if index < total * 0.8:
            ip4 = bytes((10, rng.randint(1, 40), rng.randint(0, 255), rng.randint(2, 254)))
        else:
            ip4 = bytes((192, 168, rng.randint(0, 20), rng.randint(2, 254)))
        ip6 = v6_address(f"fd12:3456:{ip4[1]:x}{ip4[2]:02x}", rng)
        vlan = rng.choice(VLAN_IDS) if rng.random() < VLAN_HOST_SHARE else None
        os_name = rng.choices(("windows", "linux", "mac"), (60, 25, 15))[0]
        return Host(ip4, ip6, bytes((0x02,)) + rng.randbytes(5), vlan, os_name)

    def external_server(self) -> Server:
        rng = self.rng
        a, b = rng.choice(EXTERNAL_V4_PREFIXES)
        ip4 = bytes((a, b, rng.randint(0, 255), rng.randint(1, 254)))
        return Server(
            ip4,
            v6_address(rng.choice(EXTERNAL_V6_PREFIXES), rng),
            rng.choice((64, 128, 255)) - rng.randint(6, 24),
        )

    def link(self, host: Host, server: Server, v6: bool, outbound: bool = True) -> Link:
        """Link between an internal host and a server; outbound means the host initiates."""
        ends = (host.endpoint(v6), server.endpoint(v6))
        initiator, responder = ends if outbound else ends[::-1]
        return Link(initiator, responder, host.vlan, self.rng)


# --------------------------------------------------------------------------------------- traffic


class Traffic:
    """Session generators of every kind, and the mix they are drawn from."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.world = World(rng)
        self.now = float(START_EPOCH)  # set by the scheduler before every step
        self.markup = build_markup_pool(rng, 2_000_000)
        self.code = build_code_pool(rng, 1_000_000)
        self.json_objects = build_json_objects(rng, 3_000)
        self.kinds: dict[str, tuple[float, Callable[[], Session]]] = {
            "dns": (55.0, self.dns),
            "tls": (24.0, self.tls),
            "http": (14.0, self.http),
            "quic": (4.0, self.quic),
            "icmp": (4.0, self.icmp),
            "ntp": (4.0, self.ntp),
            "ssh": (0.8, self.ssh),
            "bulk": (0.35, self.bulk),
            "rtp": (0.25, self.rtp),
            "apt": (0.3, self.apt),
            "ip_lookup": (0.15, self.ip_lookup),
            "gnutella": (0.1, self.gnutella),
            "bittorrent": (0.1, self.bittorrent),
            "dns_version_probe": (0.1, self.dns_version_probe),
        }
        self._names = list(self.kinds)
        self._weights = [weight for weight, _ in self.kinds.values()]
        self.started: Counter[str] = Counter()

    def new_session(self) -> Session:
        kind = self.rng.choices(self._names, self._weights)[0]
        self.started[kind] += 1
        return self.kinds[kind][1]()

    # ---- helpers

    def _client(self, v6_allowed: bool = True) -> tuple[Host, bool]:
        return self.rng.choice(self.world.hosts), v6_allowed and self.rng.random() < V6_SHARE

    def _port(self) -> int:
        return self.rng.randint(*EPHEMERAL_PORTS)

    def _rtt(self) -> float:
        return self.rng.uniform(0.004, 0.12)

    def _text(self, pool: bytes, size: int) -> bytes:
        size = min(size, len(pool) // 2)
        start = self.rng.randrange(len(pool) - size)
        return pool[start : start + size]

    def _slug(self) -> str:
        return "-".join(self.rng.sample(WORDS, self.rng.randint(2, 5)))

    def _tcp_session(
        self, host: Host, server: Server, v6: bool, dport: int, outbound: bool = True
    ) -> TcpConn:
        link = self.world.link(host, server, v6, outbound)
        return TcpConn(link, self.rng, self._port(), dport, self._rtt())

    # ---- HTTP

    def _uri(self, resource: Resource) -> str:
        rng = self.rng
        match resource.ext:
            case "html":
                return rng.choice(
                    (
                        "/",
                        f"/{rng.choice(WORDS)}/{self._slug()}.html",
                        f"/{rng.choice(WORDS)}/2025/{rng.randint(1, 12):02d}/{self._slug()}",
                    )
                )
            case "js" | "css":
                return f"/static/{resource.ext}/{rng.choice(WORDS)}.{rng.getrandbits(32):08x}.{resource.ext}"
            case "jpg" | "png":
                width = rng.choice((320, 640, 1280))
                return f"/images/{rng.choice(WORDS)}/{self._slug()}-{width}.{resource.ext}"
            case "json":
                return (
                    f"/api/v{rng.randint(1, 3)}/{rng.choice(WORDS)}?id={rng.randint(1, 99999)}"
                    f"&lang=en-US&ts={int(self.now)}"
                )
            case _:
                version = f"{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}"
                return f"/downloads/{rng.choice(WORDS)}-{version}.zip"

    def _body(self, resource: Resource) -> bytes:
        rng = self.rng
        size = lognormal_size(rng, resource.median_size, 1.0, 200, 3_000_000)
        match resource.body:
            case "markup":
                return (
                    b"<!DOCTYPE html><html><head><title>"
                    + " ".join(rng.sample(WORDS, 4)).encode()
                    + b"</title></head><body>\n"
                    + self._text(self.markup, size)
                    + b"</body></html>\n"
                )
            case "code":
                return self._text(self.code, size)
            case "json":
                start = rng.randrange(len(self.json_objects) - 200)
                count = max(1, min(200, size // 110))
                return ("[" + ",".join(self.json_objects[start : start + count]) + "]").encode()
            case _:
                return BINARY_MAGIC[resource.ext] + rng.randbytes(size)

    def _http_request(self, host: str, agent: str, resource: Resource) -> bytes:
        rng = self.rng
        post = resource.body == "json" and rng.random() < 0.4
        lines = [
            f"{'POST' if post else 'GET'} {self._uri(resource)} HTTP/1.1",
            f"Host: {host}",
            f"User-Agent: {agent}",
            f"Accept: {resource.accept}",
            "Accept-Language: en-US,en;q=0.9",
            "Accept-Encoding: gzip, deflate",
            "Connection: keep-alive",
        ]
        if rng.random() < 0.5:
            lines.append(f"Referer: http://{host}/{rng.choice(WORDS)}/")
        if rng.random() < 0.4:
            lines.append(
                f"Cookie: sid={rng.randbytes(16).hex()}; _ga=GA1.2.{rng.randint(10**8, 10**9 - 1)}."
                f"{rng.randint(1_700_000_000, 1_764_000_000)}"
            )
        body = b""
        if post:
            body = ("[" + ",".join(rng.sample(self.json_objects, rng.randint(1, 12))) + "]").encode()
            lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    def _http_response(self, resource: Resource) -> bytes:
        rng = self.rng
        code, reason = rng.choices(STATUS, STATUS_WEIGHTS)[0]
        lines = [
            f"HTTP/1.1 {code} {reason}",
            f"Date: {email.utils.formatdate(self.now, usegmt=True)}",
            f"Server: {rng.choice(WEB_SERVERS)}",
        ]
        if code == 304:
            return ("\r\n".join(lines + [f'ETag: "{rng.getrandbits(64):016x}"']) + "\r\n\r\n").encode()
        if code == 200:
            body = self._body(resource)
            lines += [
                f"Content-Type: {resource.content_type}",
                f"Cache-Control: max-age={rng.choice((0, 300, 86400))}",
                f'ETag: "{rng.getrandbits(64):016x}"',
            ]
        else:
            body = f"<html><body><h1>{code} {reason}</h1></body></html>\n".encode()
            lines.append("Content-Type: text/html")
            if code == 302:
                lines.append(f"Location: /{self._slug()}")
        if resource.body in ("markup", "json") and rng.random() < 0.25:
            lines.append("Transfer-Encoding: chunked")
            step = 8_192
            body = (
                b"".join(
                    b"%x\r\n%s\r\n" % (len(body[i : i + step]), body[i : i + step])
                    for i in range(0, len(body), step)
                )
                + b"0\r\n\r\n"
            )
        else:
            lines.append(f"Content-Length: {len(body)}")
        lines.append("Connection: keep-alive")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    def _http_conversation(
        self, host: Host, v6: bool, hostname: str, exchanges: Iterator[tuple[bytes, bytes]]
    ) -> Session:
        conn = self._tcp_session(host, self.world.servers[hostname], v6, 80)
        yield from conn.open()
        for request, response in exchanges:
            yield from conn.send(0, request, conn.rtt)
            yield from conn.send(1, response, self.rng.uniform(0.01, 2.0))
        yield from conn.close(self.rng.randrange(2))

    def http(self) -> Session:
        host, v6 = self._client()
        hostname = self.rng.choice(self.world.names)
        agent = self.rng.choice(BROWSER_AGENTS[host.os])

        def exchanges() -> Iterator[tuple[bytes, bytes]]:
            for _ in range(self.rng.randint(1, 4)):
                resource = self.rng.choices(RESOURCES, RESOURCE_WEIGHTS)[0]
                yield self._http_request(hostname, agent, resource), self._http_response(resource)

        return self._http_conversation(host, v6, hostname, exchanges())

    def apt(self) -> Session:
        """Package download by APT (triggers ET POLICY APT User-Agent)."""
        host, v6 = self._client(v6_allowed=False)

        def exchanges() -> Iterator[tuple[bytes, bytes]]:
            for _ in range(self.rng.randint(1, 4)):
                pkg = self.rng.choice(WORDS)
                version = f"{self.rng.randint(1, 9)}.{self.rng.randint(0, 30)}-1"
                request = (
                    f"GET /debian/pool/main/{pkg[0]}/{pkg}/{pkg}_{version}_amd64.deb HTTP/1.1\r\n"
                    f"Host: deb.debian.org\r\nUser-Agent: {APT_AGENT}\r\n\r\n"
                ).encode()
                body = b"!<arch>\ndebian-binary   " + self.rng.randbytes(
                    lognormal_size(self.rng, 150_000, 1.0, 2_000, 3_000_000)
                )
                response = (
                    "HTTP/1.1 200 OK\r\nServer: Apache\r\n"
                    "Content-Type: application/vnd.debian.binary-package\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n"
                ).encode() + body
                yield request, response

        return self._http_conversation(host, v6, "deb.debian.org", exchanges())

    def ip_lookup(self) -> Session:
        """External IP lookup (triggers ET POLICY External IP Lookup ip-api.com)."""
        host, _ = self._client()
        request = (
            b"GET /json/ HTTP/1.1\r\nHost: ip-api.com\r\n"
            b"User-Agent: python-requests/2.32.3\r\nAccept: */*\r\n\r\n"
        )
        body = json.dumps(
            {"status": "success", "country": "India", "query": f"203.0.113.{self.rng.randint(1, 254)}"}
        )
        response = (
            f"HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\n\r\n{body}"
        ).encode()
        return self._http_conversation(host, False, "ip-api.com", iter(((request, response),)))

    # ---- TLS, SSH, bulk, P2P

    def tls(self) -> Session:
        rng = self.rng
        host, v6 = self._client()
        sni = TELEGRAM_API if rng.random() < 0.004 else rng.choice(self.world.names)
        if sni == TELEGRAM_API:
            v6 = False
        conn = self._tcp_session(host, self.world.servers[sni], v6, 443)
        yield from conn.open()
        yield from conn.send(0, tls_client_hello(rng, sni), conn.rtt)
        yield from conn.send(
            1, tls_server_hello(rng) + tls_encrypted(rng, rng.randint(2_500, 5_500)), conn.pace()
        )
        request = (
            tls_records(20, b"\x01") + tls_encrypted(rng, 53) + tls_encrypted(rng, rng.randint(80, 1_800))
        )
        for _ in range(rng.randint(1, 5)):
            yield from conn.send(0, request, conn.rtt)
            response = tls_encrypted(rng, lognormal_size(rng, 4_500, 1.3, 100, 3_000_000))
            yield from conn.send(1, response, rng.uniform(0.01, 3.0))
            request = tls_encrypted(rng, rng.randint(60, 2_500))
        yield from conn.close(rng.randrange(2))

    def ssh(self) -> Session:
        rng = self.rng
        host, v6 = self._client()
        conn = self._tcp_session(host, self.world.external_server(), v6, 22)
        yield from conn.open()
        yield from conn.send(1, rng.choice(SSH_SERVERS).encode() + b"\r\n", conn.pace())
        yield from conn.send(0, rng.choice(SSH_CLIENTS).encode() + b"\r\n", conn.rtt)
        yield from conn.send(0, ssh_kexinit(rng), conn.rtt)
        yield from conn.send(1, ssh_kexinit(rng), conn.pace())
        yield from conn.send(0, ssh_packet(rng, b"\x1e" + ssh_string(rng.randbytes(32))), conn.rtt)
        host_key = ssh_string(b"ssh-ed25519") + ssh_string(rng.randbytes(32))
        signature = ssh_string(b"ssh-ed25519") + ssh_string(rng.randbytes(64))
        reply = b"\x1f" + ssh_string(host_key) + ssh_string(rng.randbytes(32)) + ssh_string(signature)
        yield from conn.send(1, ssh_packet(rng, reply) + ssh_packet(rng, b"\x15"), conn.pace())
        yield from conn.send(0, ssh_packet(rng, b"\x15") + rng.randbytes(rng.choice((60, 76, 92))), conn.rtt)
        if rng.random() < 0.5:  # scp
            d = rng.randrange(2)
            yield from conn.send(
                d, rng.randbytes(lognormal_size(rng, 300_000, 1.2, 10_000, 4_000_000)), conn.rtt
            )
        else:  # interactive: keystrokes echoed, occasional command output
            for _ in range(rng.randint(10, 120)):
                yield conn.segment(0, PSH | ACK, rng.randbytes(36)), conn.rtt
                yield conn.segment(1, PSH | ACK, rng.randbytes(36)), conn.pace()
                yield conn.segment(0, ACK), rng.uniform(0.08, 0.4)
                if rng.random() < 0.1:
                    yield from conn.send(1, rng.randbytes(rng.randint(200, 12_000)), rng.uniform(0.5, 3.0))
        yield from conn.close(rng.randrange(2))

    def bulk(self) -> Session:
        rng = self.rng
        host, v6 = self._client()
        conn = self._tcp_session(host, self.world.external_server(), v6, rng.choice((873, 5001, 9000, 9100)))
        yield from conn.open()
        yield from conn.send(0, rng.randbytes(rng.randint(40, 400)), conn.rtt)
        yield from conn.send(
            rng.randrange(2), rng.randbytes(lognormal_size(rng, 500_000, 1.0, 50_000, 4_000_000)), conn.rtt
        )
        yield from (conn.close(0) if rng.random() < 0.95 else conn.reset(1))

    def gnutella(self) -> Session:
        """Gnutella 0.6 handshake (triggers GPL P2P GNUTella client request)."""
        rng = self.rng
        host, _ = self._client()
        conn = self._tcp_session(host, self.world.external_server(), False, 6346)
        yield from conn.open()
        yield from conn.send(
            0,
            b"GNUTELLA CONNECT/0.6\r\nUser-Agent: LimeWire/5.5.16\r\nX-Ultrapeer: False\r\n"
            b"X-Query-Routing: 0.2\r\n\r\n",
            conn.rtt,
        )
        yield from conn.send(
            1,
            b"GNUTELLA/0.6 200 OK\r\nUser-Agent: gtk-gnutella/1.2.2\r\nX-Ultrapeer: True\r\n\r\n",
            conn.pace(),
        )
        yield from conn.send(0, b"GNUTELLA/0.6 200 OK\r\n\r\n", conn.rtt)
        for _ in range(rng.randint(2, 10)):
            yield from conn.send(
                rng.randrange(2), rng.randbytes(rng.randint(23, 3_000)), rng.uniform(0.05, 1.0)
            )
        yield from conn.close(0)

    def bittorrent(self) -> Session:
        """BitTorrent peer wire session (triggers GPL P2P BitTorrent transfer)."""
        rng = self.rng
        host, _ = self._client()
        conn = self._tcp_session(host, self.world.external_server(), False, rng.randint(6881, 6889))
        info_hash = rng.randbytes(20)
        handshake = b"\x13BitTorrent protocol" + bytes(5) + b"\x10\x00\x05" + info_hash
        yield from conn.open()
        yield from conn.send(0, handshake + b"-qB4650-" + rng.randbytes(12), conn.rtt)
        yield from conn.send(
            1, handshake + b"-TR4060-" + rng.randbytes(12) + b"\x00\x00\x00\x01\x01", conn.pace()
        )
        yield from conn.send(0, b"\x00\x00\x00\x01\x02", conn.rtt)  # interested
        for block in range(rng.randint(4, 60)):
            request = struct.pack("!IBIII", 13, 6, rng.randint(0, 2000), block * 16_384, 16_384)
            yield from conn.send(0, request, conn.rtt)
            piece = struct.pack("!IBII", 9 + 16_384, 7, 0, block * 16_384) + rng.randbytes(16_384)
            yield from conn.send(1, piece, conn.pace())
        yield from conn.close(0)

    # ---- UDP and ICMP

    def dns(self) -> Session:
        rng = self.rng
        host, v6 = self._client()
        if rng.random() < 0.004:
            name, v6 = TELEGRAM_API, False
        elif rng.random() < 0.15:
            name = (
                f"{rng.getrandbits(40):010x}.{rng.choice(('cloudfront.net', 'akamaized.net', 'fastly.net'))}"
            )
        else:
            name = rng.choice(self.world.names)
        link = self.world.link(host, rng.choice(self.world.resolvers), v6)
        sport = self._port()
        server = self.world.servers.get(name) or self.world.external_server()
        nxdomain = rng.random() < 0.05
        queries = [(1, server.ip4)] + ([(28, server.ip6)] if rng.random() < 0.6 else [])
        txids = [rng.getrandbits(16) for _ in queries]
        for txid, (qtype, _) in zip(txids, queries):
            yield link.udp(0, sport, 53, dns_query(txid, name, qtype)), rng.uniform(1e-4, 5e-4)
        for txid, (qtype, rdata) in zip(txids, queries):
            answers = [] if nxdomain else [(qtype, rdata)]
            yield (
                link.udp(1, 53, sport, dns_response(txid, name, qtype, answers, nxdomain)),
                rng.uniform(1e-4, 0.03),
            )

    def dns_version_probe(self) -> Session:
        """CHAOS TXT version.bind query from outside (triggers GPL DNS named version attempt)."""
        rng = self.rng
        resolver = self.world.resolvers[0]
        scanner = self.world.external_server()
        link = Link(scanner.endpoint(False), resolver.endpoint(False), None, rng)
        sport, txid = self._port(), rng.getrandbits(16)
        yield link.udp(0, sport, 53, dns_query(txid, "version.bind", 16, qclass=3)), rng.uniform(5e-4, 2e-3)
        answer = (16, b"\x079.18.28")
        yield link.udp(1, 53, sport, dns_response(txid, "version.bind", 16, [answer], False, qclass=3)), 0.0

    def ntp(self) -> Session:
        rng = self.rng
        host, v6 = self._client()
        link = self.world.link(host, self.world.external_server(), v6)
        sport = 123 if rng.random() < 0.5 else self._port()
        yield link.udp(0, sport, 123, b"\x23" + bytes(39) + rng.randbytes(8)), self._rtt()
        yield link.udp(1, 123, sport, b"\x24\x02\x00\xe7" + rng.randbytes(44)), 0.0

    def quic(self) -> Session:
        rng = self.rng
        host, v6 = self._client()
        link = self.world.link(host, self.world.servers[rng.choice(self.world.names)], v6)
        sport, rtt = self._port(), self._rtt()
        dcid, scid = rng.randbytes(8), rng.randbytes(8)

        def long_header(cid: bytes, size: int) -> bytes:
            # QUIC v1 Handshake packets: unlike random Initial packets, which observers would fail to
            # decrypt, their random protected payload is what the wire really shows.
            head = b"\xe3\x00\x00\x00\x01\x08" + cid + b"\x00" + struct.pack("!H", 0x4000 | (size - 17))
            return head + rng.randbytes(size - len(head))

        def short_header(cid: bytes, size: int) -> bytes:
            return bytes((0x40 | rng.getrandbits(5),)) + cid + rng.randbytes(size - 9)

        yield link.udp(0, sport, 443, long_header(dcid, 1250)), rtt
        yield link.udp(1, 443, sport, long_header(scid, 1200)), 1e-4
        yield link.udp(1, 443, sport, long_header(scid, rng.randint(600, 1200))), 1e-4
        yield link.udp(0, sport, 443, long_header(dcid, 1250)), 1e-4
        for _ in range(rng.randint(1, 4)):
            yield link.udp(0, sport, 443, short_header(scid, rng.randint(60, 900))), rtt
            packets = max(1, lognormal_size(rng, 12_000, 1.3, 500, 2_000_000) // 1_200)
            for i in range(packets):
                yield link.udp(1, 443, sport, short_header(dcid, rng.randint(1_150, 1_252))), 1e-4
                if i % 4 == 3:
                    yield link.udp(0, sport, 443, short_header(scid, rng.randint(35, 50))), 1e-4
            yield link.udp(0, sport, 443, short_header(scid, rng.randint(35, 50))), rng.uniform(0.05, 2.0)

    def rtp(self) -> Session:
        rng = self.rng
        host, v6 = self._client()
        link = self.world.link(host, self.world.external_server(), v6)
        ports = (rng.randrange(10_000, 20_000, 2), rng.randrange(16_384, 32_768, 2))
        ssrc = (rng.getrandbits(32), rng.getrandbits(32))
        seq = [rng.getrandbits(16), rng.getrandbits(16)]
        stamp = [rng.getrandbits(32), rng.getrandbits(32)]
        for _ in range(rng.randint(100, 800)):
            for d in (0, 1):
                header = struct.pack("!BBHII", 0x80, 0, seq[d], stamp[d], ssrc[d])
                yield link.udp(d, ports[d], ports[1 - d], header + rng.randbytes(160)), 0.01
                seq[d] = (seq[d] + 1) & 0xFFFF
                stamp[d] = (stamp[d] + 160) & 0xFFFF_FFFF

    def icmp(self) -> Session:
        """Pings out to servers, and now and then from an outside *NIX monitor in (triggers GPL PING *NIX)."""
        rng = self.rng
        host, v6 = self._client()
        inbound = not v6 and rng.random() < 0.1
        link = self.world.link(host, self.world.external_server(), v6, outbound=not inbound)
        pinger_os = "linux" if inbound else host.os
        ident = rng.getrandbits(16)
        for seq in range(1, rng.randint(1, 6) + 1):
            payload = icmp_payload(pinger_os, rng, self.now)
            yield link.icmp_echo(0, False, ident, seq, payload), self._rtt()
            yield link.icmp_echo(1, True, ident, seq, payload), 1.0


# ------------------------------------------------------------------------------------ generation


@dataclass
class Composition:
    """What was written."""

    packets: int = 0
    frame_bytes: int = 0
    ipv6: int = 0
    vlan: int = 0
    first_ts: float = 0.0
    last_ts: float = 0.0
    sessions: dict[str, int] = field(default_factory=dict)

    def count(self, ts: float, frame: bytes) -> None:
        self.packets += 1
        self.frame_bytes += len(frame)
        ethertype = frame[12:14]
        if ethertype == b"\x81\x00":
            self.vlan += 1
            ethertype = frame[16:18]
        if ethertype == b"\x86\xdd":
            self.ipv6 += 1
        self.last_ts = ts

    def report(self) -> dict[str, object]:
        tcp_kinds = ("tls", "http", "ssh", "bulk", "apt", "ip_lookup", "gnutella", "bittorrent")
        return {
            "packets": self.packets,
            "frame_bytes": self.frame_bytes,
            "avg_frame_bytes": round(self.frame_bytes / max(1, self.packets), 1),
            "ipv6_pct": round(100 * self.ipv6 / max(1, self.packets), 1),
            "vlan_pct": round(100 * self.vlan / max(1, self.packets), 1),
            "capture_seconds": round(self.last_ts - self.first_ts, 1),
            "tcp_sessions": sum(self.sessions.get(kind, 0) for kind in tcp_kinds),
            "sessions": self.sessions,
        }


class PcapWriter:
    """Buffered writer of a classic microsecond pcap."""

    def __init__(self, path: Path, flush_bytes: int = 8 << 20):
        self._file = path.open("wb")
        self._file.write(PCAP_HEADER)
        self._chunks: list[bytes] = []
        self._pending = 0
        self._flush_bytes = flush_bytes

    def write(self, ts: float, frame: bytes) -> None:
        sec = int(ts)
        self._chunks.append(PCAP_RECORD.pack(sec, int((ts - sec) * 1e6), len(frame), len(frame)))
        self._chunks.append(frame)
        self._pending += len(frame) + 16
        if self._pending >= self._flush_bytes:
            self.flush()

    def flush(self) -> None:
        self._file.write(b"".join(self._chunks))
        self._chunks.clear()
        self._pending = 0

    def close(self) -> None:
        self.flush()
        self._file.close()


def generate(out: Path, size_bytes: int, seed: int) -> Composition:
    """Write the pcap: keep CONCURRENT_SESSIONS conversations interleaved in time until the frames
    reach size_bytes, then let the open ones finish."""
    rng = random.Random(seed)
    traffic = Traffic(rng)
    composition = Composition(first_ts=float(START_EPOCH), last_ts=float(START_EPOCH))
    writer = PcapWriter(out)
    queue: list[tuple[float, int, Session]] = []
    serial = 0

    def schedule(when: float, session: Session) -> None:
        nonlocal serial
        serial += 1
        heapq.heappush(queue, (when, serial, session))

    for _ in range(CONCURRENT_SESSIONS):
        schedule(START_EPOCH + rng.uniform(0.0, 0.5), traffic.new_session())
    while queue:
        now, _, session = heapq.heappop(queue)
        traffic.now = now
        try:
            frame, gap = next(session)
        except StopIteration:
            if composition.frame_bytes < size_bytes:
                schedule(now + rng.expovariate(500.0), traffic.new_session())
            continue
        writer.write(now, frame)
        composition.count(now, frame)
        schedule(now + gap, session)
    writer.close()
    composition.sessions = dict(traffic.started.most_common())
    return composition


def read_records(path: Path) -> Iterator[bytes]:
    """Frames of a classic pcap as written by PcapWriter."""
    data = path.read_bytes()
    offset = len(PCAP_HEADER)
    while offset < len(data):
        _, _, caplen, _ = PCAP_RECORD.unpack_from(data, offset)
        yield data[offset + 16 : offset + 16 + caplen]
        offset += 16 + caplen


def verify(path: Path, sample: int) -> int:
    """Re-check checksums and lengths of about `sample` frames spread over the file with scapy;
    returns the number of frames with problems (each is printed)."""
    from scapy.layers.inet import ICMP, IP, TCP, UDP
    from scapy.layers.inet6 import ICMPv6EchoReply, ICMPv6EchoRequest, IPv6
    from scapy.layers.l2 import Ether

    frames = list(read_records(path))
    step = max(1, len(frames) // sample)
    checked = (
        (IP, "chksum"),
        (TCP, "chksum"),
        (UDP, "chksum"),
        (ICMP, "chksum"),
        (ICMPv6EchoRequest, "cksum"),
        (ICMPv6EchoReply, "cksum"),
    )
    bad = 0
    for index in range(0, len(frames), step):
        frame = frames[index]
        packet = Ether(frame)
        problems = []
        for layer, name in checked:
            if layer in packet:
                rebuilt = Ether(frame)
                delattr(rebuilt[layer], name)
                expected = getattr(Ether(bytes(rebuilt))[layer], name)
                if getattr(packet[layer], name) != expected:
                    problems.append(
                        f"{layer.__name__} checksum {getattr(packet[layer], name):#06x} != {expected:#06x}"
                    )
        ip_length = packet[IP].len if IP in packet else packet[IPv6].plen + 40 if IPv6 in packet else None
        l3_bytes = len(frame) - (18 if frame[12:14] == b"\x81\x00" else 14)
        if ip_length is None:
            problems.append("no IP layer")
        elif ip_length != l3_bytes and not (len(frame) == ETH_MIN_FRAME and ip_length < l3_bytes):
            problems.append(f"IP length {ip_length} for {l3_bytes} bytes")
        if problems:
            bad += 1
            print(f"frame {index}: {'; '.join(problems)}", file=sys.stderr)
    print(
        f"verified {len(range(0, len(frames), step))} of {len(frames)} frames with scapy: {bad} with problems"
    )
    return bad


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out" / "bench.pcap")
    parser.add_argument("--size-mb", type=float, default=150.0, help="frame bytes to reach, in 10^6 bytes")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--verify",
        type=int,
        default=0,
        metavar="N",
        help="afterwards re-check about N frames with scapy (checksums, lengths)",
    )
    args = parser.parse_args(argv)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    composition = generate(args.out, int(args.size_mb * 1e6), args.seed)
    report = composition.report()
    report["generate_seconds"] = round(time.perf_counter() - started, 1)
    report["file"] = str(args.out)
    print(json.dumps(report, indent=2))
    if args.verify:
        return 1 if verify(args.out, args.verify) else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
