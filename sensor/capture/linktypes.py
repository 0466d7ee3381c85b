"""Link-layer type numbers (tcpdump.org LINKTYPE_* / DLT_* values) the sensor understands.

Shared by the capture readers (which report them) and the link-layer decoders
(which dispatch on them).
"""

from __future__ import annotations

NULL = 0  # BSD loopback: 4-byte address family in host byte order
ETHERNET = 1
RAW_DLT12 = 12  # DLT_RAW on most BSDs
RAW_DLT14 = 14  # DLT_RAW on OpenBSD
LOOP = 108  # OpenBSD loopback: 4-byte address family in network byte order
RAW = 101  # LINKTYPE_RAW: raw IPv4 or IPv6
LINUX_SLL = 113
LINUX_SLL2 = 276
IPV4 = 228
IPV6 = 229

SUPPORTED = frozenset({NULL, ETHERNET, RAW_DLT12, RAW_DLT14, LOOP, RAW, LINUX_SLL, LINUX_SLL2, IPV4, IPV6})

NAMES = {
    NULL: "null",
    ETHERNET: "ethernet",
    RAW_DLT12: "raw",
    RAW_DLT14: "raw",
    LOOP: "loop",
    RAW: "raw",
    LINUX_SLL: "linux_sll",
    LINUX_SLL2: "linux_sll2",
    IPV4: "ipv4",
    IPV6: "ipv6",
}
