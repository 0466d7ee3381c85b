"""Internet checksum validation of a decoded packet (IPv4 header, TCP, UDP, ICMPv4, ICMPv6).

Step 2 of 10 (decode), optional: the loop calls `checksums_valid` only when checksum
validation is configured, and stores the result in `pkt.checksum_ok`. A fragment has only
its IPv4 header checked (its transport checksum covers the whole datagram). UDP over IPv4
with a zero checksum carries none and is valid.
Hot path when enabled: one big-int conversion per checked range, no exceptions.
"""

from __future__ import annotations

from sensor.decode.packet import Packet

_PROTO_TCP = 6
_PROTO_UDP = 17
_PROTO_ICMP = 1
_PROTO_ICMPV6 = 58


def ones_complement_sum(data: bytes) -> int:
    """The 16-bit one's-complement sum of `data` (zero-padded to even length), 0..0xFFFF.

    Uses 2**16 = 1 (mod 0xFFFF): the folded sum of the big-endian words equals the whole
    buffer read as one integer, modulo 0xFFFF (0xFFFF reported for a nonzero multiple).
    """
    if len(data) & 1:
        data += b"\x00"
    value = int.from_bytes(data, "big")
    rem = value % 0xFFFF
    return 0xFFFF if rem == 0 and value else rem


def internet_checksum(data: bytes) -> int:
    """The checksum field value that makes `data` (with that field zeroed) verify."""
    return ~ones_complement_sum(data) & 0xFFFF


def checksums_valid(pkt: Packet) -> bool:
    """True when the IPv4 header checksum and the transport checksum (TCP, UDP, ICMP, ICMPv6) verify.

    Packets without IP, and transports other than those four, are valid by definition.
    """
    data = pkt.data
    l3 = pkt.l3_off
    if l3 < 0:
        return True
    version = pkt.ip_version
    if version == 4:
        hlen = (data[l3] & 0x0F) << 2
        if ones_complement_sum(data[l3 : l3 + hlen]) != 0xFFFF:
            return False
    l4 = pkt.l4_off
    if pkt.is_fragment or l4 < 0:
        return True
    proto = pkt.proto
    if proto == _PROTO_ICMP:
        return ones_complement_sum(data[l4 : l3 + pkt.ip_len]) == 0xFFFF
    if proto == _PROTO_UDP:
        if version == 4 and data[l4 + 6] == 0 and data[l4 + 7] == 0:
            return True
        segment = data[l4 : l4 + ((data[l4 + 4] << 8) | data[l4 + 5])]
    elif proto == _PROTO_TCP or proto == _PROTO_ICMPV6:
        segment = data[l4 : l3 + pkt.ip_len]
    else:
        return True
    length = len(segment)
    pseudo = pkt.src + pkt.dst
    if version == 4:
        pseudo += bytes((0, proto, length >> 8, length & 0xFF))
    else:
        pseudo += length.to_bytes(4, "big") + bytes((0, 0, 0, proto))
    return ones_complement_sum(pseudo + segment) == 0xFFFF
