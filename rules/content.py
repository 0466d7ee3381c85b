"""Decoding of content-like option values (`content:"..|0d 0a|..";`) and msg-like strings.

Load-time only: `sensor.detect.keywords.content` (and any keyword whose value is a
Suricata content string: `uricontent`, `replace`, sticky-buffer `content`, ...)
calls `parse_content` once per option while compiling rules, never per packet.
Errors are `ValueError`s whose message is a complete reason; the caller wraps it in
a `RuleError` with the rule's file, line, sid and keyword.
"""

from __future__ import annotations

from rules.lexer import unescape

_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_ESCAPABLE = frozenset('";\\:')
_HEX_SPACES = str.maketrans("", "", " \t")


def parse_content(value: str) -> tuple[bool, bytes]:
    """Decode a content value into (negated, pattern bytes).

    Accepts an optional leading `!`, then a double-quoted string in which `|41 42|`
    sections are hex bytes (spaces ignored) and `\\"`, `\\;`, `\\\\`, `\\:` are escapes.
    Characters outside ASCII are encoded as UTF-8 (or restored from surrogate escapes,
    so rule files read with `errors="surrogateescape"` keep their raw bytes).
    """
    text = value.strip()
    negated = text.startswith("!")
    if negated:
        text = text[1:].lstrip()
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise ValueError("content must be enclosed in double quotes")
    inner = text[1:-1]
    if not inner:
        raise ValueError("content is empty")
    pieces = inner.split("|")
    if len(pieces) % 2 == 0:
        raise ValueError("unterminated hex section: missing closing '|'")
    out = bytearray()
    for index, piece in enumerate(pieces):
        if index % 2:
            out += _decode_hex(piece)
        elif piece:
            out += _decode_text(piece)
    if not out:
        raise ValueError("content is empty")
    return negated, bytes(out)


def _decode_hex(piece: str) -> bytes:
    digits = piece.translate(_HEX_SPACES)
    bad = next((c for c in digits if c not in _HEX_DIGITS), None)
    if bad is not None:
        raise ValueError(f"invalid character {bad!r} in hex section |{piece}|")
    if len(digits) % 2:
        raise ValueError(f"odd number of hex digits in |{piece}|")
    return bytes.fromhex(digits)


def _decode_text(piece: str) -> bytes:
    if "\\" in piece or '"' in piece:
        chars: list[str] = []
        i = 0
        n = len(piece)
        while i < n:
            c = piece[i]
            if c == "\\":
                if i + 1 >= n:
                    raise ValueError("dangling backslash before '|' or the closing quote")
                nxt = piece[i + 1]
                if nxt not in _ESCAPABLE:
                    raise ValueError(f"invalid escape '\\{nxt}' in content (only \\\" \\; \\\\ \\: allowed)")
                chars.append(nxt)
                i += 2
                continue
            if c == '"':
                raise ValueError("unescaped '\"' inside content (write \\\")")
            chars.append(c)
            i += 1
        piece = "".join(chars)
    return piece.encode("utf-8", "surrogateescape")


def unquote(value: str) -> str:
    """Turn a msg-like value into its text: strip surrounding quotes, then remove escapes."""
    text = value.strip()
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        text = text[1:-1]
    return unescape(text)
