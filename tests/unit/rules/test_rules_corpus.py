"""Corpus tests: every ET Open rule and every suricata-verify rules file parses, resolves and
round-trips; every suricata-verify suricata.yaml loads. Skipped when ../shared/corpus is absent."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from rules import (
    Rule,
    RuleError,
    VarTable,
    format_rule,
    parse_content,
    parse_file,
    parse_rule,
    resolve_addresses,
    resolve_ports,
)
from sensor.suricata_yaml import load_suricata_yaml

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus"
ET_RULES = sorted((CORPUS / "et-open" / "rules").glob("*.rules"))
VERIFY = CORPUS / "suricata-verify"
MANIFEST = VERIFY / "manifest.json"

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not ET_RULES or not MANIFEST.exists(), reason="../shared/corpus not present"),
]

ET_ACTIVE_RULES = 24827
ET_COMMENTED_RULES = 6579


@pytest.fixture(scope="module")
def et_parsed() -> list[Rule | RuleError]:
    return [item for path in ET_RULES for item in parse_file(str(path))]


def verify_cases() -> list[dict[str, Any]]:
    return list(json.loads(MANIFEST.read_text())["tests"]) if MANIFEST.exists() else []


def test_et_open_parses_without_errors(et_parsed: list[Rule | RuleError]) -> None:
    items = et_parsed
    errors = [str(i) for i in items if isinstance(i, RuleError)]
    assert errors == []
    counts = Counter(i.enabled for i in items if isinstance(i, Rule))
    assert counts[True] == ET_ACTIVE_RULES
    assert counts[False] == ET_COMMENTED_RULES


def test_et_open_format_is_a_fixed_point(et_parsed: list[Rule | RuleError]) -> None:
    for item in et_parsed:
        assert isinstance(item, Rule)
        text = format_rule(item)
        again = parse_rule(text)
        assert again == item, text
        assert format_rule(again) == text


def test_et_open_headers_resolve_and_contents_decode(et_parsed: list[Rule | RuleError]) -> None:
    table = VarTable.defaults()
    for item in et_parsed:
        assert isinstance(item, Rule) and item.header is not None
        header = item.header
        resolve_addresses(header.src, table, rule=item)
        resolve_addresses(header.dst, table, rule=item)
        resolve_ports(header.sp, table, rule=item)
        resolve_ports(header.dp, table, rule=item)
        for opt in item.options:
            if opt.name in ("content", "uricontent") and opt.value is not None:
                parse_content(opt.value)


def test_suricata_verify_rules_parse_and_resolve() -> None:
    failures: list[str] = []
    for case in verify_cases():
        yaml_path = case.get("suricata_yaml")
        table = load_suricata_yaml(str(VERIFY / yaml_path) if yaml_path else None, []).vars()
        for item in parse_file(str(VERIFY / case["rules"])):
            if isinstance(item, RuleError):
                failures.append(str(item))
                continue
            if not item.enabled or item.header is None:
                continue
            try:
                resolve_addresses(item.header.src, table, rule=item)
                resolve_addresses(item.header.dst, table, rule=item)
                resolve_ports(item.header.sp, table, rule=item)
                resolve_ports(item.header.dp, table, rule=item)
            except RuleError as exc:
                failures.append(str(exc))
            assert parse_rule(format_rule(item)) == item
    assert failures == []


def test_every_suricata_verify_yaml_loads() -> None:
    paths = sorted(VERIFY.glob("tests/**/suricata.yaml"))
    assert paths
    for path in paths:
        config = load_suricata_yaml(str(path), ["outputs.0.fast.enabled=no"])
        config.vars()
        assert isinstance(config.data, dict)
