"""Tunnel plumbing shared by every encapsulation: spawning the carried packet, nesting limits,
and when a carried packet counts as decoded.

Step 2 of 10 (decode). A tunnel decoder (GRE, IP-in-IP, ERSPAN, PPTP, VXLAN, Geneve, Teredo)
hands the carried bytes to `spawn_inner`, which decodes them into a new pseudo-packet
(same ts/pcap_cnt, `tunnel_depth` + 1, no VLAN ids of its own yet: Suricata 8 does not copy
the outer VLANs into a tunnel packet) and stores it in `pkt.inner`, but only when the carried
packet's first decoder succeeded. As in Suricata, a tunnel packet whose first header does not
decode is dropped together with its events; what fails after that header stays on the kept
packet. Each tunnel kind states its success test (`*_decoded` predicates).
Hot path: no exceptions for malformed input; the carried bytes are the one copy a tunnel makes.
"""

from __future__ import annotations

from collections.abc import Callable
from struct import Struct

from sensor.decode.ethernet import ETH_HEADER_LEN, ETHERTYPE_DECODERS, DecodeFn
from sensor.decode.packet import Packet

# Suricata 8 (16 decode layers) decodes four GRE, VXLAN or Geneve-IP tunnels over Ethernet and
# flags the fifth; tunnels carrying Ethernet (or PPP) cost a layer more and stop one earlier.
# IP-in-IP layers are cheaper: it decodes six and silently stops at the seventh.
MAX_TUNNEL_DEPTH = 4
MAX_IP_IN_IP_DEPTH = 6

VLAN_HEADER_LEN = 4

_u16 = Struct("!H").unpack_from

DecodedFn = Callable[[Packet], bool]


def spawn_inner(
    pkt: Packet, buf: bytes, off: int, end: int, decode: DecodeFn, linktype: int, decoded: DecodedFn
) -> None:
    """Decode buf[off:end] with `decode` into a new pseudo-packet; keep it when `decoded` says so."""
    data = buf[off:end]
    inner = Packet(pkt.ts_us, pkt.pcap_cnt, linktype, data)
    inner.is_pseudo = True
    inner.tunnel_depth = pkt.tunnel_depth + 1
    decode(inner, data, 0, end - off)
    if decoded(inner):
        pkt.inner = inner


def ip_decoded(inner: Packet) -> bool:
    """An IPv4/IPv6 tunnel packet counts when its IP header decoded."""
    return inner.ip_version != 0


def ethernet_decoded(inner: Packet) -> bool:
    """An Ethernet tunnel packet counts when it holds an Ethernet header, whatever follows it."""
    return len(inner.data) >= ETH_HEADER_LEN


def vlan_decoded(inner: Packet) -> bool:
    """A VLAN tunnel packet (GRE 0x8100, VXLAN) counts when its tag carries a known ethertype."""
    data = inner.data
    return len(data) >= VLAN_HEADER_LEN and _u16(data, 2)[0] in ETHERTYPE_DECODERS
