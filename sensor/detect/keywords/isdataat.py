"""isdataat: is there data at an (absolute or relative) position of the buffer.

Step 5 of 10 (detection), payload inspection. Suricata 8 semantics: absolute
`isdataat:N` holds when N < buffer length; relative `isdataat:N,relative` holds
when previous-match-end + N <= buffer length (one byte more lenient, as Suricata
documents); `!` negates; N may be a byte_extract/byte_math variable. The
`isdataat:!1,relative` right after a content is rewritten to `endswith` by the
builder (`sensor.detect.inspect`), as Suricata does. Hot path: no parsing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sensor.detect.keywords.content import RECURSION_LIMIT, Step, c_int, is_var_name
from sensor.errors import RuleCompileError

_PARSE = re.compile(r"^\s*!?([^\s,]+)\s*(,\s*relative)?\s*(,\s*rawbytes\s*)?\s*$")
# Suricata: an extracted value this large never "has data" (and always satisfies !isdataat).
_VAR_HUGE = 100_000_000


@dataclass(frozen=True, slots=True)
class IsdataatSpec:
    dataat: int | str
    relative: bool
    negated: bool


def setup_isdataat(value: str | None, known: set[str]) -> IsdataatSpec:
    """`[!]N[, relative[, rawbytes]]` with N a number (0..65535) or a byte variable."""
    kw = "isdataat"
    m = _PARSE.match(value or "")
    if m is None:
        raise RuleCompileError(kw, f"invalid value {value!r}")
    text = m.group(1)
    dataat: int | str
    if is_var_name(text):
        if text not in known:
            raise RuleCompileError(kw, f"unknown byte_extract/byte_math variable {text!r}")
        dataat = text
    else:
        dataat = c_int(text, kw, "isdataat", 0, 65535, 10, signed=False)
    return IsdataatSpec(dataat, m.group(2) is not None, (value or "").startswith("!"))


def make_isdataat_step(spec: IsdataatSpec, nxt: Step | None) -> Step:
    """Compile isdataat; like Suricata a failed constant check ends the whole inspection (-1)."""
    const = spec.dataat if isinstance(spec.dataat, int) else 0
    var = spec.dataat if isinstance(spec.dataat, str) else None
    relative, negated = spec.relative, spec.negated
    fail = 0 if var is not None else -1
    limit = RECURSION_LIMIT

    def step(buf: bytes, off: int, vars_: dict[str, int], rc: list[Any]) -> int:
        rc[0] += 1
        if rc[0] == limit:
            return -1
        at = const
        if var is not None:
            at = vars_.get(var, 0)
            if at >= _VAR_HUGE:
                if not negated:
                    return 0
                return 1 if nxt is None else nxt(buf, off, vars_, rc)
        has = off + at <= len(buf) if relative else at < len(buf)
        if has == negated:
            return 0 if relative and has else fail
        return 1 if nxt is None else nxt(buf, off, vars_, rc)

    return step
