"""Target-based reassembly policy per destination host (Suricata's `host-os-policy`).

Suricata picks the IP defragmentation (and TCP overlap) policy from the
destination address: the `host-os-policy` map of OS name -> address list. With
no configuration file the stock suricata.yaml applies, which makes every IPv4
host "windows"; a configuration file without the section leaves the default
"bsd". Load-time only: the lookup per datagram is a few interval checks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rules.parse import parse_address
from rules.vars import VarTable, resolve_addresses
from sensor.errors import ConfigError

# the stock suricata.yaml's section
STOCK_HOST_OS_POLICY: Mapping[str, list[str]] = {"windows": ["0.0.0.0/0"]}

# Suricata's OS names -> the defrag policy it applies for them
_DEFRAG_POLICY = {
    "bsd": "bsd", "hpux10": "bsd", "irix": "bsd",
    "bsd-right": "bsd-right",
    "linux": "linux", "old-linux": "linux",
    "solaris": "solaris", "old-solaris": "solaris",
    "windows": "windows", "vista": "windows", "windows2k3": "windows",
    "macos": "first", "hpux11": "first",
    "first": "first", "last": "last",
}
DEFAULT_POLICY = "bsd"


def defrag_policy_lookup(section: Any) -> Callable[[int, bytes], str]:
    """Compile a `host-os-policy` section into `lookup(ip_version, dst) -> defrag policy`."""
    if section is None:
        return lambda version, dst: DEFAULT_POLICY
    if not isinstance(section, Mapping):
        raise ConfigError("host-os-policy: must be a mapping of OS name to address list")
    table: list[tuple[Any, str]] = []
    empty_vars = VarTable({}, {})
    for os_name, addresses in section.items():
        policy = _DEFRAG_POLICY.get(str(os_name))
        if policy is None:
            raise ConfigError(f"host-os-policy.{os_name}: unknown OS policy")
        if not addresses:
            continue
        items = addresses if isinstance(addresses, list) else [addresses]
        for item in items:
            try:
                matcher = resolve_addresses(parse_address(str(item)), empty_vars)
            except Exception as e:  # noqa: BLE001 - any parse failure is a config error naming the key
                raise ConfigError(f"host-os-policy.{os_name}: bad address {item!r}: {e}") from None
            table.append((matcher, policy))

    def lookup(version: int, dst: bytes) -> str:
        for matcher, policy in table:
            if matcher.contains(version, dst):
                return policy
        return DEFAULT_POLICY

    return lookup
