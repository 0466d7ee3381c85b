"""content and its modifiers: setup-time validation and the content inspection step.

Step 5 of 10 (detection), payload inspection. Setup turns `content` plus nocase,
depth, offset, distance, within, startswith, endswith, rawbytes and fast_pattern
into a ContentSpec with Suricata 8's checks; `make_content_step` compiles one spec
into a closure of the inspection chain (see `sensor.detect.inspect` for the chain
protocol). Also home of the C-style integer parsing the byte keywords share.
Hot path (the step): no parsing, no exceptions, no logging; returns 1/0/-1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sensor.errors import RuleCompileError, UnsupportedRule

# One link of a buffer's inspection chain: (buf, previous match end, byte variables,
# ctx) -> 1 match, 0 no match, -1 no match and stop. ctx is [keyword evaluations so
# far, lower-cased buf or None until a nocase content needs it], one per match() call.
Step = Callable[[bytes, int, dict[str, int], list[Any]], int]

# Suricata's detect.inspection-recursion-limit default: keyword evaluations per buffer.
RECURSION_LIMIT = 3000
# Suricata limits |distance| and |within| to 1 MiB.
RELATIVE_VALUE_MAX = 1024 * 1024
M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF

CONTENT_MODIFIERS = frozenset(
    {"nocase", "depth", "offset", "distance", "within", "startswith", "endswith", "rawbytes", "fast_pattern"}
)
_SPACE = b" \t\n\v\f\r"
_HEX = frozenset(b"0123456789abcdefABCDEF")


def to_int32(v: int) -> int:
    """The C `(int32_t)` view of an integer's low 32 bits."""
    v &= M32
    return v - (1 << 32) if v & 0x80000000 else v


def strtoull(data: bytes, start: int, end: int, base: int) -> tuple[int, int, bool]:
    """C `strtoull` over data[start:end]: (value mod 2**64, characters consumed, overflowed).

    Leading whitespace and a sign are accepted; base 0 picks 16 for 0x, 8 for a leading 0.
    consumed is 0 when no digit was read. A '-' negates modulo 2**64, as C does.
    """
    i = start
    while i < end and data[i] in _SPACE:
        i += 1
    neg = False
    if i < end and data[i] in b"+-":
        neg = data[i] == 0x2D
        i += 1
    if (
        base in (0, 16)
        and i + 2 < end + 1
        and data[i : i + 1] == b"0"
        and data[i + 1 : i + 2] in (b"x", b"X")
    ):
        if i + 2 < end and data[i + 2] in _HEX:
            base = 16
            i += 2
        elif base == 0:
            base = 8
    elif base == 0:
        base = 8 if i < end and data[i] == 0x30 else 10
    value = 0
    first = i
    while i < end:
        c = data[i]
        if 0x30 <= c <= 0x39:
            d = c - 0x30
        elif 0x61 <= c <= 0x7A:
            d = c - 0x61 + 10
        elif 0x41 <= c <= 0x5A:
            d = c - 0x41 + 10
        else:
            break
        if d >= base:
            break
        value = value * base + d
        i += 1
    if i == first:
        return 0, 0, False
    if value > M64:
        return M64, i - start, True
    return ((-value) & M64 if neg else value), i - start, False


def c_int(text: str, keyword: str, what: str, lo: int, hi: int, base: int = 0, signed: bool = True) -> int:
    """Suricata's strict StringParse*: the whole text is one C integer within lo..hi."""
    raw = text.encode("latin-1", "replace")
    value, used, overflow = strtoull(raw, 0, len(raw), base)
    if used != len(raw) or overflow or not raw:
        raise RuleCompileError(keyword, f"invalid value for {what}: {text!r}")
    if signed and value > (1 << 63) - 1:
        value -= 1 << 64
    if not lo <= value <= hi:
        raise RuleCompileError(keyword, f"{what} {text!r} out of range {lo}..{hi}")
    return value


def is_var_name(text: str) -> bool:
    """Suricata's test for a byte_extract/byte_math variable where a number may stand."""
    return bool(text) and text[0] != "-" and text[0].isalpha()


