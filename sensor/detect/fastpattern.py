"""Fast-pattern selection and its Hyperscan form: the prefilter half of content matching.

Step 5 of 10 (detection), load time. `select_fast_pattern` picks, per buffer, the
content Suricata 8 would give the multi-pattern matcher: the explicit
`fast_pattern` if any, else among non-negated contents (negated ones only when
there is no other) the longest, then the highest Pattern Strength, then the first
in rule order. A fast pattern is only a prefilter hint: verification never
depends on it. `hyperscan_expression` / `hyperscan_ext` turn it into a Hyperscan
pattern (escaped bytes: hyperscan 0.9.1's literal mode truncates at NUL).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import hyperscan

from sensor.detect.keywords.content import ContentSpec


@dataclass(frozen=True)
class FastPattern:
    """The prefilter pattern of one buffer program.

    `offset`/`depth` bound where `pattern` may occur (Suricata's meaning: start at or
    after offset, end within offset+depth), None when unbounded. `only`: the pattern
    being present decides the whole buffer program (no verification needed).
    `explicit`: chosen by a `fast_pattern` keyword rather than by Suricata's ranking.
    """

    pattern: bytes
    nocase: bool
    offset: int | None
    depth: int | None
    only: bool
    explicit: bool


def pattern_strength(pat: bytes) -> int:
    """Suricata's PatternStrength: distinct bytes score 3 (alpha) / 4 (printable, 00, 01, FF) / 6,
    repeated bytes 1."""
    seen: set[int] = set()
    score = 0
    for c in pat:
        if c in seen:
            score += 1
            continue
        seen.add(c)
        if 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A:
            score += 3
        elif 0x20 <= c <= 0x7E or c in (0x00, 0x01, 0xFF):
            score += 4
        else:
            score += 6
    return score


def choose_content(contents: Sequence[ContentSpec]) -> ContentSpec | None:
    """Suricata's choice among one buffer's contents (explicit, else longest, strongest, first)."""
    for cd in contents:
        if cd.fast_pattern:
            return cd
    pool = [cd for cd in contents if not cd.negated] or list(contents)
    if not pool:
        return None
    max_len = max(len(cd.pattern) for cd in pool)
    best: ContentSpec | None = None
    best_score = -1
    for cd in pool:
        if len(cd.pattern) != max_len:
            continue
        score = pattern_strength(cd.pattern)
        if score > best_score:
            best, best_score = cd, score
    return best


def select_fast_pattern(contents: Sequence[ContentSpec], sole: bool) -> FastPattern | None:
    """The buffer's FastPattern; None when the chosen content is negated (it cannot prefilter).

    `sole`: the buffer program consists of this content alone, so presence decides.
    """
    cd = choose_content(contents)
    if cd is None or cd.negated:
        return None
    co, cl = cd.fp_chop if cd.fp_chop is not None else (0, len(cd.pattern))
    offset: int | None = None
    depth: int | None = None
    if cd.relative:
        if cd.prop_offset:  # Suricata's propagated minimum start, enforced by inspection too
            offset = cd.prop_offset + co
    elif not isinstance(cd.offset, str) and not isinstance(cd.depth, str):
        if isinstance(cd.offset, int) or isinstance(cd.depth, int):
            offset = (cd.offset if isinstance(cd.offset, int) else 0) + co
        if isinstance(cd.depth, int):
            depth = cd.depth - len(cd.pattern) + cl
    only = (
        sole
        and cd.fp_chop is None
        and not cd.endswith
        and not cd.relative
        and cd.offset is None
        and cd.depth is None
    )
    return FastPattern(cd.pattern[co : co + cl], cd.nocase, offset, depth, only, cd.fast_pattern)


def hyperscan_expression(fp: FastPattern) -> tuple[bytes, int]:
    """Escaped `\\xHH` regex for the pattern and its Hyperscan flags (SINGLEMATCH, CASELESS if nocase)."""
    expr = b"".join(b"\\x%02x" % c for c in fp.pattern)
    flags = hyperscan.HS_FLAG_SINGLEMATCH | (hyperscan.HS_FLAG_CASELESS if fp.nocase else 0)
    return expr, flags


HsExt = tuple[int, int, int, int, int, int]


def hyperscan_ext(fp: FastPattern) -> HsExt | None:
    """Hyperscan extended parameters for `Database.compile(ext=...)`, None when unbounded.

    The tuple is (flags, min_offset, max_offset, min_length, edit_distance,
    hamming_distance), i.e. `hyperscan.ExpressionExt`; the offsets bound the match *end*.
    """
    if fp.offset is None and fp.depth is None:
        return None
    flags = 0
    min_offset = max_offset = 0
    start = fp.offset or 0
    if start:
        flags |= hyperscan.HS_EXT_FLAG_MIN_OFFSET
        min_offset = start + len(fp.pattern)
    if fp.depth is not None:
        flags |= hyperscan.HS_EXT_FLAG_MAX_OFFSET
        max_offset = start + fp.depth
    if not flags:
        return None
    return (flags, min_offset, max_offset, 0, 0, 0)
