"""Runs one suricata-verify case through `pehredar sensor replay`, in-process.

A case (from ../shared/corpus/suricata-verify/manifest.json) gives the pcap,
rules, optional suricata.yaml and Suricata's own command-line arguments
(`${TEST_DIR}` stands for the case directory). The result is the number of
alerts per sid, compared by the corpus test with what Suricata 8.0.8 produced.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from pehredar.cli import main

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "suricata-verify"
MANIFEST = CORPUS / "manifest.json"


def load_cases() -> list[dict[str, Any]]:
    if not MANIFEST.exists():
        return []
    return list(json.loads(MANIFEST.read_text())["tests"])


def case_arguments(case: dict[str, Any]) -> list[str]:
    """Suricata's arguments for the case, with ${TEST_DIR} expanded; a trailing BPF becomes --bpf."""
    test_dir = str(CORPUS / case["dir"])
    words: list[str] = []
    for arg in case.get("args") or []:
        words.extend(shlex.split(arg.replace("${TEST_DIR}", test_dir)))
    out: list[str] = []
    i = 0
    takes_value = {"-k", "--set", "--runmode", "--data-dir"}
    while i < len(words):
        w = words[i]
        if w in takes_value and i + 1 < len(words):
            out += [w, words[i + 1]]
            i += 2
        elif w.startswith("-"):
            out.append(w)
            i += 1
        else:
            out += ["--bpf", " ".join(words[i:])]
            break
    if case.get("ips_mode") and "--simulate-ips" not in out:
        out.append("--simulate-ips")
    return out


def run_case(case: dict[str, Any]) -> tuple[Counter[int], str]:
    """Replay the case; returns (alerts per sid, stderr text)."""
    test_dir = CORPUS / case["dir"]
    with tempfile.TemporaryDirectory() as tmp:
        eve = os.path.join(tmp, "eve.json")
        argv = ["sensor", "replay", str(CORPUS / case["pcap"]), "--rules", str(CORPUS / case["rules"]), "--eve", eve]
        if case.get("suricata_yaml"):
            argv += ["--suricata-config", str(CORPUS / case["suricata_yaml"])]
        argv += case_arguments(case)
        cwd = os.getcwd()
        os.chdir(test_dir)
        try:
            result = CliRunner().invoke(main, argv, catch_exceptions=True)
        finally:
            os.chdir(cwd)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        counts: Counter[int] = Counter()
        if os.path.exists(eve):
            with open(eve, encoding="utf-8") as fh:
                for line in fh:
                    rec = json.loads(line)
                    if rec.get("event_type") == "alert":
                        counts[rec["alert"]["signature_id"]] += 1
        return counts, (result.output or "") + f"\nexit={result.exit_code}"


def expected_counts(case: dict[str, Any]) -> Counter[int]:
    return Counter({int(k): v for k, v in case["peer"]["observed_alerts_per_sid"].items() if v})


# keywords and header protocols the engine core matches without app-layer parsing
PACKET_KEYWORDS = frozenset(
    ["content", "nocase", "depth", "offset", "distance", "within", "startswith", "endswith", "fast_pattern", "rawbytes", "pcre", "isdataat", "dsize", "bsize", "byte_test", "byte_jump", "byte_extract", "byte_math", "flow", "flowbits", "flowint", "flags", "ttl", "ip_proto", "id", "tos", "window", "itype", "icode", "icmp_id", "icmp_seq", "sameip", "decode-event", "threshold", "detection_filter", "msg", "sid", "rev", "gid", "classtype", "priority", "reference", "metadata", "target", "noalert", "tag", "prefilter", "ack", "seq", "tcp.flags"]
)
PACKET_PROTOCOLS = frozenset(["ip", "tcp", "udp", "icmp", "icmpv6", "pkthdr", "tcp-pkt", "tcp-stream", "IP", "ipv4", "ipv6"])


# pcre modifiers that select an HTTP buffer (U is http.uri, H http.header, ...): app-layer, not packet
HTTP_PCRE_FLAGS = frozenset("UIPQHDMCSYVWZ")
_PCRE = re.compile(r'pcre\s*:\s*"?!?"?/.*?/([A-Za-z]*)"?\s*;')


def is_packet_level(case: dict[str, Any]) -> bool:
    """True when the case's rules use only packet-level keywords and protocols.

    The manifest lists keywords by name; two uses hide app-layer inspection behind packet-level
    names: a pcre with an HTTP buffer modifier, and firewall-mode rule files (which the manifest's
    test.rules does not include) with their app-layer hooks.
    """
    if not (set(case["keywords"]) <= PACKET_KEYWORDS and set(case["rule_protocols"] or []) <= PACKET_PROTOCOLS):
        return False
    rules = CORPUS / case["rules"] if case.get("rules") else None
    if rules is not None and rules.exists():
        for flags in _PCRE.findall(rules.read_text(errors="replace")):
            if set(flags) & HTTP_PCRE_FLAGS:
                return False
    return not any("firewall.rule-files" in arg for arg in case.get("args") or [])
