"""Developer report: run every suricata-verify case and compare alerts per sid with Suricata 8.0.8.

    .venv/bin/python tools/corpus_report.py [--failures] [--json OUT] [CASE ...]

Prints the pass count overall and for the cases whose rules use only packet-level
keywords and protocols (the cases the engine core must pass), and with --failures
each failing case with what we produced and what Suricata produced. The pytest
corpus test (tests/corpus) is the gate; this is the quick look while working.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "corpus"))

from harness import expected_counts, is_packet_level, load_cases, run_case


def _one(case: dict[str, Any]) -> tuple[str, bool, Any, Any, str]:
    try:
        got, out = run_case(case)
    except Exception:  # noqa: BLE001 - a crash is a result to report here
        return case["name"], False, None, None, traceback.format_exc()[-800:]
    exp = expected_counts(case)
    return case["name"], dict(got) == dict(exp), dict(got), dict(exp), out[-300:]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cases", nargs="*")
    ap.add_argument("--failures", action="store_true")
    ap.add_argument("--json", dest="json_out")
    args = ap.parse_args()
    cases = load_cases()
    if args.cases:
        cases = [c for c in cases if c["name"] in set(args.cases)]
    with ProcessPoolExecutor(2) as ex:
        results = list(ex.map(_one, cases, chunksize=4))
    packet_level = {c["name"] for c in cases if is_packet_level(c)}
    pkt = [r for r in results if r[0] in packet_level]
    print(f"passed {sum(r[1] for r in results)} of {len(results)}; "
          f"packet-level passed {sum(r[1] for r in pkt)} of {len(pkt)}")
    if args.failures:
        for name, ok, got, exp, out in results:
            if not ok:
                tag = "PKT " if name in packet_level else ""
                print(f"{tag}{name}: got {got} expected {exp}" + (f"\n{out}" if got is None else ""))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
