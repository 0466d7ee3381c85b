"""Errors of the rule-language package.

    RuleError       root: one rule (or config line) that cannot be parsed or resolved;
                    carries file, line, sid and keyword so `pehredar sensor check`
                    can print every problem of a file as `file:line sid=N keyword=K: reason`

Raised at load time only (parsing, variable resolution); never on the packet path.
`rules.parse.parse_file` yields these instead of raising, so a CERT engineer sees
all errors of a file at once.
"""

from __future__ import annotations


class RuleError(Exception):
    """A rule, variable or rule-config line is invalid.

    `file`/`line` locate it (empty / 0 when unknown), `sid` is the rule's sid when it
    could be read, `keyword` names the option or part at fault ("header", "action",
    "sid", an option name, ...), `reason` says what is wrong.
    """

    def __init__(
        self,
        reason: str,
        *,
        file: str = "",
        line: int = 0,
        sid: int | None = None,
        keyword: str | None = None,
    ) -> None:
        self.reason = reason
        self.file = file
        self.line = line
        self.sid = sid
        self.keyword = keyword
        super().__init__(reason)

    def with_context(self, *, file: str = "", line: int = 0, sid: int | None = None) -> RuleError:
        """Return a copy with location fields filled in where this one lacks them."""
        return RuleError(
            self.reason,
            file=self.file or file,
            line=self.line or line,
            sid=self.sid if self.sid is not None else sid,
            keyword=self.keyword,
        )

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where = f"{where}:{self.line}" if where else f"line {self.line}"
        parts = [p for p in (where,) if p]
        if self.sid is not None:
            parts.append(f"sid={self.sid}")
        if self.keyword:
            parts.append(f"keyword={self.keyword}")
        prefix = " ".join(parts)
        return f"{prefix}: {self.reason}" if prefix else self.reason

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only __init__ arguments need help to survive pickling (worker processes).
        return (_rebuild, (self.reason, self.file, self.line, self.sid, self.keyword))


def _rebuild(reason: str, file: str, line: int, sid: int | None, keyword: str | None) -> RuleError:
    return RuleError(reason, file=file, line=line, sid=sid, keyword=keyword)
