"""Decoder settings from Suricata's `decoder.*` keys: which UDP ports carry which tunnel
(`decoder.vxlan|geneve|teredo`) and the decode-layer limit (`decoder.max-layers`).

Load-time configuration of step 2 (decode). `sensor.decode.dispatch.configure_decoders` applies
a DecoderConfig (`apply_config` here sets the port tables the UDP decoder reads and the layer
limit `LIMITS`); `decoder_config_from(get, defaults)` builds a DecoderConfig from a Suricata
configuration tree (`get(dotted_key, default)`, e.g. `SuricataConfig.get`).
`DecoderConfig()` holds the values of Suricata's shipped suricata.yaml (the tables' state at
import); `CODE_DEFAULTS` what Suricata's code assumes for keys a suricata.yaml leaves out.
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


class Limits:
    """The decode-layer limit, one mutable object that decoders read at run time."""

    __slots__ = ("max_layers",)

    def __init__(self) -> None:
        self.max_layers = 16


LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class DecoderConfig:
    """UDP tunnel decoders on or off and their ports, and the decode-layer limit (the values of
    Suricata's shipped suricata.yaml)."""

    vxlan_enabled: bool = True
    vxlan_ports: tuple[int, ...] = (4789,)
    geneve_enabled: bool = True
    geneve_ports: tuple[int, ...] = (6081,)
    teredo_enabled: bool = True
    teredo_ports: tuple[int, ...] | None = (3544,)  # None: every UDP packet ("any")
    max_layers: int = 16  # decoded headers per packet, tunnel parents' included


# What Suricata's code assumes for keys a suricata.yaml leaves out: Teredo then runs on every
# UDP port. (For VXLAN and Geneve, "any" ends up as port 0, the start of its range.)
CODE_DEFAULTS = DecoderConfig(teredo_ports=None)


def apply_config(config: DecoderConfig) -> None:
    """Set the UDP tunnel port tables and the layer limit from `config` (load time, before decoding)."""
    LIMITS.max_layers = config.max_layers
    _fill(VXLAN_PORTS, config.vxlan_ports if config.vxlan_enabled else ())
    _fill(GENEVE_PORTS, config.geneve_ports if config.geneve_enabled else ())
    if config.teredo_enabled and config.teredo_ports is None:
        TEREDO_PORTS[:] = b"\x01" * PORT_COUNT
    else:
        _fill(TEREDO_PORTS, (config.teredo_ports or ()) if config.teredo_enabled else ())
    union = (
        int.from_bytes(VXLAN_PORTS, "big")
        | int.from_bytes(GENEVE_PORTS, "big")
        | int.from_bytes(TEREDO_PORTS, "big")
    )
    TUNNEL_PORTS[:] = union.to_bytes(PORT_COUNT, "big")


def decoder_config_from(
    get: Callable[[str, Any], Any], defaults: DecoderConfig = CODE_DEFAULTS
) -> DecoderConfig:
    """DecoderConfig from a Suricata configuration tree (`get(dotted_key, default)`); keys it
    does not set keep their value in `defaults`: CODE_DEFAULTS for a suricata.yaml, DecoderConfig()
    when only `--set` overrides apply to Suricata's shipped configuration. ValueError names a port
    list that cannot be read."""

    def ports(
        key: str, default: tuple[int, ...] | None, any_port: tuple[int, ...] | None
    ) -> tuple[int, ...] | None:
        value = get(key, None)
        if value is None:
            return default
        found = parse_ports(value, get, key)
        return any_port if found is None else found

    def enabled(key: str, default: bool) -> bool:
        value = get(key, None)
        return default if value is None else _is_true(value)

    return DecoderConfig(
        vxlan_enabled=enabled("decoder.vxlan.enabled", defaults.vxlan_enabled),
        vxlan_ports=ports("decoder.vxlan.ports", defaults.vxlan_ports, (0,)) or (),
        geneve_enabled=enabled("decoder.geneve.enabled", defaults.geneve_enabled),
        geneve_ports=ports("decoder.geneve.ports", defaults.geneve_ports, (0,)) or (),
        teredo_enabled=enabled("decoder.teredo.enabled", defaults.teredo_enabled),
        teredo_ports=ports("decoder.teredo.ports", defaults.teredo_ports, None),
        max_layers=_layers(get("decoder.max-layers", None), defaults.max_layers),
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
    if isinstance(value, list):
        items = (str(v) for v in value)
    else:
        # A string, or a number: then str() gives the port, and for a bool "True", not a port.
        # No isinstance(value, int) branch: compiled with mypyc, it would make True the port 1.
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


def _layers(value: Any, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not str(value).strip().isdigit() or int(value) < 1:
        raise ValueError(f"decoder.max-layers: {value!r} is not a positive number")
    return int(value)


def _is_true(value: Any) -> bool:
    return value is True or str(value).strip().lower() in _TRUE


def _fill(table: bytearray, ports: Iterable[int]) -> None:
    table[:] = bytes(PORT_COUNT)
    for port in ports:
        table[port] = 1


apply_config(DecoderConfig())
