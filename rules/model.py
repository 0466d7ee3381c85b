"""The rule AST: frozen dataclasses for one Suricata-format rule.

This is the rule *language*, independent of any engine: the parser
(`rules.parse`) builds these, the formatter (`rules.format`) prints them back,
and the sensor's detection builder (`sensor.detect.build`) compiles them.
Addresses and ports are kept as written (variables unresolved); `rules.vars`
resolves them against a variable table.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class AddressSpec:
    """One address expression node as written.

    kind is one of:
      "any"            -- `any`
      "var"            -- `$NAME` (value = name without `$`)
      "ip"             -- a single address or CIDR, e.g. `10.0.0.0/8`, `::1` (value = text)
      "range"          -- `a-b` address range (value = text) -- Suricata accepts these
      "group"          -- `[ ... ]` (items = members)
    negated: written with a leading `!`.
    """

    kind: str
    value: str = ""
    items: tuple[AddressSpec, ...] = ()
    negated: bool = False


@dataclass(frozen=True, slots=True)
class PortSpec:
    """One port expression node as written.

    kind is one of:
      "any"            -- `any`
      "var"            -- `$NAME`
      "port"           -- `80` (lo == hi)
      "range"          -- `1024:65535`, `:1024`, `1024:` (lo/hi filled in, open ends 0 / 65535)
      "group"          -- `[ ... ]`
    """

    kind: str
    value: str = ""
    lo: int = 0
    hi: int = 65535
    items: tuple[PortSpec, ...] = ()
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Header:
    """`action proto src sp -> dst dp` (the action lives on Rule)."""

    proto: str
    src: AddressSpec
    sp: PortSpec
    direction: str  # "->" or "<>" (also "=>" for Suricata's transactional rules)
    dst: AddressSpec
    dp: PortSpec


@dataclass(frozen=True, slots=True)
class Option:
    """One `name[:value];` option. value is the raw text after `:` with surrounding
    whitespace stripped and escapes kept as written (None for flag options such as
    `nocase`)."""

    name: str
    value: str | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    """A parsed rule. `options` keeps every option in order; the convenience
    fields (sid, rev, gid, msg, ...) are derived from them by the parser."""

    action: str
    header: Header | None  # None only for Suricata's header-less forms (not used today)
    options: tuple[Option, ...]
    sid: int
    rev: int = 0
    gid: int = 1
    msg: str = ""
    classtype: str | None = None
    priority: int | None = None
    enabled: bool = True  # False when the rule line was commented out (`# alert ...`)
    file: str = field(default="", compare=False)
    line: int = field(default=0, compare=False)
    raw: str = field(default="", compare=False)
