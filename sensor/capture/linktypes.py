"""Link-layer type numbers (tcpdump.org LINKTYPE_* / DLT_* values) the sensor understands.

Shared by the capture readers (which report them) and the link-layer decoders
(which dispatch on them).
"""

from __future__ import annotations

NULL = 0  # BSD loopback: 4-byte address family in host byte order
ETHERNET = 1
PPP = 9  # PPP, optionally in HDLC-like framing (address/control bytes)
RAW_DLT12 = 12  # DLT_RAW on most BSDs
RAW_DLT14 = 14  # DLT_RAW on OpenBSD
LOOP = 108  # OpenBSD loopback: 4-byte address family in network byte order
RAW = 101  # LINKTYPE_RAW: raw IPv4 or IPv6
C_HDLC = 104  # Cisco HDLC
LINUX_SLL = 113
LINUX_SLL2 = 276
IPV4 = 228
IPV6 = 229

SUPPORTED = frozenset(
    {NULL, ETHERNET, PPP, RAW_DLT12, RAW_DLT14, LOOP, RAW, C_HDLC, LINUX_SLL, LINUX_SLL2, IPV4, IPV6}
)

NAMES = {
    NULL: "null",
    ETHERNET: "ethernet",
    PPP: "ppp",
    RAW_DLT12: "raw",
    RAW_DLT14: "raw",
    LOOP: "loop",
    RAW: "raw",
    C_HDLC: "c_hdlc",
    LINUX_SLL: "linux_sll",
    LINUX_SLL2: "linux_sll2",
    IPV4: "ipv4",
    IPV6: "ipv6",
}