def parse_content_value(value: str | None, keyword: str = "content") -> tuple[bool, bytes]:
    """Decode a content value as written (`"a|0d 0a|b"`, `!"x"`): (negated, bytes).

    Suricata's decoder, quirks included (measured against 8.0.8): escapes \\" \\; \\:
    \\\\; hex pairs between pipes, spaces and commas ignored; and when nothing was
    decoded (no hex byte, no escape) the text is kept as written, pipes and all, with
    its leading bytes overwritten by the characters outside pipes (`"a||b"` is `ab|b`).
    Kept instead of rules.content.parse_content, which differs on those points.
    """
    if value is None:
        raise RuleCompileError(keyword, "needs a value")
    text = value.strip()
    negated = text.startswith("!")
    if negated:
        text = text[1:].lstrip()
    trailing = len(text) - 1 - len(text[:-1].rstrip("\\"))
    if len(text) < 2 or text[0] != '"' or text[-1] != '"' or trailing % 2:
        raise RuleCompileError(keyword, "value must be enclosed in double quotes")
    buf = bytearray(text[1:-1].encode("utf-8", "surrogateescape"))
    if not buf:
        raise RuleCompileError(keyword, "empty content")
    x = pipes = 0
    in_hex = escape = converted = False
    half: int | None = None
    for c in bytes(buf):
        if c == 0x7C:  # |
            pipes += 1
            if in_hex and half is not None:
                raise RuleCompileError(keyword, "incomplete hex code before '|'")
            in_hex = not in_hex
        elif not escape and c == 0x5C:  # backslash
            escape = True
        elif in_hex:
            if c in _HEX:
                if half is None:
                    half = int(chr(c), 16)
                else:
                    buf[x] = half * 16 + int(chr(c), 16)
                    x += 1
                    half = None
                    converted = True
            elif c not in b" ,":
                raise RuleCompileError(keyword, f"invalid hex code {chr(c)!r}")
        elif escape:
            if c not in b':;\\"':
                raise RuleCompileError(keyword, f"invalid escape '\\{chr(c)}' (only \\\" \\; \\: \\\\)")
            buf[x] = c
            x += 1
            escape = False
            converted = True
        elif c == 0x22:
            raise RuleCompileError(keyword, "unescaped double quote inside the content")
        else:
            buf[x] = c
            x += 1
    if pipes % 2:
        raise RuleCompileError(keyword, "invalid hex code assembly (unbalanced '|')")
    out = bytes(buf[:x] if converted else buf)
    if not out:
        raise RuleCompileError(keyword, "empty content")
    if len(out) > 65535:
        raise RuleCompileError(keyword, "content longer than 65535 bytes")
    return negated, out


IntOrVar = int | str | None


@dataclass(slots=True)
class ContentSpec:
    """One content and its modifiers, as validated at setup (depth relative to offset)."""

    pattern: bytes
    negated: bool
    nocase: bool = False
    offset: IntOrVar = None
    depth: IntOrVar = None
    distance: IntOrVar = None
    within: IntOrVar = None
    startswith: bool = False
    endswith: bool = False
    fast_pattern: bool = False
    fp_only: bool = False
    fp_chop: tuple[int, int] | None = None
    within_next: bool = False
    distance_next: bool = False
    # Suricata's DetectContentPropagateLimits writes a minimum start into relative contents,
    # which inspection then enforces (see sensor.detect.inspect); 0 when none.
    prop_offset: int = 0

    @property
    def relative(self) -> bool:
        return self.distance is not None or self.within is not None

    @property
    def absolute(self) -> bool:
        return self.offset is not None or self.depth is not None

    @property
    def single(self) -> bool:
        """Suricata's DETECT_CONTENT_IS_SINGLE: no window and nothing relative to it."""
        return not (self.relative or self.absolute or self.within_next or self.distance_next)


def setup_content(value: str | None) -> ContentSpec:
    """Parse the `content` option itself."""
    negated, pattern = parse_content_value(value)
    return ContentSpec(pattern=pattern, negated=negated)


def _no_value(name: str, value: str | None) -> None:
    if value is not None and value.strip():
        raise RuleCompileError(name, "takes no value")


