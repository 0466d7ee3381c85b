"""Suricata's exception policies, as far as the packet path reaches today: midstream pick-up.

When a TCP session is first seen without its handshake (a midstream pick-up),
Suricata applies `stream.midstream-policy` (else the `exception-policy` master
switch, else `auto`) to the flow: `ignore` changes nothing; `drop-flow`,
`reject`, `pass-flow` and `bypass` take the whole flow out of detection.
`auto` means `ignore` in IDS mode or when midstream pick-ups are enabled, and
`drop-flow` in IPS mode otherwise. Policies that act per packet are not valid
for midstream and are refused at start-up, as Suricata refuses them.
"""

from __future__ import annotations

from sensor.errors import ConfigError
from sensor.suricata_yaml import SuricataConfig

_FLOW_POLICIES = {"drop-flow", "reject", "pass-flow", "bypass"}
_VALID = _FLOW_POLICIES | {"ignore", "auto"}


def midstream_policy(config: SuricataConfig, *, ips_mode: bool, midstream: bool) -> str:
    """The effective midstream exception policy: "ignore" or one of the flow policies."""
    configured = config.get("stream.midstream-policy")
    key = "stream.midstream-policy"
    if configured is None:
        configured, key = config.get("exception-policy"), "exception-policy"
    value = str(configured).strip().lower() if configured is not None else "auto"
    if value not in _VALID:
        raise ConfigError(f"{key}: {value!r} is not valid for midstream pick-ups "
                          f"(valid: {', '.join(sorted(_VALID))})")
    if value == "auto":
        return "drop-flow" if ips_mode and not midstream else "ignore"
    if not ips_mode and value == "drop-flow":
        raise ConfigError(f"{key}: drop-flow needs IPS mode")
    return value


def is_midstream_start(tcp_flags: int) -> bool:
    """A TCP session whose first packet is not a bare SYN was picked up midstream."""
    return tcp_flags & 0x12 != 0x02
