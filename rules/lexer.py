"""Lexer for Suricata-format rules: split one rule's text into header and options.

Load-time only (step 0 of the data flow: rules are compiled before the packet loop).
Owns the character-level grammar: the `(`/`)` around the option block, whitespace
splitting of the header (brackets may contain spaces), and option splitting with
escapes (`\\;`, `\\"`, `\\\\`, `\\:`) and quoted strings that may contain `;`.
It knows nothing about keyword meanings; `rules.parse` builds the AST from its tokens.
Errors are `RuleError`s without file/line; the caller adds location and sid.
"""

from __future__ import annotations

import re

from rules.errors import RuleError

# One option: `name;` or `name: value;`. Suricata's own splitting: a value runs to the
# first `;` that is not escaped by a backslash, quotes or not (ET pcre values hold
# unescaped `"` inside character classes, so quote tracking would mis-split them).
_OPTION_RE = re.compile(
    r"""[ \t\r\n]*
    (?P<name>[A-Za-z0-9_.\-]+)
    [ \t\r\n]*
    (?::[ \t\r\n]*+(?P<value>(?:[^;\\]++|\\.)*+))?
    ;""",
    re.VERBOSE | re.DOTALL,
)
# The fallback for values that are quoted strings holding a raw `;` (`msg:"a;b";`):
# a double-quoted string is one unit. Possessive quantifiers keep failures linear.
_QUOTED_OPTION_RE = re.compile(
    r"""[ \t\r\n]*
    (?P<name>[A-Za-z0-9_.\-]+)
    [ \t\r\n]*
    (?::[ \t\r\n]*+(?P<value>(?:[^;\\"]++|\\.|"(?:[^"\\]++|\\.)*+")*+))?
    ;""",
    re.VERBOSE | re.DOTALL,
)
_ESCAPE_RE = re.compile(r"\\(.)", re.DOTALL)
_NAME_RE = re.compile(r"[A-Za-z0-9_.\-]+")
_SPACE_OR_BRACKET_RE = re.compile(r"[\[\]]|\s+")
_WS = " \t\r\n"

OptionToken = tuple[str, str | None]


def split_rule(text: str) -> tuple[str, str]:
    """Split `header (options)` into the header text and the text between the parentheses."""
    open_at = text.find("(")
    if open_at < 0:
        raise RuleError("missing '(' before the rule options", keyword="header")
    close_at = text.rfind(")")
    if close_at < open_at or text[close_at + 1 :].strip(_WS):
        raise RuleError("missing ')' at the end of the rule options", keyword="options")
    return text[:open_at], text[open_at + 1 : close_at]


def split_header(header: str) -> list[str]:
    """Split the header on whitespace that is not inside `[...]` groups."""
    if "[" not in header and "]" not in header:
        return header.split()
    tokens: list[str] = []
    depth = 0
    start = 0
    for m in _SPACE_OR_BRACKET_RE.finditer(header):
        ch = m.group()
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth < 0:
                raise RuleError("unbalanced ']' in rule header", keyword="header")
        elif depth == 0:
            if m.start() > start:
                tokens.append(header[start : m.start()])
            start = m.end()
    if depth:
        raise RuleError("unbalanced '[' in rule header", keyword="header")
    if start < len(header):
        tokens.append(header[start:])
    return tokens


def split_options(body: str) -> list[OptionToken]:
    """Split the option block into (name, raw value or None) pairs, in order.

    Values keep escapes and quotes as written, with surrounding whitespace removed.
    Suricata's splitting (first unescaped `;`) is tried first; when it leaves a
    quoted value unterminated, the block is split again treating `"..."` as a unit,
    so a quoted string may contain a raw `;`.
    """
    options = _split_with(_OPTION_RE, body)
    bad: str | None = None
    if isinstance(options, list):
        bad = next((name for name, value in options if not _well_quoted(value)), None)
        if bad is None:
            return options
    quoted = _split_with(_QUOTED_OPTION_RE, body)
    if isinstance(quoted, list):
        return quoted
    if isinstance(options, RuleError):
        raise options
    raise RuleError("unterminated quoted string in option value", keyword=bad)


def _split_with(pattern: re.Pattern[str], body: str) -> list[OptionToken] | RuleError:
    options: list[OptionToken] = []
    append = options.append
    pos = 0
    for m in pattern.finditer(body):
        if m.start() != pos:
            break
        name, value = m.group("name", "value")
        if value is not None:
            stripped = value.rstrip(_WS)
            if stripped.endswith("\\"):
                stripped = _keep_escaped_whitespace(value, stripped)
            value = stripped
        append((name, value))
        pos = m.end()
    if body[pos:].strip(_WS):
        return _diagnose(body, pos)
    return options


def _well_quoted(value: str | None) -> bool:
    """A value that opens a quote (`"..`, `!"..`) must close it with an unescaped `"`."""
    if not value or (value[0] != '"' and value[0] != "!"):
        return True
    first = 1 if value[0] == "!" else 0
    if value[first : first + 1] != '"':
        return True
    if len(value) < first + 2 or value[-1] != '"':
        return False
    run = len(value) - 1 - len(value[:-1].rstrip("\\"))
    return run % 2 == 0


def _keep_escaped_whitespace(value: str, stripped: str) -> str:
    """`stripped` ends in a backslash: if it escapes the whitespace after it, keep that one."""
    run = len(stripped) - len(stripped.rstrip("\\"))
    return value[: len(stripped) + 1] if run % 2 else stripped


def _diagnose(body: str, pos: int) -> RuleError:
    """Explain why no option could be read at `pos`."""
    rest = body[pos:].lstrip(_WS)
    name_m = _NAME_RE.match(rest)
    if name_m is None:
        words = rest.split(None, 1)
        return RuleError(f"invalid option name at {words[0][:40]!r}", keyword="options")
    name = name_m.group()
    after = rest[name_m.end() :].lstrip(_WS)
    if after and after[0] not in ":;":
        return RuleError(f"expected ':' or ';' after option name, got {after[:20]!r}", keyword=name)
    return RuleError("unterminated option: missing ';'", keyword=name)


def unescape(value: str) -> str:
    """Remove rule-language escapes: `\\X` becomes `X` for any character X."""
    if "\\" not in value:
        return value
    return _ESCAPE_RE.sub(r"\1", value)