def _window_guard(cd: ContentSpec, name: str) -> None:
    if cd.negated and cd.fast_pattern:
        raise RuleCompileError(name, "can't have a relative negated keyword set along with 'fast_pattern'")
    if cd.fp_only:
        raise RuleCompileError(name, "can't have a relative keyword set along with 'fast_pattern:only;'")


def _num_or_var(name: str, value: str | None, known: set[str], lo: int, hi: int, signed: bool) -> int | str:
    if value is None or not value.strip():
        raise RuleCompileError(name, "needs a value")
    text = value.strip()
    if is_var_name(text):
        if text not in known:
            raise RuleCompileError(name, f"unknown byte_extract/byte_math variable {text!r}")
        return text
    return c_int(text, name, name, lo, hi, 0, signed)


def apply_modifier(cd: ContentSpec, name: str, value: str | None, known_vars: set[str], buffer: str) -> None:
    """Apply one content modifier to the last content, with Suricata 8's setup checks."""
    if name == "nocase":
        _no_value(name, value)
        if cd.nocase:
            raise RuleCompileError(name, "can't use multiple nocase modifiers with the same content")
        cd.nocase = True
    elif name == "rawbytes":
        _no_value(name, value)
        if buffer != "payload":
            raise RuleCompileError(name, f"rawbytes cannot be combined with the {buffer} sticky buffer")
    elif name == "depth":
        if cd.depth is not None:
            raise RuleCompileError(
                name, "can't use multiple depths (or depth with startswith) for the same content"
            )
        if cd.relative:
            raise RuleCompileError(name, "can't mix a relative keyword (distance/within) with depth/offset")
        _window_guard(cd, name)
        depth = _num_or_var(name, value, known_vars, 0, 65535, False)
        if isinstance(depth, int) and depth < len(cd.pattern):
            raise RuleCompileError(name, f"depth {depth} smaller than content length {len(cd.pattern)}")
        cd.depth = depth
    elif name == "offset":
        if cd.startswith:
            raise RuleCompileError(name, "can't use offset with startswith")
        if cd.offset is not None:
            raise RuleCompileError(name, "can't use multiple offsets for the same content")
        if cd.relative:
            raise RuleCompileError(name, "can't mix a relative keyword (distance/within) with depth/offset")
        _window_guard(cd, name)
        cd.offset = _num_or_var(name, value, known_vars, 0, 65535, False)
    elif name == "distance":
        if cd.distance is not None:
            raise RuleCompileError(name, "can't use multiple distances for the same content")
        if cd.absolute:
            raise RuleCompileError(name, "can't mix a relative keyword (distance/within) with depth/offset")
        _window_guard(cd, name)
        cd.distance = _num_or_var(name, value, known_vars, -RELATIVE_VALUE_MAX, RELATIVE_VALUE_MAX, True)
    elif name == "within":
        if cd.within is not None:
            raise RuleCompileError(name, "can't use multiple withins for the same content")
        if cd.absolute:
            raise RuleCompileError(name, "can't mix a relative keyword (distance/within) with depth/offset")
        _window_guard(cd, name)
        within = _num_or_var(name, value, known_vars, -RELATIVE_VALUE_MAX, RELATIVE_VALUE_MAX, True)
        if isinstance(within, int) and within < len(cd.pattern):
            raise RuleCompileError(name, f"within {within} is less than the content length {len(cd.pattern)}")
        cd.within = within
    elif name == "startswith":
        _no_value(name, value)
        if cd.depth is not None:
            raise RuleCompileError(name, "can't use multiple depth/startswith settings for the same content")
        if cd.relative:
            raise RuleCompileError(name, "can't mix a relative keyword (distance/within) with startswith")
        _window_guard(cd, name)
        if cd.offset is not None:
            raise RuleCompileError(name, "can't mix offset with startswith")
        cd.startswith = True
        cd.depth = len(cd.pattern)
    elif name == "endswith":
        _no_value(name, value)
        cd.endswith = True
    elif name == "fast_pattern":
        _setup_fast_pattern(cd, value)
    else:  # pragma: no cover - callers dispatch on CONTENT_MODIFIERS
        raise RuleCompileError(name, "not a content modifier")


