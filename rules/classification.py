"""classification.config: classtype name -> (description, priority).

Load-time only. The sensor reads the table once, so a rule's `classtype:` supplies
its default priority and the EVE `alert.category` text. Line format:
`config classification: shortname,description,priority` (the description may hold
commas; the last comma separates the priority). `load_default()` reads the table
shipped in `rules/builtin/classification.config`. Errors carry file:line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from importlib import resources

from rules.errors import RuleError

_LINE_RE = re.compile(
    r"config\s+classification\s*:\s*([A-Za-z0-9][A-Za-z0-9_\-]*)\s*,\s*(.+?)\s*,\s*(\d+)\s*\Z"
)


def parse_classification(lines: Iterable[str], *, file: str = "") -> dict[str, tuple[str, int]]:
    """Parse classification.config lines; a later duplicate name replaces an earlier one.

    Raises `RuleError` (keyword "classification") naming file:line for a bad line.
    """
    table: dict[str, tuple[str, int]] = {}
    for lineno, raw in enumerate(lines, 1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        m = _LINE_RE.match(text)
        if m is None:
            raise RuleError(
                "expected 'config classification: name,description,priority'",
                file=file,
                line=lineno,
                keyword="classification",
            )
        table[m.group(1)] = (m.group(2), int(m.group(3)))
    return table


def load_classification(path: str) -> dict[str, tuple[str, int]]:
    """Read a classification.config file."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        return parse_classification(fh, file=path)


def load_default() -> dict[str, tuple[str, int]]:
    """The classification table shipped with Pehredar: name -> (description, priority)."""
    resource = resources.files("rules").joinpath("builtin/classification.config")
    text = resource.read_text(encoding="utf-8")
    return parse_classification(text.splitlines(), file="rules/builtin/classification.config")


load_default_classification = load_default  # the name `sensor.ruleset` imports
