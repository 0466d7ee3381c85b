"""Rule messages for stored alerts: the wire carries (gid, sid, rev), never rule text.

`collector run --rules PATH_OR_GLOB` parses rule files with the stdlib `rules`
package and upserts (gid, sid, rev, msg, category, severity) into the store's
rules table. Category and severity come from the rule's classtype through the
shipped classification.config; a `priority:` option overrides the severity.
Alerts whose sid no loaded rule names show as "sid N" with no message.
"""

from __future__ import annotations

import glob
from collections.abc import Iterable

from collector.errors import RulesLoadError
from collector.store import Store
from rules import Rule, parse_file
from rules.classification import load_default


def expand(patterns: Iterable[str]) -> list[str]:
    """Paths for each path or glob, in order; a pattern that matches nothing is an error."""
    out: list[str] = []
    for pattern in patterns:
        matches = sorted(glob.glob(pattern)) if any(c in pattern for c in "*?[") else [pattern]
        if not matches:
            raise RulesLoadError(f"{pattern}: matches no rules file")
        out.extend(matches)
    return out


def load_rules(store: Store, patterns: Iterable[str]) -> tuple[int, int]:
    """Parse the files and upsert their rules; returns (rules loaded, lines that did not parse)."""
    classification = load_default()
    rows: dict[tuple[int, int], tuple[int, int, int, str, str | None, int | None]] = {}
    errors = 0
    for path in expand(patterns):
        try:
            items = list(parse_file(path))
        except OSError as e:
            raise RulesLoadError(f"{path}: cannot read: {e.strerror}") from None
        for item in items:
            if not isinstance(item, Rule):
                errors += 1
                continue
            category, severity = classification.get(item.classtype or "", (None, None))
            if item.priority is not None:
                severity = item.priority
            rows[(item.gid, item.sid)] = (item.gid, item.sid, item.rev, item.msg, category, severity)
    store.upsert_rules(list(rows.values()))
    return len(rows), errors