def _setup_fast_pattern(cd: ContentSpec, value: str | None) -> None:
    name = "fast_pattern"
    if cd.negated and (cd.relative or cd.absolute):
        raise RuleCompileError(
            name, "can't be used with a negated content that has depth/offset/distance/within"
        )
    if cd.fast_pattern:
        raise RuleCompileError(name, "can't use multiple fast_pattern options for the same content")
    arg = (value or "").strip()
    if not arg:
        cd.fast_pattern = True
        return
    if arg == "only":
        if cd.negated or cd.relative or cd.absolute:
            raise RuleCompileError(
                name,
                "fast_pattern:only can't be used with negated content or with distance, within, offset, depth",
            )
        cd.fast_pattern = cd.fp_only = True
        return
    parts = [p.strip() for p in arg.split(",")]
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise RuleCompileError(name, f"invalid argument {arg!r} (expected 'only' or 'offset,length')")
    off, length = int(parts[0]), int(parts[1])
    if off > 65535 or length > 65535 or off > 65535 - length:
        raise RuleCompileError(name, "fast pattern (length + offset) exceeds the pattern length limit")
    if off + length > len(cd.pattern):
        raise RuleCompileError(
            name, f"fast pattern (offset + length = {off + length}) exceeds content length"
        )
    if length == 0:
        raise UnsupportedRule(name, "a zero-length fast_pattern chop cannot be prefiltered")
    cd.fast_pattern = True
    cd.fp_chop = (off, length)


def _lowered(buf: bytes, ctx: list[Any]) -> bytes:
    low = ctx[1] = buf.lower()
    return low


def _var(vars_: dict[str, int], name: str) -> int:
    return vars_.get(name, 0)


def make_content_step(cd: ContentSpec, nxt: Step | None) -> Step:
    """Compile one content into a step of the chain (specialised for the common shapes)."""
    if not cd.negated and not cd.endswith:
        if not cd.relative and not isinstance(cd.offset, str) and not isinstance(cd.depth, str):
            return _absolute_step(cd, nxt)
        if cd.relative and not isinstance(cd.distance, str) and not isinstance(cd.within, str):
            return _relative_step(cd, nxt)
    return _general_step(cd, nxt)


def _absolute_step(cd: ContentSpec, nxt: Step | None) -> Step:
    """Non-negated content with a constant offset/depth window (or none)."""
    pat = cd.pattern.lower() if cd.nocase else cd.pattern
    plen = len(pat)
    start0 = cd.offset if isinstance(cd.offset, int) else 0
    end0 = start0 + cd.depth if isinstance(cd.depth, int) else 1 << 62
    nocase = cd.nocase
    retry = cd.within_next
    limit = RECURSION_LIMIT

    def step(buf: bytes, off: int, vars_: dict[str, int], rc: list[Any]) -> int:
        rc[0] += 1
        if rc[0] == limit:
            return -1
        hay = (rc[1] or _lowered(buf, rc)) if nocase else buf
        blen = len(buf)
        end = end0 if end0 < blen else blen  # noqa: FURB136 (hot path: no call)
        if start0 > end or end == 0:
            return 0
        i = hay.find(pat, start0, end)
        if i < 0:
            return -1
        if nxt is None:
            return 1
        while True:
            r = nxt(buf, i + plen, vars_, rc)
            if r:
                return r
            if not retry:
                return -1
            i = hay.find(pat, i + 1, end)
            if i < 0:
                return -1

    return step


