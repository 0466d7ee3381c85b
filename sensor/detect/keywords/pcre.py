"""pcre: parse Suricata's `pcre:"/re/flags"`, translate PCRE2 syntax to Python `re`, build the step.

Step 5 of 10 (detection), payload inspection. Setup parses the value and its
Suricata flags, then translates the PCRE2 (8-bit, non-UTF, Suricata's options)
pattern into an equivalent Python bytes pattern: every atom is emitted explicitly
(dot, anchors, classes, case folding, greediness) so no Python flag semantics leak
in; constructs without an exact equivalent raise UnsupportedRule naming them.
The step (hot path) only calls the compiled pattern: no parsing, no exceptions.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import regex

from sensor.detect.keywords.content import RECURSION_LIMIT, Step
from sensor.errors import RuleCompileError, UnsupportedRule

KW = "pcre"

# Suricata's HTTP buffer flags: flag -> the sticky buffer the pcre then inspects.
PCRE_BUFFER_FLAGS: dict[str, str] = {
    "U": "http.uri",
    "I": "http.uri.raw",
    "P": "http.request_body",
    "Q": "file.data",
    "H": "http.header",
    "D": "http.header.raw",
    "M": "http.method",
    "C": "http.cookie",
    "S": "http.stat_code",
    "Y": "http.stat_msg",
    "V": "http.user_agent",
    "W": "http.host",
    "Z": "http.host.raw",
}
_KNOWN_FLAGS = set("iAEGmsxORB") | set(PCRE_BUFFER_FLAGS)
# bound on one pcre evaluation, in the spirit of Suricata's PCRE match limit: Python's `re` has
# no step limit, so matching runs on the `regex` engine (same syntax) with a time limit
MATCH_TIMEOUT_S = 0.01
# pcre evaluations cut off by MATCH_TIMEOUT_S (reported in --stats-json as detect.pcre_match_limit)
COUNTERS = {"pcre_match_limit": 0}
_REGEX_FLAGS = {0: 0, re.IGNORECASE: regex.IGNORECASE}

_CAPTURE_VARS = re.compile(r"[ ,](?:flow|pkt|alert):")

_DIGIT = frozenset(range(0x30, 0x3A))
_UPPER = frozenset(range(0x41, 0x5B))
_LOWER = frozenset(range(0x61, 0x7B))
_ALPHA = _UPPER | _LOWER
_WORD = _DIGIT | _ALPHA | {0x5F}
_SPACE = frozenset({0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20})
_HSPACE = frozenset({0x09, 0x20, 0xA0})
_VSPACE = frozenset({0x0A, 0x0B, 0x0C, 0x0D, 0x85})
_ALL = frozenset(range(256))
_X_SPACE = frozenset({0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85})
_POSIX: dict[str, frozenset[int]] = {
    "alpha": _ALPHA,
    "digit": _DIGIT,
    "alnum": _ALPHA | _DIGIT,
    "space": _SPACE,
    "upper": _UPPER,
    "lower": _LOWER,
    "punct": frozenset(c for c in range(0x21, 0x7F) if c not in _ALPHA and c not in _DIGIT),
    "print": frozenset(range(0x20, 0x7F)),
    "graph": frozenset(range(0x21, 0x7F)),
    "cntrl": frozenset(range(0x20)) | {0x7F},
    "xdigit": _DIGIT | frozenset(b"abcdefABCDEF"),
    "blank": frozenset({0x09, 0x20}),
    "word": _WORD,
    "ascii": frozenset(range(0x80)),
}
_CLASS_ESCAPES: dict[int, frozenset[int]] = {
    ord("d"): _DIGIT,
    ord("D"): _ALL - _DIGIT,
    ord("w"): _WORD,
    ord("W"): _ALL - _WORD,
    ord("s"): _SPACE,
    ord("S"): _ALL - _SPACE,
    ord("h"): _HSPACE,
    ord("H"): _ALL - _HSPACE,
    ord("v"): _VSPACE,
    ord("V"): _ALL - _VSPACE,
}
_CHAR_ESCAPES = {
    ord("a"): 0x07,
    ord("e"): 0x1B,
    ord("f"): 0x0C,
    ord("n"): 0x0A,
    ord("r"): 0x0D,
    ord("t"): 0x09,
}
_UNSUPPORTED_ESCAPES = {
    ord("G"): "\\G (match start anchor)",
    ord("K"): "\\K (reset match start)",
    ord("X"): "\\X (extended grapheme cluster)",
    ord("p"): "\\p{..} (Unicode property)",
    ord("P"): "\\P{..} (Unicode property)",
}
# PCRE2 10.43+ (the reference Suricata's 10.45): {n} {n,} {n,m} {,m}, spaces/tabs allowed inside.
_QUANT = re.compile(rb"\{[ \t]*(\d*)[ \t]*(?:(,)[ \t]*(\d*)[ \t]*)?\}")
_BRACED = re.compile(rb"\{[ \t]*([0-9A-Za-z]*)[ \t]*\}")
_NAME = re.compile(rb"[A-Za-z_][A-Za-z0-9_]{0,31}")
_POSIX_RE = re.compile(rb"\[:(\^?)([a-z]+):\]")
_I, _M, _S, _X, _U, _N, _XX = 1, 2, 4, 8, 16, 32, 64  # _N: no auto capture, _XX: (?xx)
_FLAG_BITS = {ord("i"): _I, ord("m"): _M, ord("s"): _S, ord("x"): _X, ord("U"): _U, ord("n"): _N}


class _NeedAutoCapture(Exception):
    """PCRE2 error 115 under NO_AUTO_CAPTURE: Suricata recompiles with capturing groups."""


class _CaseVaries(Exception):
    """The caseless option changes inside the pattern: redo with explicit case folding."""


@dataclass(slots=True)
class _Atom:
    text: str
    quantified: bool = False
    assertion: str = ""  # "simple" (^ $ \b ...: not repeatable) or "look" (a lookaround group)


@dataclass(slots=True)
class _Frame:
    kind: str  # "root", "group", "look", "lookbehind", "cond"
    prefix: str
    flags: int
    alts: list[list[_Atom]]
    negative: bool = False


def _hex(c: int) -> str:
    return f"\\x{c:02x}"


def _emit_set(members: set[int] | frozenset[int]) -> str:
    if len(members) == 256:
        return "[\\x00-\\xff]"
    if not members:
        return "[^\\x00-\\xff]"
    parts: list[str] = []
    items = sorted(members)
    i = 0
    while i < len(items):
        j = i
        while j + 1 < len(items) and items[j + 1] == items[j] + 1:
            j += 1
        parts.append(_hex(items[i]) if i == j else f"{_hex(items[i])}-{_hex(items[j])}")
        i = j + 1
    return "[" + "".join(parts) + "]"


def _fold(members: set[int]) -> None:
    for c in list(members):
        if c in _ALPHA:
            members.add(c ^ 0x20)


class _Translator:
    """One pass over a PCRE2 pattern (bytes) producing Python `re` source text."""

    def __init__(
        self, src: bytes, flags: int, dollar_endonly: bool, auto_capture: bool, explicit_case: bool
    ) -> None:
        self.src = src
        self.pos = 0
        self.dollar_endonly = dollar_endonly
        self.auto_capture = auto_capture
        self.explicit_case = explicit_case
        self.initial_caseless = bool(flags & _I)
        self.frames = [_Frame("root", "", flags if auto_capture else flags | _N, [[]])]
        self.groups = 0
        self.names: set[str] = set()
        self.numeric_refs: list[int] = []
        self.needs_slice = False

    # -- helpers -----------------------------------------------------------------
    def _err(self, reason: str) -> RuleCompileError:
        return RuleCompileError(KW, f"{reason} at offset {self.pos}")

    def _unsupported(self, construct: str) -> UnsupportedRule:
        return UnsupportedRule(KW, f"PCRE construct {construct} has no Python re equivalent")

    @property
    def flags(self) -> int:
        return self.frames[-1].flags

    def _add(self, text: str, assertion: str = "") -> None:
        self.frames[-1].alts[-1].append(_Atom(text, assertion=assertion))

    def _literal(self, c: int) -> None:
        if self.flags & _I and c in _ALPHA and self.explicit_case:
            self._add(_emit_set({c, c ^ 0x20}))
        elif 0x30 <= c <= 0x39 or c in _ALPHA or c == 0x5F:
            self._add(chr(c))
        else:
            self._add(_hex(c))

    def _set(self, members: frozenset[int] | set[int]) -> None:
        m = set(members)
        if self.flags & _I:
            _fold(m)
        self._add(_emit_set(m))

    def _peek(self, k: int = 0) -> int:
        p = self.pos + k
        return self.src[p] if p < len(self.src) else -1

    # -- driver ------------------------------------------------------------------
    def translate(self) -> str:
        src = self.src
        n = len(src)
        while self.pos < n:
            c = src[self.pos]
            if self.flags & _X:
                if c in _X_SPACE:
                    self.pos += 1
                    continue
                if c == 0x23:  # '#': comment to end of line
                    nl = src.find(b"\n", self.pos)
                    self.pos = n if nl < 0 else nl + 1
                    continue
            if c == 0x5C:
                self._escape()
            elif c == 0x5B:
                self._class()
            elif c == 0x28:
                self._open()
            elif c == 0x29:
                self._close()
            elif c == 0x7C:
                self.frames[-1].alts.append([])
                self.pos += 1
            elif c in b"*+?":
                self.pos += 1
                self._quantify(chr(c))
            elif c == 0x7B and (m := _QUANT.match(src, self.pos)) and (m.group(1) or m.group(3)):
                lo = int(m.group(1) or b"0")
                hi = None if m.group(2) and not m.group(3) else int(m.group(3) or m.group(1))
                if lo > 65535 or (hi is not None and (hi > 65535 or hi < lo)):
                    raise self._err("invalid quantifier range")
                self.pos = m.end()
                self._quantify(f"{{{lo},{'' if hi is None else hi}}}")
            elif c == 0x5E:  # ^
                self.pos += 1
                self.needs_slice = True
                self._add("(?:^|(?<=\\n)(?!\\Z))" if self.flags & _M else "^", assertion="simple")
            elif c == 0x24:  # $
                self.pos += 1
                if self.flags & _M:
                    self._add("(?=\\n|\\Z)", assertion="simple")
                else:
                    self._add("\\Z" if self.dollar_endonly else "(?=\\n?\\Z)", assertion="simple")
            elif c == 0x2E:  # .
                self.pos += 1
                self._add("[\\x00-\\xff]" if self.flags & _S else "[^\\n]")
            else:
                self.pos += 1
                self._literal(c)
        if len(self.frames) != 1:
            raise self._err("missing closing parenthesis")
        for ref in self.numeric_refs:
            if not 1 <= ref <= self.groups:
                if not self.auto_capture:
                    raise _NeedAutoCapture()
                raise RuleCompileError(KW, f"reference to non-existent subpattern {ref}")
        return "|".join("".join(a.text for a in alt) for alt in self.frames[0].alts)

    # -- quantifiers ---------------------------------------------------------------
    def _quantify(self, q: str) -> None:
        alt = self.frames[-1].alts[-1]
        if not alt:
            raise self._err("quantifier does not follow a repeatable item")
        atom = alt[-1]
        if atom.quantified:
            raise self._err("quantifier follows another quantifier")
        if atom.assertion == "simple":
            raise self._err("quantifier does not follow a repeatable item")
        if atom.assertion:
            raise self._unsupported("quantified lookaround assertion")
        suffix = ""
        nxt = self._peek()
        if nxt == 0x3F:  # ? lazy
            suffix = "?"
            self.pos += 1
        elif nxt == 0x2B:  # + possessive
            suffix = "+"
            self.pos += 1
        if self.flags & _U and suffix != "+":
            suffix = "" if suffix == "?" else "?"
        atom.text += q + suffix
        atom.quantified = True

    # -- escapes outside classes ---------------------------------------------------
    def _escape(self) -> None:
        src = self.src
        if self.pos + 1 >= len(src):
            raise self._err("\\ at end of pattern")
        c = src[self.pos + 1]
        self.pos += 2
        if 0x31 <= c <= 0x39:
            self._digits_escape(c)
        elif c == 0x30:
            self._literal(self._octal(0, 2))
        elif c == ord("x"):
            self._literal(self._hex_escape())
        elif c == ord("o"):
            self._literal(self._braced_octal())
        elif c == ord("c"):
            self._literal(self._control())
        elif c in _CHAR_ESCAPES:
            self._literal(_CHAR_ESCAPES[c])
        elif c in _CLASS_ESCAPES:
            self._set(_CLASS_ESCAPES[c])
        elif c == ord("N"):
            q = _QUANT.match(self.src, self.pos) if self._peek() == 0x7B else None
            if self._peek() == 0x7B and not (q and (q.group(1) or q.group(3))):
                raise self._err("\\N{...} is not supported in non-UTF mode")
            self._add("[^\\n]")
        elif c == ord("C"):
            self._add("[\\x00-\\xff]")
        elif c == ord("R"):
            self._add("(?>\\r\\n|[\\n\\x0b\\x0c\\r\\x85])")
        elif c in (ord("b"), ord("B"), ord("A")):
            self.needs_slice = True
            self._add("\\" + chr(c), assertion="simple")
        elif c == ord("z"):
            self._add("\\Z", assertion="simple")
        elif c == ord("Z"):
            self._add("(?=\\n?\\Z)", assertion="simple")
        elif c == ord("Q"):
            end = src.find(b"\\E", self.pos)
            stop = len(src) if end < 0 else end
            for ch in src[self.pos : stop]:
                self._literal(ch)
            self.pos = len(src) if end < 0 else end + 2
        elif c == ord("E"):
            pass
        elif c == ord("g"):
            self._g_reference()
        elif c == ord("k"):
            self._k_reference()
        elif c in _UNSUPPORTED_ESCAPES:
            raise self._unsupported(_UNSUPPORTED_ESCAPES[c])
        elif c < 0x80 and chr(c).isalpha():
            raise self._err(f"unrecognized escape \\{chr(c)}")
        else:
            self._literal(c)

    def _digits_escape(self, first: int) -> None:
        src = self.src
        start = self.pos - 1
        end = start
        while end < len(src) and 0x30 <= src[end] <= 0x39:
            end += 1
        number = int(src[start:end])
        if number < 10 or first in (0x38, 0x39) or number <= self.groups:
            self.pos = end
            self._backref(number)
            return
        self.pos = start
        self._literal(self._octal(0, 3))

    def _octal(self, value: int, max_digits: int) -> int:
        src = self.src
        for _ in range(max_digits):
            if self.pos < len(src) and 0x30 <= src[self.pos] <= 0x37:
                value = value * 8 + src[self.pos] - 0x30
                self.pos += 1
            else:
                break
        if value > 0xFF:
            raise self._err("octal value greater than \\377 in 8-bit non-UTF mode")
        return value

    def _braced(self, digits_ok: bytes, what: str) -> bytes:
        m = _BRACED.match(self.src, self.pos)
        if not m or not m.group(1) or any(d not in digits_ok for d in m.group(1)):
            raise self._err(f"digits missing or invalid in {what}")
        self.pos = m.end()
        return m.group(1)

    def _braced_octal(self) -> int:
        if self._peek() != 0x7B:
            raise self._err("missing opening brace after \\o")
        value = int(self._braced(b"01234567", "\\o{}"), 8)
        if value > 0xFF:
            raise self._err("character code point value in \\o{} is too large")
        return value

    def _hex_escape(self) -> int:
        src = self.src
        if self._peek() == 0x7B:
            value = int(self._braced(b"0123456789abcdefABCDEF", "\\x{}"), 16)
            if value > 0xFF:
                raise self._err("character code point value in \\x{} is too large")
            return value
        digits = 0
        value = 0
        while digits < 2 and self.pos < len(src) and src[self.pos] in b"0123456789abcdefABCDEF":
            value = value * 16 + int(chr(src[self.pos]), 16)
            self.pos += 1
            digits += 1
        if not digits:
            raise self._err("digits missing after \\x")
        return value

    def _control(self) -> int:
        c = self._peek()
        if c < 0x20 or c > 0x7E:
            raise self._err("\\c must be followed by a printable ASCII character")
        self.pos += 1
        if 0x61 <= c <= 0x7A:
            c -= 0x20
        return c ^ 0x40

    def _backref(self, number: int) -> None:
        self.numeric_refs.append(number)
        self._add(f"(?i:\\{number})" if self.flags & _I and self.explicit_case else f"(?:\\{number})")

    def _named_backref(self, name: str) -> None:
        self._add(f"(?i:(?P={name}))" if self.flags & _I and self.explicit_case else f"(?P={name})")

    def _read_name(self, terminator: int) -> str:
        m = _NAME.match(self.src, self.pos)
        if not m or self._peek(m.end() - self.pos) != terminator:
            raise self._err("invalid group name")
        self.pos = m.end() + 1
        return m.group(0).decode()

    def _g_reference(self) -> None:
        src = self.src
        c = self._peek()
        if c in (0x3C, 0x27):  # \g<..> \g'..' are subroutine calls
            raise self._unsupported("\\g<...> subroutine call")
        braced = c == 0x7B
        if braced:
            self.pos += 1
        m = re.compile(rb"[+-]?\d+").match(src, self.pos)
        if m:
            text = m.group(0)
            self.pos = m.end()
            if braced:
                if self._peek() != 0x7D:
                    raise self._err("\\g{ not terminated")
                self.pos += 1
            if text.startswith(b"+"):
                raise self._unsupported("\\g{+n} forward relative reference")
            number = int(text)
            if number < 0:
                number = self.groups + number + 1
                if number <= 0:
                    if not self.auto_capture:
                        raise _NeedAutoCapture()
                    raise self._err("reference to non-existent subpattern")
            elif number == 0:
                raise self._err("a numbered reference must not be zero")
            self._backref(number)
            return
        if not braced:
            raise self._err("\\g is not followed by a number or a braced name")
        self._named_backref(self._read_name(0x7D))

    def _k_reference(self) -> None:
        c = self._peek()
        closing = {0x3C: 0x3E, 0x27: 0x27, 0x7B: 0x7D}.get(c)
        if closing is None:
            raise self._err("\\k is not followed by a braced, angle-bracketed, or quoted name")
        self.pos += 1
        self._named_backref(self._read_name(closing))

    # -- character classes -----------------------------------------------------------
    def _class(self) -> None:
        src = self.src
        n = len(src)
        self.pos += 1
        if _POSIX_RE.match(src, self.pos - 1):
            raise self._err("POSIX named classes are supported only within a class")
        negate = self._peek() == 0x5E
        if negate:
            self.pos += 1
        members: set[int] = set()
        first = True
        while True:
            if self.pos >= n:
                raise self._err("missing terminating ] for character class")
            c = src[self.pos]
            if self.flags & _XX and c in (0x20, 0x09):
                self.pos += 1
                continue
            if c == 0x5D and not first:
                self.pos += 1
                break
            first = False
            if c == 0x5B and self._peek(1) in (0x3A, 0x2E, 0x3D):
                m = _POSIX_RE.match(src, self.pos)
                if self._peek(1) != 0x3A:
                    raise self._err("POSIX collating elements are not supported")
                if not m:
                    raise self._err("malformed POSIX class")
                name = m.group(2).decode()
                if name not in _POSIX:
                    raise self._err(f"unknown POSIX class name {name!r}")
                self.pos = m.end()
                members |= (_ALL - _POSIX[name]) if m.group(1) else _POSIX[name]
                if self._peek() == 0x2D and self._peek(1) != 0x5D:
                    raise self._err("invalid range in character class")
                continue
            item = self._class_atom()
            if item is None:
                continue
            if isinstance(item, int) and self._peek() == 0x2D and self._peek(1) not in (0x5D, -1):
                self.pos += 1
                if self._peek() == 0x5B and self._peek(1) == 0x3A:
                    raise self._err("invalid range in character class")
                hi = self._class_atom()
                if not isinstance(hi, int):
                    raise self._err("invalid range in character class")
                if hi < item:
                    raise self._err("range out of order in character class")
                members.update(range(item, hi + 1))
            elif isinstance(item, int):
                members.add(item)
            else:
                if self._peek() == 0x2D and self._peek(1) not in (0x5D, -1):
                    raise self._err("invalid range in character class")
                members |= item
        if self.flags & _I:
            _fold(members)
        self._add(_emit_set((_ALL - members) if negate else members))

    def _class_atom(self) -> int | frozenset[int] | None:
        src = self.src
        c = src[self.pos]
        if c != 0x5C:
            self.pos += 1
            return c
        if self.pos + 1 >= len(src):
            raise self._err("\\ at end of pattern")
        e = src[self.pos + 1]
        self.pos += 2
        if 0x30 <= e <= 0x37:
            return self._octal(e - 0x30, 2)
        if e in (0x38, 0x39):
            return e
        if e == ord("x"):
            return self._hex_escape()
        if e == ord("o"):
            return self._braced_octal()
        if e == ord("c"):
            return self._control()
        if e == ord("b"):
            return 0x08
        if e in _CHAR_ESCAPES:
            return _CHAR_ESCAPES[e]
        if e in _CLASS_ESCAPES:
            return _CLASS_ESCAPES[e]
        if e == ord("E"):
            return None
        if e == ord("Q"):
            raise self._unsupported("\\Q...\\E inside a character class")
        if e in _UNSUPPORTED_ESCAPES:
            raise self._unsupported(_UNSUPPORTED_ESCAPES[e])
        if e < 0x80 and chr(e).isalpha():
            raise self._err(f"escape \\{chr(e)} is invalid in a character class")
        return e

    # -- groups ----------------------------------------------------------------------
    def _push(self, kind: str, prefix: str, flags: int, negative: bool = False) -> None:
        self.frames.append(_Frame(kind, prefix, flags, [[]], negative))

    def _open(self) -> None:
        src = self.src
        self.pos += 1
        c = self._peek()
        if c == 0x2A:
            raise self._unsupported("(*VERB) / (*ATOM:...) syntax")
        if c != 0x3F:
            if self.flags & _N:
                self._push("group", "(?:", self.flags)
            else:
                self.groups += 1
                self._push("group", "(", self.flags)
            return
        self.pos += 1
        c = self._peek()
        if c == 0x23:  # (?# comment )
            end = src.find(b")", self.pos)
            if end < 0:
                raise self._err("missing ) after (?# comment")
            self.pos = end + 1
            return
        simple = {
            0x3A: ("group", "(?:"),
            0x3E: ("group", "(?>"),
            0x3D: ("look", "(?="),
            0x21: ("look", "(?!"),
        }
        if c in simple:
            self.pos += 1
            kind, prefix = simple[c]
            self._push(kind, prefix, self.flags)
            return
        if c == 0x7C:
            raise self._unsupported("(?|...) branch reset")
        if c == 0x3C and self._peek(1) in (0x3D, 0x21):
            negative = self._peek(1) == 0x21
            self.pos += 2
            self.needs_slice = True
            self._push("lookbehind", "", self.flags, negative)
            return
        if c == 0x3C or c == 0x27 or (c == ord("P") and self._peek(1) == 0x3C):
            if c == ord("P"):
                self.pos += 1
            self.pos += 1
            name = self._read_name(0x3E if self.src[self.pos - 1] == 0x3C else 0x27)
            if name in self.names:
                raise self._err(f"two named subpatterns have the same name {name!r}")
            self.names.add(name)
            self.groups += 1
            self._push("group", f"(?P<{name}>", self.flags)
            return
        if c == ord("P") and self._peek(1) == 0x3D:
            self.pos += 2
            self._named_backref(self._read_name(0x29))
            return
        if (
            c == ord("P")
            and self._peek(1) == 0x3E
            or c in (0x26, ord("R"))
            or c in b"+-0123456789"
            and (re.compile(rb"[+-]?\d+\)").match(src, self.pos))
        ):
            raise self._unsupported("recursion / subroutine call")
        if c == 0x28:
            self._conditional()
            return
        if c == ord("C"):
            raise self._unsupported("(?C) callout")
        self._inline_flags()

    def _conditional(self) -> None:
        src = self.src
        self.pos += 1
        m = re.compile(rb"(\d+)\)|<([A-Za-z_]\w*)>\)|'([A-Za-z_]\w*)'\)|([A-Za-z_]\w*)\)").match(
            src, self.pos
        )
        if not m or (m.group(4) and (m.group(4).startswith(b"R") or m.group(4) == b"DEFINE")):
            raise self._unsupported("conditional group with an assertion, recursion or DEFINE condition")
        self.pos = m.end()
        if m.group(1):
            number = int(m.group(1))
            self.numeric_refs.append(number)
            cond = str(number)
        else:
            cond = (m.group(2) or m.group(3) or m.group(4)).decode()
        self._push("cond", f"(?({cond})", self.flags)

    def _inline_flags(self) -> None:
        src = self.src
        flags = self.flags
        on = True
        if self._peek() == 0x5E:
            flags &= ~(_I | _M | _S | _X | _XX | _N)
            self.pos += 1
        while True:
            c = self._peek()
            if c == 0x2D:
                on = False
                self.pos += 1
                continue
            if c in (0x29, 0x3A):
                break
            if c == ord("x") and self._peek(1) == ord("x"):
                flags = flags | _X | _XX if on else flags & ~(_X | _XX)
                self.pos += 2
                continue
            if c == ord("J"):
                raise self._unsupported("(?J) duplicate group names")
            if c not in _FLAG_BITS:
                raise self._err("unrecognized character after (? or (?-")
            flags = flags | _FLAG_BITS[c] if on else flags & ~_FLAG_BITS[c]
            self.pos += 1
        if (flags & _I) != (self.flags & _I) and not self.explicit_case:
            raise _CaseVaries()
        self.pos += 1
        if src[self.pos - 1] == 0x29:
            self.frames[-1].flags = flags
        else:
            self._push("group", "(?:", flags)

    def _close(self) -> None:
        self.pos += 1
        if len(self.frames) == 1:
            raise self._err("unmatched closing parenthesis")
        frame = self.frames.pop()
        bodies = ["".join(a.text for a in alt) for alt in frame.alts]
        if frame.kind == "lookbehind":
            op = "(?<!" if frame.negative else "(?<="
            if len(bodies) == 1:
                text = f"{op}{bodies[0]})"
            elif frame.negative:
                text = "(?:" + "".join(f"{op}{b})" for b in bodies) + ")"
            else:
                text = "(?:" + "|".join(f"{op}{b})" for b in bodies) + ")"
            self._add(text, assertion="look")
            return
        if frame.kind == "cond" and len(bodies) > 2:
            raise self._err("conditional subpattern contains more than two branches")
        self._add(frame.prefix + "|".join(bodies) + ")", assertion="look" if frame.kind == "look" else "")


@dataclass(frozen=True, slots=True)
class PcreSpec:
    """A pcre option ready to compile into a step."""

    regex: re.Pattern[bytes]
    negated: bool
    relative: bool
    anchored: bool
    needs_slice: bool
    buffer_flag: str | None


def translate_pcre(pattern: bytes, flags: str) -> tuple[str, int, bool]:
    """PCRE2 pattern + Suricata flags -> (Python source, Python re flags, start-sensitive)."""
    bits = (
        (_I if "i" in flags else 0)
        | (_M if "m" in flags else 0)
        | (_S if "s" in flags else 0)
        | (_X if "x" in flags else 0)
        | (_U if "G" in flags else 0)
    )
    endonly = "E" in flags
    explicit_case = auto_capture = False
    while True:
        t = _Translator(pattern, bits, endonly, auto_capture, explicit_case)
        try:
            text = t.translate()
        except _NeedAutoCapture:
            auto_capture = True
            continue
        except _CaseVaries:
            explicit_case = True
            continue
        py_flags = re.IGNORECASE if t.initial_caseless and not explicit_case else 0
        return text, py_flags, t.needs_slice


def setup_pcre(value: str | None, buffer: str) -> PcreSpec:
    """Parse and compile a pcre option for `buffer` (Suricata 8 flags; see PCRE_BUFFER_FLAGS)."""
    if value is None or not value.strip():
        raise RuleCompileError(KW, "needs a value")
    text = value.strip()
    negated = text.startswith("!")
    if negated:
        text = text[1:].lstrip()
    if text.startswith('"'):
        if len(text) < 2 or text[-1] != '"':
            raise RuleCompileError(KW, "unterminated double quote")
        text = text[1:-1]
    # Suricata also accepts the /pattern/flags form without quotes
    if _CAPTURE_VARS.search(text):
        raise UnsupportedRule(KW, "capturing into flow/pkt/alert variables is not supported")
    first = text.find("/")
    last = text.rfind("/")
    if first != 0 or last <= 0:
        raise RuleCompileError(KW, "expected /pattern/flags")
    pattern, flags = text[1:last], text[last + 1 :]
    for f in flags:
        if f not in _KNOWN_FLAGS:
            raise RuleCompileError(KW, f"unknown regex modifier {f!r}")
    buffer_flags = [f for f in flags if f in PCRE_BUFFER_FLAGS]
    if len(buffer_flags) > 1:
        raise RuleCompileError(KW, "only one pcre option to specify a buffer type is allowed")
    buffer_flag = buffer_flags[0] if buffer_flags else None
    if buffer_flag and "B" in flags:
        raise RuleCompileError(KW, f"regex modifier {buffer_flag!r} inconsistent with 'B'")
    if buffer_flag and PCRE_BUFFER_FLAGS[buffer_flag] != buffer:
        raise UnsupportedRule(
            KW, f"http buffer flag {buffer_flag} needs app-layer ({PCRE_BUFFER_FLAGS[buffer_flag]})"
        )
    source, py_flags, needs_slice = translate_pcre(pattern.encode("utf-8", "surrogateescape"), flags)
    try:
        compiled = re.compile(source.encode("latin-1"), py_flags)
    except re.error as e:
        raise UnsupportedRule(KW, f"translated pattern rejected by Python re ({e})") from None
    return PcreSpec(compiled, negated, "R" in flags, "A" in flags, needs_slice, buffer_flag)


def _bounded(pattern: re.Pattern[bytes], anchored: bool) -> Callable[..., Any]:
    """The pattern's match/search on the `regex` engine, which can stop after MATCH_TIMEOUT_S.
    Compiled on a rule's first evaluation: most pcre rules never get that far, and that
    engine's compiled form is large. A pattern only `re` accepts keeps `re`, unbounded."""
    try:
        bounded = regex.compile(pattern.pattern, _REGEX_FLAGS[pattern.flags & re.IGNORECASE] | regex.VERSION0)
    except regex.error:
        find = pattern.match if anchored else pattern.search
        return lambda subj, pos, timeout: find(subj, pos)
    return bounded.match if anchored else bounded.search


