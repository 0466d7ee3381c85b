"""Golden test: every suricata-verify case, alerts per sid against what Suricata 8.0.8 produced.

Each case in ../shared/corpus/suricata-verify/manifest.json is replayed with its
own pcap, rules, suricata.yaml and Suricata arguments. A case passes when our
alert count per sid equals `peer.observed_alerts_per_sid`. Cases that need
later work are listed, each with its reason, in known_failures.toml: a listed
case that starts passing fails this test (so the list only shrinks), and so
does any unlisted case that fails.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from harness import expected_counts, load_cases, run_case

KNOWN = tomllib.loads((Path(__file__).parent / "known_failures.toml").read_text())["cases"]
CASES = load_cases()

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not CASES, reason="../shared/corpus/suricata-verify is not present"),
]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case_matches_suricata(case: dict) -> None:
    got, output = run_case(case)
    expected = expected_counts(case)
    listed = KNOWN.get(case["name"])
    if listed is None:
        assert dict(got) == dict(expected), f"alerts per sid differ from Suricata 8.0.8\n{output[-2000:]}"
    else:
        assert dict(got) != dict(expected), (
            f"{case['name']} now matches Suricata: remove it from known_failures.toml (reason was: {listed})"
        )


def test_known_failures_name_real_cases() -> None:
    names = {c["name"] for c in CASES}
    assert not set(KNOWN) - names, f"unknown case names in known_failures.toml: {sorted(set(KNOWN) - names)}"
