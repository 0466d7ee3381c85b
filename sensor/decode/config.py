"""Which UDP ports carry which tunnel: Suricata's `decoder.vxlan|geneve|teredo` settings.

Load-time configuration of step 2 (decode). `configure_decoders(DecoderConfig)` fills the
port tables the UDP decoder reads; `decoder_config_from(get)` builds a DecoderConfig from a
Suricata YAML tree (`get(dotted_key, default)`, e.g. `SuricataConfig.get`), with the defaults
Suricata's code applies to keys a YAML leaves out. `DecoderConfig()` itself holds the values
of Suricata's shipped suricata.yaml, which are also the tables' state at import.
Nothing here runs per packet: the tables are bytearrays indexed by port, mutated in place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

PORT_COUNT = 65536
MAX_TUNNEL_PORTS = 4  # Suricata keeps the first four ports of each list

# 1 at a port: VXLAN on that destination port / Geneve on that source or destination port /
# Teredo on that source or destination port (every port for "any"); TUNNEL_PORTS is the union.
VXLAN_PORTS = bytearray(PORT_COUNT)
GENEVE_PORTS = bytearray(PORT_COUNT)
TEREDO_PORTS = bytearray(PORT_COUNT)
TUNNEL_PORTS = bytearray(PORT_COUNT)

_TRUE = frozenset({"1", "yes", "true", "on"})


@dataclass(frozen=True, slots=True)
class DecoderConfig:
    """UDP tunnel decoders: on or off, and their ports (Suricata's shipped suricata.yaml)."""

    vxlan_enabled: bool = True
    vxlan_ports: tuple[int, ...] = (4789,)
    geneve_enabled: bool = True
    geneve_ports: tuple[int, ...] = (6081,)
    teredo_enabled: bool = True
    teredo_ports: tuple[int, ...] | None = (3544,)  # None: every UDP packet ("any")


def configure_decoders(config: DecoderConfig) -> None:
    """Set the UDP tunnel port tables from `config` (load time, before decoding)."""
    _fill(VXLAN_PORTS, config.vxlan_ports if config.vxlan_enabled else ())
    _fill(GENEVE_PORTS, config.geneve_ports if config.geneve_enabled else ())
    if config.teredo_enabled and config.teredo_ports is None:
        TEREDO_PORTS[:] = b"\x01" * PORT_COUNT
    else:
        _fill(TEREDO_PORTS, (config.teredo_ports or ()) if config.teredo_enabled else ())
    union = (
        int.from_bytes(VXLAN_PORTS, "big") | int.from_bytes(GENEVE_PORTS, "big") | int.from_bytes(TEREDO_PORTS, "big")
    )
    TUNNEL_PORTS[:] = union.to_bytes(PORT_COUNT, "big")


def decoder_config_from(get: Callable[[str, Any], Any]) -> DecoderConfig:
    """DecoderConfig from a Suricata YAML tree; absent keys take Suricata's code defaults
    (all three enabled, VXLAN 4789, Geneve 6081, Teredo on every port). ValueError names a
    port list that cannot be read."""

    def ports(key: str, default: Any) -> tuple[int, ...] | None:
        value = get(key, None)
        return parse_ports(default if value is None else value, get, key)

    vxlan_ports = ports("decoder.vxlan.ports", 4789)
    geneve_ports = ports("decoder.geneve.ports", 6081)
    return DecoderConfig(
        vxlan_enabled=_is_true(get("decoder.vxlan.enabled", True)),
        vxlan_ports=(0,) if vxlan_ports is None else vxlan_ports,
        geneve_enabled=_is_true(get("decoder.geneve.enabled", True)),
        geneve_ports=(0,) if geneve_ports is None else geneve_ports,
        teredo_enabled=_is_true(get("decoder.teredo.enabled", True)),
        teredo_ports=ports("decoder.teredo.ports", "any"),
    )


def parse_ports(value: Any, get: Callable[[str, Any], Any], key: str) -> tuple[int, ...] | None:
    """Ports of a Suricata port list (`4789`, `[8472, 4789]`, `$VXLAN_PORTS`, `any`, ranges);
    None for "any". As Suricata does, a range counts as its first port and only the first
    four ports (in ascending order) are kept."""
    found: set[int] = set()
    if _collect(value, get, key, found, 0):
        return None
    return tuple(sorted(found)[:MAX_TUNNEL_PORTS])


def _collect(value: Any, get: Callable[[str, Any], Any], key: str, found: set[int], depth: int) -> bool:
    """Add the ports of `value` to `found`; True when it says "any"."""
    if depth > 8:
        raise ValueError(f"{key}: port variables nest too deeply")
    items: Iterable[Any]
    if isinstance(value, bool):
        raise ValueError(f"{key}: {value!r} is not a port list")
    if isinstance(value, int):
        items = (str(value),)
    elif isinstance(value, list):
        items = (str(v) for v in value)
    else:
        items = str(value).strip().strip("[]").split(",")
    any_port = False
    for item in items:
        item = item.strip().strip("[]").strip()
        if not item or item.startswith("!"):
            continue
        if item.startswith("$"):
            resolved = get(f"vars.port-groups.{item[1:]}", None)
            if resolved is None:
                raise ValueError(f"{key}: port variable {item} is not defined")
            any_port |= _collect(resolved, get, key, found, depth + 1)
        elif item.lower() == "any":
            any_port = True
        else:
            first = item.split(":", 1)[0].strip()
            if not first.isdigit() or int(first) >= PORT_COUNT:
                raise ValueError(f"{key}: {item!r} is not a port")
            found.add(int(first))
    return any_port


def _is_true(value: Any) -> bool:
    return value is True or str(value).strip().lower() in _TRUE


def _fill(table: bytearray, ports: Iterable[int]) -> None:
    table[:] = bytes(PORT_COUNT)
    for port in ports:
        table[port] = 1


configure_decoders(DecoderConfig())
