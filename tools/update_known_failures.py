"""Rewrite tests/corpus/known_failures.toml from a fresh run of every suricata-verify case.

    .venv/bin/python tools/update_known_failures.py

A failing case keeps a reason written by hand; other reasons are derived afresh
from what did not load (the unsupported keywords or protocols of
its rules, from this engine's own report), or, when every rule loaded, the alert
difference for a person to explain. Passing cases leave the list.
"""

from __future__ import annotations

import sys
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "corpus"))

from corpus_report import _one
from harness import CORPUS, load_cases

from sensor.ruleset import load_ruleset
from sensor.suricata_yaml import load_suricata_yaml

KNOWN = ROOT / "tests" / "corpus" / "known_failures.toml"
GENERATED = ("unsupported: ", "alerts differ: ", "rules do not load: ")


def unsupported_reason(case: dict[str, Any]) -> str | None:
    yaml = str(CORPUS / case["suricata_yaml"]) if case.get("suricata_yaml") else None
    try:
        loaded = load_ruleset([str(CORPUS / case["rules"])], load_suricata_yaml(yaml, []))
    except Exception as e:  # noqa: BLE001 - any load failure is the reason
        return f"rules do not load: {e}"
    keywords = Counter(p.keyword for p in loaded.report.unsupported)
    if not keywords:
        return None
    reasons = {p.keyword: p.reason for p in loaded.report.unsupported}
    top = [f"{k} ({reasons[k]})" for k, _ in keywords.most_common(3)]
    return "unsupported: " + "; ".join(top)


def main() -> int:
    from concurrent.futures import ProcessPoolExecutor

    old = tomllib.loads(KNOWN.read_text())["cases"] if KNOWN.exists() else {}
    cases = load_cases()
    with ProcessPoolExecutor(2) as ex:
        results = list(ex.map(_one, cases, chunksize=4))
    by_name = {c["name"]: c for c in cases}
    lines = [
        "# suricata-verify cases that do not yet produce Suricata 8.0.8's alerts, each with its reason.",
        "# Written by tools/update_known_failures.py (which keeps reasons written by hand).",
        "# The corpus test fails when a listed case starts passing: remove it then.",
        "",
        "[cases]",
    ]
    for name, ok, got, exp, _ in results:
        if ok:
            continue
        kept = old.get(name, "")
        if kept.startswith(GENERATED):
            kept = ""  # regenerate what this tool wrote; keep what a person wrote
        reason = kept or unsupported_reason(by_name[name]) or f"alerts differ: got {got}, Suricata {exp}"
        lines.append(f'"{name}" = {_toml_string(reason)}')
    KNOWN.write_text("\n".join(lines) + "\n")
    print(f"{sum(1 for r in results if not r[1])} known failures written to {KNOWN}")
    return 0


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


if __name__ == "__main__":
    sys.exit(main())
