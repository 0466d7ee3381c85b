"""threshold.config: global threshold / event_filter, suppress and rate_filter entries.

Load-time only: `sensor.detect.threshold` takes the parsed entries and applies them
in packet time. Lines (a trailing `\\` continues a line, `#` starts a comment):
  threshold|event_filter gen_id G, sig_id S, type limit|threshold|both|backoff,
      track by_src|by_dst|by_rule|by_both|by_flow, count N, seconds T | multiplier M
  suppress gen_id G, sig_id S[, track by_src|by_dst|by_either, ip ADDR|$VAR|[list]]
  rate_filter gen_id G, sig_id S, track ..., count N, seconds T,
      new_action alert|drop|pass|reject, timeout T
gen_id 0 / sig_id 0 are wildcards; bad lines become `RuleError`s with file:line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from rules.errors import RuleError
from rules.parse import parse_address
from rules.vars import AddressMatcher, VarTable, resolve_addresses

THRESHOLD_TYPES = frozenset({"limit", "threshold", "both", "backoff"})
THRESHOLD_TRACKS = frozenset({"by_src", "by_dst", "by_rule", "by_both", "by_flow"})
SUPPRESS_TRACKS = frozenset({"by_src", "by_dst", "by_either"})
# Suricata's parser also takes sdrop and log (and then leaves the action as it is).
RATE_FILTER_ACTIONS = frozenset({"alert", "drop", "pass", "reject", "sdrop", "log"})

_FIELD_RE = re.compile(r"([a-z_]+)\s+(\S.*)\Z", re.DOTALL)
_DIGITS_RE = re.compile(r"\d+\Z")


@dataclass(frozen=True, slots=True)
class ThresholdEntry:
    """One threshold.config line. `kind` is the directive; the fields it does not use are None.

    threshold / event_filter: type, track, count, and seconds (or multiplier for backoff).
    suppress: track and ip together, or neither (then the rule never alerts); `ip` is the
    address expression as written (validated; `resolve_ip` resolves its `$VAR`s).
    rate_filter: track, count, seconds, new_action, timeout.
    """

    kind: str
    gen_id: int
    sig_id: int
    type: str | None = None
    track: str | None = None
    count: int | None = None
    seconds: int | None = None
    new_action: str | None = None
    timeout: int | None = None
    ip: str | None = None
    multiplier: int | None = None
    file: str = field(default="", compare=False)
    line: int = field(default=0, compare=False)

    def applies_to(self, gid: int, sid: int) -> bool:
        """True when this entry covers rule gid:sid (0 is a wildcard for either)."""
        return (self.gen_id == 0 or self.gen_id == gid) and (self.sig_id == 0 or self.sig_id == sid)

    def resolve_ip(self, vars: VarTable) -> AddressMatcher | None:
        """The suppress entry's `ip` resolved against `vars` (None when it has no ip).

        Raises `RuleError` (keyword "ip") naming this entry's file:line and sig_id.
        """
        if self.ip is None:
            return None
        try:
            return resolve_addresses(parse_address(self.ip), vars)
        except RuleError as exc:
            raise RuleError(
                exc.reason, file=self.file, line=self.line, sid=self.sig_id or None, keyword="ip"
            ) from None


@dataclass(slots=True)
class ThresholdConfig:
    """Everything one threshold.config holds, in file order, and the lines that failed."""

    entries: list[ThresholdEntry] = field(default_factory=list)
    errors: list[RuleError] = field(default_factory=list)


def parse_threshold_file(path: str) -> list[ThresholdEntry]:
    """Read a threshold.config file; raise the first bad line's `RuleError` (file:line)."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        config = parse_threshold_config(fh, file=path)
    if config.errors:
        raise config.errors[0]
    return config.entries


def parse_threshold_config(lines: Iterable[str], *, file: str = "") -> ThresholdConfig:
    """Parse all lines; a bad line is recorded in `.errors` and parsing goes on."""
    config = ThresholdConfig()
    pending = ""
    first = 0
    for lineno, raw in enumerate(lines, 1):
        text = raw.rstrip("\r\n").strip()
        if not pending and (not text or text.startswith("#")):
            continue
        if not pending:
            first = lineno
        if text.endswith("\\"):
            pending += text[:-1] + " "
            continue
        text, pending = pending + text, ""
        _parse_into(config, text, file, first)
    if pending:
        _parse_into(config, pending, file, first)
    return config


