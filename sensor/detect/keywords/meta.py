"""Meta and buffer keywords whose meaning the builder handles itself.

Declares msg, sid, rev, gid, classtype, priority, reference, metadata, target,
tag, noalert, prefilter, pkt_data and the payload keywords in the registry,
and loads Suricata 8's keyword names (package data) so that a valid keyword we
do not match yet is reported as unsupported, never as a syntax error and
never silently skipped.
"""

from __future__ import annotations

from importlib import resources

from sensor.detect.keywords.registry import declare

for _name, _doc in (
    ("msg", "alert message"),
    ("sid", "signature id"),
    ("rev", "signature revision"),
    ("gid", "generator id (default 1)"),
    ("classtype", "classification (classification.config): category and default severity"),
    ("priority", "severity override, 1 (high) to 255"),
    ("reference", "external reference (accepted, not matched)"),
    ("metadata", "key value pairs copied to alert.metadata"),
    ("target", "src_ip or dest_ip: which side is the target (alert.source / alert.target)"),
    ("tag", "tagging of following packets (accepted; tagged packets are not logged yet)"),
):
    declare(_name, "meta", _doc)
declare("noalert", "meta", "the rule matches (and sets flowbits) but never alerts", needs_value=False)
declare("prefilter", "meta", "use this rule's keyword as its prefilter (a hint; matching is unchanged)", needs_value=False)
declare("threshold", "threshold", "alert thresholding: type limit|threshold|both, track, count, seconds")
declare("detection_filter", "threshold", "alert only after count matches within seconds")
declare("flowbits", "flow", "set/unset/toggle/isset/isnotset/noalert named bits on the flow")
declare("flowint", "flow", "integer variables on the flow: set, add, subtract, compare")
declare("pkt_data", "buffer", "switch content inspection back to the packet payload", needs_value=False)


def _load_suricata_keywords() -> dict[str, str]:
    text = resources.files("sensor.detect.keywords").joinpath("suricata8_keywords.txt").read_text()
    table: dict[str, str] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, features = line.partition(";")
            table[name] = features
    return table


SURICATA_KEYWORDS: dict[str, str] = _load_suricata_keywords()
