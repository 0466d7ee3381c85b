"""Parser: Suricata rule text -> `rules.model.Rule` AST.

Load-time only (before step 1 of the data flow; the packet loop never parses).
`parse_rule` parses one rule (or one commented-out rule, `enabled=False`);
`parse_file` / `parse_lines` walk a rules file with comments, blank lines and
backslash continuations and *yield* `RuleError`s instead of stopping, so every
problem of a file is reported. Addresses and ports are validated here but kept as
written (variables unresolved); `rules.vars` resolves them. Keyword meanings are
not checked here: that is `sensor.detect.build`'s job.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

from rules.content import unquote
from rules.errors import RuleError
from rules.lexer import split_header, split_options, split_rule
from rules.model import AddressSpec, Header, Option, PortSpec, Rule

ACTIONS = frozenset({"alert", "pass", "drop", "reject", "rejectsrc", "rejectdst", "rejectboth", "config"})
DIRECTIONS = frozenset({"->", "<>", "=>"})

_PROTO_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*(?::[A-Za-z0-9_.\-]+)?\Z")
_VAR_RE = re.compile(r"[A-Za-z0-9_]+\Z")
_IPV4_RE = re.compile(r"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\Z")
_DIGITS_RE = re.compile(r"\d+\Z")
_ACTION_START_RE = re.compile(r"([a-z]+)[ \t]")
_SID_GUESS_RE = re.compile(r"(?:^|[;(\s])sid\s*:\s*\"?\s*(\d+)")
_WS = " \t\r\n"

_V4_MAX = (1 << 32) - 1
_V6_MAX = (1 << 128) - 1
_PORT_MAX = 65535


# --------------------------------------------------------------------------- rules


def parse_rule(text: str, *, file: str = "", line: int = 0) -> Rule:
    """Parse one rule. A leading `#` marks a commented-out rule (`enabled=False`).

    Raises `RuleError` carrying file, line, the sid (when it can be read) and keyword.
    """
    body = text.strip(_WS)
    enabled = not body.startswith("#")
    if not enabled:
        body = body.lstrip("#" + _WS)
    try:
        return _build_rule(body, enabled, file, line)
    except RuleError as exc:
        raise exc.with_context(file=file, line=line, sid=_guess_sid(body)) from None


def parse_file(path: str) -> Iterator[Rule | RuleError]:
    """Yield every rule of a rules file (commented-out ones with `enabled=False`) and a
    `RuleError` for every line that is not a valid rule, in file order."""
    with open(path, encoding="utf-8", errors="surrogateescape") as fh:
        yield from parse_lines(fh, file=path)


def parse_lines(lines: Iterable[str], *, file: str = "") -> Iterator[Rule | RuleError]:
    """Like `parse_file`, for lines already in memory.

    Blank lines and comments are skipped. A `#` line whose text parses as a rule is
    yielded as a disabled rule; otherwise it is just a comment. A line ending in `\\`
    continues on the next line; the rule's line number is its first line's.
    """
    pending: list[str] = []
    first = 0
    for lineno, raw in enumerate(lines, 1):
        text = raw.rstrip("\r\n")
        trimmed = text.rstrip(_WS)
        if pending:
            if trimmed.endswith("\\"):
                pending.append(trimmed[:-1])
                continue
            pending.append(text)
            text = "".join(pending)
            pending = []
            start = first
        else:
            stripped = trimmed.lstrip(_WS)
            if not stripped:
                continue
            if stripped[0] == "#":
                disabled = _commented_rule(stripped, file, lineno)
                if disabled is not None:
                    yield disabled
                continue
            if trimmed[0] in " \t" and not _starts_with_action(stripped):
                # Suricata skips indented lines; we also load indented rules, but an
                # indented fragment (say, the tail of a commented-out rule) stays ignored.
                continue
            if trimmed.endswith("\\"):
                pending = [trimmed[:-1]]
                first = lineno
                continue
            start = lineno
        yield _rule_or_error(text, file, start)
    if pending:
        yield _rule_or_error("".join(pending), file, first)


def _rule_or_error(text: str, file: str, line: int) -> Rule | RuleError:
    try:
        return parse_rule(text, file=file, line=line)
    except RuleError as exc:
        return exc


def _commented_rule(text: str, file: str, line: int) -> Rule | None:
    """A `# alert ...` line is a disabled rule when it parses; anything else is a comment."""
    if not _starts_with_action(text.lstrip("#" + _WS)):
        return None
    try:
        return parse_rule(text, file=file, line=line)
    except RuleError:
        return None


def _starts_with_action(text: str) -> bool:
    m = _ACTION_START_RE.match(text)
    return m is not None and m.group(1) in ACTIONS


def _guess_sid(text: str) -> int | None:
    m = _SID_GUESS_RE.search(text)
    sid = int(m.group(1)) if m else 0
    return sid if 0 < sid <= 0xFFFFFFFF else None


def _build_rule(text: str, enabled: bool, file: str, line: int) -> Rule:
    header_text, body = split_rule(text)
    tokens = split_header(header_text)
    if not tokens:
        raise RuleError("empty rule header", keyword="action")
    action = tokens[0]
    if action not in ACTIONS:
        raise RuleError(f"unknown action {action!r}", keyword="action")
    if len(tokens) != 7:
        raise RuleError(
            f"bad header: expected 'action proto src sport direction dst dport', got {len(tokens)} fields",
            keyword="header",
        )
    header = _parse_header(tokens[1], tokens[2], tokens[3], tokens[4], tokens[5], tokens[6])
    options = tuple([_option(name, value) for name, value in split_options(body)])

    sid: int | None = None
    rev: int | None = None
    gid: int | None = None
    msg: str | None = None
    classtype: str | None = None
    priority: int | None = None
    for opt in options:
        name = opt.name
        if name == "sid":
            _no_duplicate(sid, name)
            sid = _int_option(opt, minimum=1)
        elif name == "rev":
            _no_duplicate(rev, name)
            rev = _int_option(opt, minimum=0)
        elif name == "gid":
            _no_duplicate(gid, name)
            gid = _int_option(opt, minimum=0)
        elif name == "msg":
            _no_duplicate(msg, name)
            msg = unquote(_required_value(opt))
        elif name == "classtype":
            _no_duplicate(classtype, name)
            classtype = _required_value(opt)
        elif name == "priority":
            _no_duplicate(priority, name)
            priority = _int_option(opt, minimum=1)
    if sid is None:
        raise RuleError("rule has no sid", keyword="sid")
    return Rule(
        action=action,
        header=header,
        options=options,
        sid=sid,
        rev=0 if rev is None else rev,
        gid=1 if gid is None else gid,
        msg=msg or "",
        classtype=classtype,
        priority=priority,
        enabled=enabled,
        file=file,
        line=line,
        raw=text,
    )


def _no_duplicate(seen: object, name: str) -> None:
    if seen is not None:
        raise RuleError(f"duplicate {name!r} keyword", keyword=name)


def _required_value(opt: Option) -> str:
    if not opt.value:
        raise RuleError(f"{opt.name!r} needs a value", keyword=opt.name)
    return opt.value


def _int_option(opt: Option, *, minimum: int) -> int:
    text = _required_value(opt)
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        text = text[1:-1].strip(_WS)
    if not _DIGITS_RE.match(text):
        raise RuleError(f"{opt.name} must be an integer, got {opt.value!r}", keyword=opt.name)
    number = int(text)
    if not minimum <= number <= 0xFFFFFFFF:
        raise RuleError(f"{opt.name} {number} out of range {minimum}..4294967295", keyword=opt.name)
    return number


@lru_cache(maxsize=8192)
def _option(name: str, value: str | None) -> Option:
    return Option(name, value)


@lru_cache(maxsize=8192)
def _parse_header(proto: str, src: str, sp: str, direction: str, dst: str, dp: str) -> Header:
    if not _PROTO_RE.match(proto):
        raise RuleError(f"bad protocol {proto!r}", keyword="header")
    if direction not in DIRECTIONS:
        raise RuleError(f"bad direction {direction!r} (expected '->', '<>' or '=>')", keyword="header")
    return Header(
        proto=proto,
        src=parse_address(src),
        sp=parse_port(sp),
        direction=direction,
        dst=parse_address(dst),
        dp=parse_port(dp),
    )


# ----------------------------------------------------------------------- addresses


@lru_cache(maxsize=16384)
def parse_address(text: str) -> AddressSpec:
    """Parse an address expression (`any`, `$VAR`, IP, CIDR, range, `[..]`, `!x`)."""
    return _parse_address(text.strip(_WS), 0)


def _parse_address(text: str, depth: int) -> AddressSpec:
    negated = text.startswith("!")
    if negated:
        text = text[1:].lstrip(_WS)
        if text.startswith("!"):
            raise RuleError("double negation '!!' in address", keyword="header")
    if not text:
        raise RuleError("empty address", keyword="header")
    if text[0] == "[":
        if depth > 32:
            raise RuleError("address groups nested too deeply", keyword="header")
        items = tuple(_parse_address(item, depth + 1) for item in _group_items(text, "address"))
        return AddressSpec("group", items=items, negated=negated)
    if text.lower() == "any":
        if negated:
            raise RuleError("'!any' matches no address", keyword="header")
        return AddressSpec("any")
    if text[0] == "$":
        name = text[1:]
        if not _VAR_RE.match(name):
            raise RuleError(f"bad variable name {text!r}", keyword="header")
        return AddressSpec("var", name, negated=negated)
    address_interval(text)  # validates
    kind = "range" if "-" in text else "ip"
    return AddressSpec(kind, text, negated=negated)


def address_interval(text: str) -> tuple[int, int, int]:
    """Convert an IP, CIDR (`/len` or `/netmask`) or `a-b` range into (version, lo, hi)."""
    if "-" in text:
        left, _, right = text.partition("-")
        v1, lo, _ = _cidr(left.strip(_WS))
        v2, _, hi = _cidr(right.strip(_WS))
        if v1 != v2:
            raise RuleError(f"address range {text!r} mixes IPv4 and IPv6", keyword="header")
        if lo > hi:
            raise RuleError(f"address range {text!r} is reversed", keyword="header")
        return v1, lo, hi
    return _cidr(text)


def _cidr(text: str) -> tuple[int, int, int]:
    addr, slash, mask = text.partition("/")
    version, value = _ip(addr, text)
    bits = 32 if version == 4 else 128
    if not slash:
        return version, value, value
    if _DIGITS_RE.match(mask):
        prefix = int(mask)
    elif version == 4 and _IPV4_RE.match(mask):
        netmask = _ip(mask, text)[1]
        prefix = netmask.bit_count()
        if netmask != ((1 << 32) - 1) ^ ((1 << (32 - prefix)) - 1):
            raise RuleError(f"non-contiguous netmask in {text!r}", keyword="header")
    else:
        raise RuleError(f"bad netmask in address {text!r}", keyword="header")
    if prefix > bits:
        raise RuleError(f"prefix length {prefix} too long in {text!r}", keyword="header")
    host = (1 << (bits - prefix)) - 1
    lo = value & ~host
    return version, lo, lo | host


def _ip(text: str, whole: str) -> tuple[int, int]:
    m = _IPV4_RE.match(text)
    if m:
        octets = [int(g) for g in m.groups()]
        if max(octets) > 255:
            raise RuleError(f"bad IPv4 address {whole!r}", keyword="header")
        return 4, (octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]
    if ":" in text:
        try:
            return 6, int(ipaddress.IPv6Address(text))
        except ValueError:
            pass
    raise RuleError(f"bad address {whole!r}", keyword="header")


# --------------------------------------------------------------------------- ports


@lru_cache(maxsize=8192)
def parse_port(text: str) -> PortSpec:
    """Parse a port expression (`any`, `$VAR`, `n`, `lo:hi`, `:hi`, `lo:`, `[..]`, `!x`)."""
    return _parse_port(text.strip(_WS), 0)


def _parse_port(text: str, depth: int) -> PortSpec:
    negated = text.startswith("!")
    if negated:
        text = text[1:].lstrip(_WS)
        if text.startswith("!"):
            raise RuleError("double negation '!!' in port", keyword="header")
    if not text:
        raise RuleError("empty port", keyword="header")
    if text[0] == "[":
        if depth > 32:
            raise RuleError("port groups nested too deeply", keyword="header")
        items = tuple(_parse_port(item, depth + 1) for item in _group_items(text, "port"))
        return PortSpec("group", items=items, negated=negated)
    if text.lower() == "any":
        if negated:
            raise RuleError("'!any' matches no port", keyword="header")
        return PortSpec("any")
    if text[0] == "$":
        name = text[1:]
        if not _VAR_RE.match(name):
            raise RuleError(f"bad variable name {text!r}", keyword="header")
        return PortSpec("var", name, negated=negated)
    if ":" in text:
        lo_text, _, hi_text = text.partition(":")
        lo_text = lo_text.strip(_WS)
        hi_text = hi_text.strip(_WS)
        if not lo_text and not hi_text:
            raise RuleError(f"bad port range {text!r}", keyword="header")
        lo = _port_number(lo_text, text) if lo_text else 0
        hi = _port_number(hi_text, text) if hi_text else _PORT_MAX
        if lo > hi:
            raise RuleError(f"port range {text!r} is reversed", keyword="header")
        return PortSpec("range", f"{lo_text}:{hi_text}", lo, hi, negated=negated)
    port = _port_number(text, text)
    return PortSpec("port", text, port, port, negated=negated)


def _port_number(text: str, whole: str) -> int:
    if not _DIGITS_RE.match(text):
        raise RuleError(f"bad port {whole!r}", keyword="header")
    number = int(text)
    if number > _PORT_MAX:
        raise RuleError(f"port {number} out of range 0..65535", keyword="header")
    return number


# -------------------------------------------------------------------------- groups


def _group_items(text: str, what: str) -> list[str]:
    """Split `[a, b, [c, d]]` into its top-level items (stripped)."""
    if not text.endswith("]"):
        raise RuleError(f"unterminated {what} group {text!r}", keyword="header")
    inner = text[1:-1]
    if "[" in inner or "]" in inner:
        items: list[str] = []
        depth = 0
        start = 0
        for i, ch in enumerate(inner):
            if ch == "[":
                depth += 1
            elif ch == "]":
                depth -= 1
                if depth < 0:
                    raise RuleError(f"unbalanced ']' in {what} group {text!r}", keyword="header")
            elif ch == "," and depth == 0:
                items.append(inner[start:i])
                start = i + 1
        if depth:
            raise RuleError(f"unbalanced '[' in {what} group {text!r}", keyword="header")
        items.append(inner[start:])
    else:
        items = inner.split(",")
    stripped = [item.strip(_WS) for item in items]
    if not all(stripped):
        raise RuleError(f"empty item in {what} group {text!r}", keyword="header")
    return stripped
