"""The per-buffer inspection program: Suricata's content inspection, compiled into closures.

Step 5 of 10 (detection). `compile_buffer` (load time) turns one buffer's payload
options, in rule order, into a chain of steps, one per keyword, each calling the
next: a content or pcre whose successors fail looks for its next occurrence and
retries (Suricata's recursive inspection, bounded by its recursion limit) when a
later keyword depends on it. `BufferProgram.match` (hot path) runs the chain:
no parsing, no logging, no exceptions for packet content. It also carries the
buffer's fast pattern for the prefilter (`sensor.detect.fastpattern`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rules.model import Option
from sensor.detect.fastpattern import FastPattern, select_fast_pattern
from sensor.detect.keywords.bsize import BsizeSpec, make_bsize_step, setup_bsize, validate_bsize
from sensor.detect.keywords.byte_ops import (
    make_byte_extract_step,
    make_byte_jump_step,
    make_byte_math_step,
    make_byte_test_step,
    setup_byte_extract,
    setup_byte_jump,
    setup_byte_math,
    setup_byte_test,
)
from sensor.detect.keywords.content import (
    CONTENT_MODIFIERS,
    ContentSpec,
    Step,
    apply_modifier,
    make_content_step,
    setup_content,
)
from sensor.detect.keywords.isdataat import make_isdataat_step, setup_isdataat
from sensor.detect.keywords.pcre import make_pcre_step, setup_pcre
from sensor.errors import RuleCompileError

PAYLOAD_KEYWORDS: frozenset[str] = frozenset(
    {"content", "pcre", "isdataat", "byte_test", "byte_jump", "byte_extract", "byte_math", "bsize"}
    | CONTENT_MODIFIERS
)
_BYTE_KEYWORDS = ("byte_test", "byte_jump", "byte_extract", "byte_math")


class MatchState:
    """Per rule evaluation: byte_extract / byte_math variables (name -> value), shared by its
    buffers, and whether the payload matched in reassembled stream data (which widens the
    reach of a pass or drop to the whole flow)."""

    __slots__ = ("stream_match", "vars")

    def __init__(self) -> None:
        self.vars: dict[str, int] = {}
        self.stream_match = False


@dataclass(slots=True)
class _Item:
    kind: str  # "content", "pcre", "isdataat", "bsize" or a byte_* keyword
    spec: Any
    relative_next: bool = False  # pcre: a later keyword is relative to it


def _always(buf: bytes, off: int, vars_: dict[str, int], ctx: list[Any]) -> int:
    return 1


class BufferProgram:
    """One buffer's compiled inspection: `match(buf, state)` is Suricata's verdict for the buffer."""

    __slots__ = ("_needs_data", "_run", "buffer", "defines", "fast_pattern", "has_content")

    def __init__(
        self,
        run: Step,
        fast_pattern: FastPattern | None,
        has_content: bool,
        buffer: str,
        defines: frozenset[str],
        needs_data: bool,
    ) -> None:
        self._run = run
        self._needs_data = needs_data
        self.fast_pattern = fast_pattern
        self.has_content = has_content
        self.buffer = buffer
        self.defines = defines

    def match(self, buf: bytes, state: MatchState) -> bool:
        """Run the chain over buf; byte variables are read from and written to state.vars.

        Like Suricata (SIG_MASK_REQUIRE_PAYLOAD), payload keywords never match an empty
        packet payload, even negated ones.
        """
        if not buf and self._needs_data:
            return False
        return self._run(buf, 0, state.vars, [0, None]) == 1


def _mark_relative_next(item: _Item) -> None:
    if item.kind == "content":
        item.spec.within_next = item.spec.distance_next = True
    elif item.kind == "pcre":
        item.relative_next = True


def compile_buffer(
    options: Sequence[Option], *, buffer: str = "payload", rule_vars: set[str] | None = None
) -> BufferProgram:
    """Compile one buffer's options (rule order, modifiers after their content) into a program.

    `rule_vars` holds the byte variables defined by the rule's earlier buffers; the
    variables this buffer defines are added to it (and listed in `program.defines`).
    Raises RuleCompileError for invalid values, UnsupportedRule for valid Suricata we can't match.
    """
    known = rule_vars if rule_vars is not None else set()
    before = set(known)
    items: list[_Item] = []
    prev_pm: dict[int, int | None] = {}  # content index -> last content/pcre before it
    last_content: int | None = None
    last_pm: int | None = None  # last content or pcre
    last_any: int | None = None  # last content/pcre/isdataat/byte_* (Suricata's packet-payload lookup)
    sticky = buffer != "payload"
    bsizes: list[BsizeSpec] = []
    var_ids: dict[str, int] = {}  # Suricata's per-buffer local id of each byte variable
    for opt in options:
        name, value = opt.name, opt.value
        idx = len(items)
        if name == "content":
            items.append(_Item("content", setup_content(value)))
            prev_pm[idx] = last_pm
            last_content = last_pm = last_any = idx
        elif name in CONTENT_MODIFIERS:
            if last_content is None:
                raise RuleCompileError(name, f"{name} needs a preceding content option")
            cd: ContentSpec = items[last_content].spec
            apply_modifier(cd, name, value, known, buffer)
            if name == "fast_pattern" and any(
                it.kind == "content" and it.spec.fast_pattern and it.spec is not cd for it in items
            ):
                raise RuleCompileError(name, "fast_pattern can be used on only one content in a rule")
            prev = prev_pm[last_content]
            if name in ("distance", "within") and prev is not None:
                p = items[prev]
                if p.kind == "pcre":
                    p.relative_next = True
                elif p.spec.fp_only:
                    raise RuleCompileError(
                        name, "previous content has fast_pattern:only; can't be relative to it"
                    )
                elif name == "within":
                    p.spec.within_next = True
                else:
                    p.spec.distance_next = True
                    p.spec.within_next |= cd.negated  # Suricata: a negated distance content needs retries
        elif name == "pcre":
            spec = setup_pcre(value, buffer)
            if spec.relative:
                if last_pm is None and not sticky:
                    raise RuleCompileError(
                        name, "pcre with /R (relative) needs a preceding match in the same buffer"
                    )
                if last_pm is not None:
                    _mark_relative_next(items[last_pm])
            items.append(_Item("pcre", spec))
            last_pm = last_any = idx
        elif name == "isdataat":
            ispec = setup_isdataat(value, known)
            anchor = last_pm if sticky else last_any
            if ispec.relative and anchor is not None:
                prev_item = items[anchor]
                if prev_item.kind == "content" and ispec.negated and ispec.dataat == 1:
                    prev_item.spec.endswith = True  # Suricata rewrites isdataat:!1,relative to endswith
                    continue
                _mark_relative_next(prev_item)
            items.append(_Item("isdataat", ispec))
            last_any = idx
        elif name in _BYTE_KEYWORDS:
            bspec = _setup_byte(name, value, known)
            if name in ("byte_extract", "byte_math"):
                var_ids[bspec.name if name == "byte_extract" else bspec.result] = sum(
                    it.kind == name for it in items
                )
            anchor = last_pm if sticky else last_any
            if bspec.relative and anchor is not None:
                _mark_relative_next(items[anchor])
            items.append(_Item(name, bspec))
            last_any = idx
        elif name == "bsize":
            bsizes.append(setup_bsize(value, buffer))
            items.append(_Item("bsize", bsizes[-1]))
        else:
            raise RuleCompileError(name, f"not a payload keyword of the {buffer} buffer")
    contents = [it.spec for it in items if it.kind == "content"]
    _propagate_limits(items, var_ids)
    if bsizes:
        validate_bsize(bsizes, contents)
    run: Step | None = None
    for it in reversed(items):
        run = _make_step(it, run)
    sole = len(items) == 1 and items[0].kind == "content"
    return BufferProgram(
        run if run is not None else _always,
        select_fast_pattern(contents, sole),
        bool(contents),
        buffer,
        frozenset(known - before),
        not sticky and bool(items),
    )


def _propagate_limits(items: Sequence[_Item], var_ids: dict[str, int]) -> None:
    """Suricata 8's DetectContentPropagateLimits, for the part inspection enforces.

    Suricata derives a minimum start for each relative content from the contents
    before it and stores it in the content's offset, which its inspection then
    applies on top of distance. For positive contents that bound is always implied;
    but a negated content without position modifiers counts as having matched its
    own length, and a byte-variable distance counts as the variable's local id: these
    (measured against Suricata 8.0.8) change results, so they are reproduced here.
    The derived depths are never tighter than within, so only offsets are kept.
    An out-of-range value stops the propagation, as Suricata's VALIDATE does.
    """
    offset = opp = depth = 0  # last offset, offset plus pattern length, depth chain
    chain = False
    for it in items:
        if it.kind == "pcre":
            if it.spec.relative:
                depth = 0
            else:
                offset = opp = depth = 0
            chain = False
            continue
        if it.kind != "content":
            offset = opp = depth = 0
            chain = False
            continue
        cd: ContentSpec = it.spec
        plen = len(cd.pattern)
        if not (cd.relative or cd.absolute):
            offset = depth = 0
            opp = plen
            chain = False
            continue
        if cd.negated:
            offset = opp = depth = 0
            chain = False
            continue
        c_off = _limit_value(cd.offset, var_ids)
        c_depth = c_off + cd.depth if isinstance(cd.depth, int) else _limit_value(cd.depth, var_ids)
        dist = _limit_value(cd.distance, var_ids)
        within = _limit_value(cd.within, var_ids)
        has_dist, has_within = cd.distance is not None, cd.within is not None
        if c_depth:
            chain = True
        if cd.depth is None and not has_within:
            depth = 0
            chain = False
        if not has_dist:
            opp = offset = 0
        else:
            if not 0 <= opp + dist <= 0xFFFF:
                return
            offset = c_off = opp + dist
        if chain:
            if opp and has_within and within >= 0:
                if depth and depth > opp:
                    extra = dist if has_dist and dist > 0 else 0
                    if not 0 <= depth + within + extra <= 0xFFFF:
                        return
                    depth = c_depth = depth + within + extra
                else:
                    if not 0 <= depth + within <= 0xFFFF:
                        return
                    depth = c_depth = offset + within
            elif c_depth == 0 and depth != 0 and has_within and within > 0:
                if not 0 <= depth + within <= 0xFFFF:
                    return
                depth = c_depth = within + depth
        if has_dist and cd.offset is None and cd.depth is None:
            offset = c_off = opp + dist
            opp = offset + plen
        if cd.offset is not None:
            offset = c_off
            opp = offset + plen
        if c_depth:
            depth = c_depth
            opp = offset + plen
        if not has_within and cd.depth is None:
            chain = False
            depth = 0
        if cd.relative:
            cd.prop_offset = c_off


def _limit_value(value: int | str | None, var_ids: dict[str, int]) -> int:
    """A modifier as Suricata stores it: the number, or a variable's local id (0 when unset)."""
    if isinstance(value, str):
        return var_ids.get(value, 0)
    return value or 0


def _make_step(item: _Item, nxt: Step | None) -> Step:
    kind = item.kind
    if kind == "content":
        return make_content_step(item.spec, nxt)
    if kind == "pcre":
        return make_pcre_step(item.spec, nxt, item.relative_next)
    if kind == "isdataat":
        return make_isdataat_step(item.spec, nxt)
    if kind == "bsize":
        return make_bsize_step(item.spec, nxt)
    if kind == "byte_test":
        return make_byte_test_step(item.spec, nxt)
    if kind == "byte_jump":
        return make_byte_jump_step(item.spec, nxt)
    if kind == "byte_extract":
        return make_byte_extract_step(item.spec, nxt)
    return make_byte_math_step(item.spec, nxt)


def _setup_byte(name: str, value: str | None, known: set[str]) -> Any:
    if name == "byte_test":
        return setup_byte_test(value, known)
    if name == "byte_jump":
        return setup_byte_jump(value, known)
    if name == "byte_extract":
        return setup_byte_extract(value, known)
    return setup_byte_math(value, known)