def make_pcre_step(spec: PcreSpec, nxt: Step | None, relative_next: bool) -> Step:
    """Compile a pcre into a step: Suricata's retry-on-next-occurrence loop when relative_next."""
    finder: list[Any] = []  # filled with the bounded search/match on first use
    relative = spec.relative
    negated = spec.negated
    slice_ = spec.needs_slice
    limit = RECURSION_LIMIT

    def step(buf: bytes, off: int, vars_: dict[str, int], rc: list[Any]) -> int:
        rc[0] += 1
        if rc[0] == limit:
            return -1
        base = off if relative else 0
        if slice_ and base:
            subj = buf[base:]
            shift = base
            pos = 0
        else:
            subj = buf
            shift = 0
            pos = base
        slen = len(subj)
        while True:
            if pos > slen:
                return 0
            if not finder:
                finder.append(_bounded(spec.regex, spec.anchored))
            try:
                m = finder[0](subj, pos, timeout=MATCH_TIMEOUT_S)
            except TimeoutError:
                # Suricata's match limit: a runaway match counts as no match, negated or not
                COUNTERS["pcre_match_limit"] += 1
                return 0
            if negated:
                if m is not None:
                    return 0
                if nxt is None:
                    return 1
                r = nxt(buf, off, vars_, rc)
                return r if r or not relative_next else 0
            if m is None:
                return 0
            if nxt is None:
                return 1
            r = nxt(buf, m.end() + shift, vars_, rc)
            if not relative_next or r:
                return r
            pos = m.start() + 1

    return step
