"""docs/collector.md's refusal table says what collector.refusals.REFUSALS says."""

from __future__ import annotations

import re
from pathlib import Path

from collector.refusals import REFUSALS

DOC = Path(__file__).resolve().parents[3] / "docs" / "collector.md"


def test_refusal_table_matches_the_code() -> None:
    rows = re.findall(r"^\| \d \| (\d{3}) \| (\w+) \|", DOC.read_text(encoding="utf-8"), re.MULTILINE)
    assert sorted((code, int(status)) for status, code in rows) == sorted(
        (k.code, k.status) for k in REFUSALS.values()
    )
