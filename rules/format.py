"""Formatter: `rules.model.Rule` AST -> canonical rule text.

The inverse of `rules.parse`: `parse_rule(format_rule(r)) == r` for every AST the
parser can produce, and `format_rule(parse_rule(t))` is a fixed point. Canonical
form: single spaces in the header, groups as `[a,b]` without spaces, options as
`name:value;` separated by one space, `# ` in front of a disabled rule. Option values
are printed exactly as stored (escapes and quotes as written). Pure, load-time only.
"""

from __future__ import annotations

from rules.model import AddressSpec, Header, Option, PortSpec, Rule


def format_rule(rule: Rule) -> str:
    """Render a rule as one line of canonical Suricata rule text."""
    prefix = "" if rule.enabled else "# "
    options = " ".join(format_option(opt) for opt in rule.options)
    if rule.header is None:
        return f"{prefix}{rule.action} ({options})"
    return f"{prefix}{rule.action} {format_header(rule.header)} ({options})"


def format_header(header: Header) -> str:
    """`proto src sp direction dst dp`."""
    return " ".join(
        (
            header.proto,
            format_address(header.src),
            format_port(header.sp),
            header.direction,
            format_address(header.dst),
            format_port(header.dp),
        )
    )


def format_option(opt: Option) -> str:
    """`name;` or `name:value;`."""
    return f"{opt.name};" if opt.value is None else f"{opt.name}:{opt.value};"


def format_address(spec: AddressSpec) -> str:
    """Render an address expression (`!` prefix, `[a,b]` groups, `$VAR`, `any`)."""
    bang = "!" if spec.negated else ""
    if spec.kind == "group":
        return bang + "[" + ",".join(format_address(item) for item in spec.items) + "]"
    if spec.kind == "any":
        return bang + "any"
    if spec.kind == "var":
        return f"{bang}${spec.value}"
    return bang + spec.value


def format_port(spec: PortSpec) -> str:
    """Render a port expression (`!` prefix, `[a,b]` groups, `$VAR`, `any`, `lo:hi`)."""
    bang = "!" if spec.negated else ""
    if spec.kind == "group":
        return bang + "[" + ",".join(format_port(item) for item in spec.items) + "]"
    if spec.kind == "any":
        return bang + "any"
    if spec.kind == "var":
        return f"{bang}${spec.value}"
    return bang + spec.value
