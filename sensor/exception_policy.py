"""Suricata's exception policies, as far as the packet path reaches today: midstream pick-up.

When a TCP session is first seen without its handshake (a midstream pick-up),
Suricata applies `stream.midstream-policy` (else the `exception-policy` master
switch, else `auto`) to the flow: `ignore` changes nothing; the other policies
take the whole flow out of detection. `auto` means `ignore` in IDS mode or when
midstream pick-ups are enabled, and `drop-flow` in IPS mode otherwise. In IDS
mode Suricata ignores `reject` and a master switch of drop-flow, and for
`stream.midstream-policy` values that need IPS it warns but still stops
inspecting the flow; the same is done here, with the warning returned.
"""

from __future__ import annotations

from sensor.errors import ConfigError
from sensor.suricata_yaml import SuricataConfig

_VALID = {"drop-flow", "drop-packet", "reject", "pass-flow", "pass-packet", "bypass", "ignore", "auto"}
_NEEDS_IPS = {"drop-flow", "drop-packet", "pass-packet"}


def midstream_policy(config: SuricataConfig, *, ips_mode: bool, midstream: bool) -> tuple[str, list[str]]:
    """The effective midstream policy ("ignore", "drop-flow", "pass-flow", ...) and warnings."""
    warnings: list[str] = []
    specific = config.get("stream.midstream-policy")
    master = config.get("exception-policy")
    key, configured = ("stream.midstream-policy", specific) if specific is not None else ("exception-policy", master)
    value = str(configured).strip().lower() if configured is not None else "auto"
    if value not in _VALID:
        raise ConfigError(f"{key}: {value!r} is not an exception policy (valid: {', '.join(sorted(_VALID))})")
    if value == "auto":
        return ("drop-flow" if ips_mode and not midstream else "ignore"), warnings
    if ips_mode:
        return value, warnings
    if value == "reject" or (key == "exception-policy" and value == "drop-flow"):
        return "ignore", warnings
    if value in _NEEDS_IPS:
        warnings.append(f"{key}: {value} is meant for IPS mode; flows picked up midstream are not inspected")
        return "pass-flow", warnings
    return value, warnings


def is_midstream_start(tcp_flags: int) -> bool:
    """A TCP session whose first packet is not a bare SYN was picked up midstream."""
    return tcp_flags & 0x12 != 0x02