def _relative_step(cd: ContentSpec, nxt: Step | None) -> Step:
    """Non-negated content with constant distance/within relative to the previous match."""
    pat = cd.pattern.lower() if cd.nocase else cd.pattern
    plen = len(pat)
    dist = cd.distance if isinstance(cd.distance, int) else 0
    within = cd.within if isinstance(cd.within, int) else None
    prop = cd.prop_offset
    nocase = cd.nocase
    retry = cd.within_next
    limit = RECURSION_LIMIT

    def step(buf: bytes, off: int, vars_: dict[str, int], rc: list[Any]) -> int:
        rc[0] += 1
        if rc[0] == limit:
            return -1
        hay = (rc[1] or _lowered(buf, rc)) if nocase else buf
        blen = len(buf)
        start = 0 if dist < 0 and -dist > off else off + dist
        start = max(start, prop)
        end = blen
        if within is not None:
            w = off + within + dist
            if w < blen:
                end = w if w >= 0 else blen
        if start > end or end == 0:
            return 0
        i = hay.find(pat, start, end)
        if i < 0:
            return 0
        if nxt is None:
            return 1
        while True:
            r = nxt(buf, i + plen, vars_, rc)
            if r:
                return r
            if not retry:
                return -1
            i = hay.find(pat, i + 1, end)
            if i < 0:
                return 0

    return step


def _general_step(cd: ContentSpec, nxt: Step | None) -> Step:
    """Every other shape: negation, endswith, byte-variable windows (Suricata's loop, verbatim)."""
    pat = cd.pattern.lower() if cd.nocase else cd.pattern
    plen = len(pat)
    nocase = cd.nocase
    negated = cd.negated
    endswith = cd.endswith
    relative = cd.relative
    retry = cd.within_next
    single = cd.single
    has_dist = cd.distance is not None
    dist_c = cd.distance if isinstance(cd.distance, int) else 0
    dist_v = cd.distance if isinstance(cd.distance, str) else None
    has_within = cd.within is not None
    within_c = cd.within if isinstance(cd.within, int) else 0
    within_v = cd.within if isinstance(cd.within, str) else None
    off_c = cd.offset if isinstance(cd.offset, int) else 0
    off_v = cd.offset if isinstance(cd.offset, str) else None
    depth_c = cd.depth if isinstance(cd.depth, int) else None
    depth_v = cd.depth if isinstance(cd.depth, str) else None
    var_window = off_v is not None or depth_v is not None
    prop = cd.prop_offset
    limit = RECURSION_LIMIT

    def advance(buf: bytes, off: int, vars_: dict[str, int], rc: list[Any]) -> int:
        return 1 if nxt is None else nxt(buf, off, vars_, rc)

    def step(buf: bytes, off: int, vars_: dict[str, int], rc: list[Any]) -> int:
        rc[0] += 1
        if rc[0] == limit:
            return -1
        hay = (rc[1] or _lowered(buf, rc)) if nocase else buf
        blen = len(buf)
        prev_offset = 0
        while True:
            if relative:
                start = off
                d = to_int32(_var(vars_, dist_v)) if dist_v is not None else dist_c
                if has_dist:
                    start = 0 if d < 0 and -d > start else (start + d) & M32
                end = blen
                if has_within:
                    w = (
                        (off + _var(vars_, within_v) + d) & M32
                        if within_v is not None
                        else off + within_c + d
                    )
                    w = to_int32(w) if within_v is not None else w
                    if blen > w:
                        end = w if w >= 0 else w + (1 << 32)
                start = max(start, prop)
            else:
                if depth_v is not None:
                    end = _var(vars_, depth_v) & M32
                elif depth_c is not None:
                    end = depth_c if var_window else off_c + depth_c
                else:
                    end = blen
                start = _var(vars_, off_v) & M32 if off_v is not None else off_c
                if var_window:
                    end = (end + start) & M32
            if prev_offset:
                start = prev_offset
            end = min(end, blen)
            if start > end or end == 0:
                return advance(buf, off, vars_, rc) if negated else 0
            if (endswith and end < blen) or plen > end - start:
                found = -1
            elif endswith and not negated:
                found = blen - plen if blen - plen >= start and hay.startswith(pat, blen - plen) else -1
            else:
                found = hay.find(pat, start, end)
            if found < 0:
                if negated:
                    return advance(buf, off, vars_, rc)
                return 0 if relative else -1
            mend = found + plen
            if negated:
                if endswith and end - start != mend:
                    return advance(buf, off, vars_, rc)
                return -1 if single else 0
            if nxt is None:
                return 1
            r = nxt(buf, mend, vars_, rc)
            if r:
                return r
            if not retry:
                return -1
            prev_offset = found + 1

    return step
