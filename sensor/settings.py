"""Suricata configuration keys the sensor honours, and what it says about the rest.

Reads the merged configuration (Suricata YAML plus `--set` overrides) into the
few settings that change detection here. `--set` keys are sorted into:
honoured (below), accepted and ignored because they do not change detection
(logging, outputs, statistics, paths), or named in a warning because they
would change detection and are not supported yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sensor.suricata_yaml import SuricataConfig

HONOURED = {
    "stream.midstream": "pick up TCP sessions without a seen handshake",
    "stream.async-oneside": "track TCP sessions seen in one direction only",
    "stream.inline": "inline (IPS) stream inspection: auto (with --simulate-ips), yes or no",
    "stream.reassembly.urgent.policy": "TCP urgent data: oob (default), inline, gap or drop",
    "stream.reassembly.depth": "bytes of each TCP stream direction reassembled (0: no limit)",
    "stream.reassembly.memcap": "memory for TCP stream segments of all flows",
    "stream.reassembly.toserver-chunk-size": "ACKed client data inspected at once",
    "stream.reassembly.toclient-chunk-size": "ACKed server data inspected at once",
    "threshold-file": "threshold.config for global thresholds and suppressions",
    "classification-file": "classification.config for categories and severities",
    "action-order": "order in which rule actions are evaluated",
    "decoder.vxlan.enabled": "decode VXLAN tunnels",
    "decoder.vxlan.ports": "UDP ports of VXLAN",
    "decoder.geneve.enabled": "decode Geneve tunnels",
    "decoder.geneve.ports": "UDP ports of Geneve",
    "decoder.teredo.enabled": "decode Teredo tunnels",
    "decoder.teredo.ports": "UDP ports of Teredo",
    "decoder.max-layers": "most decoding layers (tunnels) per packet",
    "stream.midstream-policy": "exception policy for sessions picked up midstream",
    "exception-policy": "exception policy master switch (midstream pick-ups today)",
}
# prefixes of keys that cannot change which alerts fire
NO_DETECTION_EFFECT = (
    "outputs", "stats", "logging", "reference-config-file", "default-log-dir", "pid-file", "unix-command",
    "runmode", "max-pending-packets", "profiling", "plugins", "security", "sensor-name", "pcap-file.buffer-size",
    "detect.profiling", "engine-analysis", "run-as", "coredump", "threading", "vlan.use-for-tracking",
    "app-layer.protocols.http.libhtp.default-config.swf-decompression", "flow.hash-size", "flow.prealloc",
    "flow.memcap", "defrag.memcap", "stream.memcap", "host.", "ippair.",
    "stream.reassembly.randomize-chunk-size", "stream.reassembly.randomize-chunk-range",
    "default-rule-path", "rule-files", "capture", "pcap", "af-packet", "magic-file", "legacy",
    "decoder.erspan.typeI.enabled",
)


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("yes", "true", "on", "1", "enabled")


@dataclass
class Settings:
    """The detection-relevant settings and the warnings about unsupported keys."""

    midstream: bool = False
    async_oneside: bool = False
    warnings: list[str] = field(default_factory=list)


def apply_sets(config: SuricataConfig, sets: list[str]) -> Settings:
    """Read honoured keys from the merged config; warn about `--set` keys we cannot honour."""
    settings = Settings(
        midstream=_truthy(config.get("stream.midstream", False)),
        async_oneside=_truthy(config.get("stream.async-oneside", False)),
    )
    for item in sets:
        key = item.partition("=")[0].strip()
        if key in HONOURED:
            continue
        if any(key == p or key.startswith(p if p.endswith(".") else p + ".") for p in NO_DETECTION_EFFECT):
            continue
        settings.warnings.append(f"--set {key}: not supported yet; detection may differ from Suricata's")
    return settings
