"""Unit tests for rules.classification: parsing lines, errors, the shipped default table."""

from __future__ import annotations

from pathlib import Path

import pytest

from rules import RuleError, load_classification, parse_classification
from rules.classification import load_default, load_default_classification

STANDARD_PRIORITIES = {
    "not-suspicious": 3, "unknown": 3, "bad-unknown": 2, "attempted-recon": 2,
    "successful-recon-limited": 2, "successful-recon-largescale": 2, "attempted-dos": 2,
    "successful-dos": 2, "attempted-user": 1, "unsuccessful-user": 1, "successful-user": 1,
    "attempted-admin": 1, "successful-admin": 1, "rpc-portmap-decode": 2, "shellcode-detect": 1,
    "string-detect": 3, "suspicious-filename-detect": 2, "suspicious-login": 2,
    "system-call-detect": 2, "tcp-connection": 4, "trojan-activity": 1,
    "unusual-client-port-connection": 2, "network-scan": 3, "denial-of-service": 2,
    "non-standard-protocol": 2, "protocol-command-decode": 3, "web-application-activity": 2,
    "web-application-attack": 1, "misc-activity": 3, "misc-attack": 2, "icmp-event": 3,
    "inappropriate-content": 1, "policy-violation": 1, "default-login-attempt": 2,
    "targeted-activity": 1, "exploit-kit": 1, "external-ip-check": 2, "domain-c2": 1,
    "pup-activity": 2, "credential-theft": 1, "social-engineering": 2, "coin-mining": 2,
    "command-and-control": 1,
}  # fmt: skip


def test_parse_lines() -> None:
    table = parse_classification(
        [
            "# comment",
            "",
            "config classification: attempted-admin,Attempted Administrator Privilege Gain,1",
            "config classification:bad-unknown, Potentially Bad Traffic, 2 ",
            "config classification: odd,Has, commas, inside,3",
            "config classification: attempted-admin,Replaced,2",
        ]
    )
    assert table == {
        "attempted-admin": ("Replaced", 2),
        "bad-unknown": ("Potentially Bad Traffic", 2),
        "odd": ("Has, commas, inside", 3),
    }


@pytest.mark.parametrize(
    "line",
    ["config classification: x,y", "config classification: x,y,high", "classification: x,y,1", "junk"],
)
def test_bad_line_names_file_and_line(line: str) -> None:
    with pytest.raises(RuleError) as info:
        parse_classification(["# ok", line], file="c.config")
    assert str(info.value).startswith("c.config:2 keyword=classification: ")


def test_default_table_covers_the_standard_classtypes() -> None:
    table = load_default()
    assert {name: prio for name, (_desc, prio) in table.items()} == STANDARD_PRIORITIES
    assert table["attempted-admin"] == ("Attempted Administrator Privilege Gain", 1)
    assert load_default_classification() == table


def test_load_classification_file(tmp_path: Path) -> None:
    path = tmp_path / "classification.config"
    path.write_text("config classification: a,Alpha,1\n")
    assert load_classification(str(path)) == {"a": ("Alpha", 1)}