def _parse_into(config: ThresholdConfig, text: str, file: str, line: int) -> None:
    try:
        directive, _, rest = text.replace("\t", " ").partition(" ")
        fields = _fields(rest)
        if directive in ("threshold", "event_filter"):
            entry = _threshold(directive, fields)
        elif directive == "suppress":
            entry = _suppress(fields)
        elif directive == "rate_filter":
            entry = _rate_filter(fields)
        else:
            raise RuleError(
                f"unknown directive {directive!r} (expected threshold, event_filter, "
                "suppress or rate_filter)",
                keyword=directive,
            )
        config.entries.append(replace(entry, file=file, line=line))
    except RuleError as exc:
        config.errors.append(exc.with_context(file=file, line=line, sid=_sig_id(text)))


def _sig_id(text: str) -> int | None:
    m = re.search(r"sig_id\s+(\d+)", text)
    return int(m.group(1)) if m else None


def _fields(text: str) -> dict[str, str]:
    """`gen_id 1, sig_id 2, ip [a,b]` -> {"gen_id": "1", ...}; commas in [..] are kept."""
    parts: list[str] = []
    depth = 0
    start = 0
    for i, ch in enumerate(text):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    fields: dict[str, str] = {}
    for part in parts:
        m = _FIELD_RE.match(part.strip())
        if m is None:
            raise RuleError(f"expected 'name value', got {part.strip()!r}", keyword="threshold.config")
        name, value = m.group(1), m.group(2).strip()
        if name in fields:
            raise RuleError(f"duplicate field {name!r}", keyword=name)
        fields[name] = value
    return fields


def _check_fields(fields: dict[str, str], required: set[str], optional: set[str]) -> None:
    missing = sorted(required - fields.keys())
    if missing:
        raise RuleError(f"missing field(s): {', '.join(missing)}", keyword=missing[0])
    unknown = sorted(fields.keys() - required - optional)
    if unknown:
        raise RuleError(f"unknown field(s): {', '.join(unknown)}", keyword=unknown[0])


def _int(fields: dict[str, str], name: str) -> int:
    value = fields[name]
    if not _DIGITS_RE.match(value):
        raise RuleError(f"{name} must be a non-negative integer, got {value!r}", keyword=name)
    return int(value)


def _choice(fields: dict[str, str], name: str, allowed: frozenset[str]) -> str:
    value = fields[name]
    if value not in allowed:
        raise RuleError(f"{name} must be one of {', '.join(sorted(allowed))}, got {value!r}", keyword=name)
    return value


def _threshold(directive: str, fields: dict[str, str]) -> ThresholdEntry:
    last = "multiplier" if fields.get("type") == "backoff" else "seconds"
    _check_fields(fields, {"gen_id", "sig_id", "type", "track", "count", last}, set())
    return ThresholdEntry(
        kind=directive,
        gen_id=_int(fields, "gen_id"),
        sig_id=_int(fields, "sig_id"),
        type=_choice(fields, "type", THRESHOLD_TYPES),
        track=_choice(fields, "track", THRESHOLD_TRACKS),
        count=_int(fields, "count"),
        seconds=_int(fields, "seconds") if last == "seconds" else None,
        multiplier=_int(fields, "multiplier") if last == "multiplier" else None,
    )


def _suppress(fields: dict[str, str]) -> ThresholdEntry:
    _check_fields(fields, {"gen_id", "sig_id"}, {"track", "ip"})
    if ("track" in fields) != ("ip" in fields):
        raise RuleError("suppress needs both 'track' and 'ip', or neither", keyword="track")
    if "ip" in fields:
        try:
            parse_address(fields["ip"])
        except RuleError as exc:
            raise RuleError(exc.reason, keyword="ip") from None
    return ThresholdEntry(
        kind="suppress",
        gen_id=_int(fields, "gen_id"),
        sig_id=_int(fields, "sig_id"),
        track=_choice(fields, "track", SUPPRESS_TRACKS) if "track" in fields else None,
        ip=fields.get("ip"),
    )


def _rate_filter(fields: dict[str, str]) -> ThresholdEntry:
    required = {"gen_id", "sig_id", "track", "count", "seconds", "new_action", "timeout"}
    _check_fields(fields, required, set())
    return ThresholdEntry(
        kind="rate_filter",
        gen_id=_int(fields, "gen_id"),
        sig_id=_int(fields, "sig_id"),
        track=_choice(fields, "track", THRESHOLD_TRACKS),
        count=_int(fields, "count"),
        seconds=_int(fields, "seconds"),
        new_action=_choice(fields, "new_action", RATE_FILTER_ACTIONS),
        timeout=_int(fields, "timeout"),
    )
