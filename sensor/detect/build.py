"""Compile parsed rules into an engine: the load-time half of detection.

Step 5 of 10 (detection), load-time part. For every rule: resolve and compile
the header (`detect.header`), split the options into the payload program
(`detect.inspect`), packet checks, flow conditions, post-match actions and
thresholds, through the keyword registry (`detect.keywords.registry`). A rule
that cannot be built is reported with its keyword and reason: unsupported
(valid Suricata, not matched here yet) or failed (invalid). Nothing here runs
per packet; the closures it builds do.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from rules.errors import RuleError
from rules.model import Rule
from rules.vars import VarTable
from sensor.detect import inspect
from sensor.detect.header import HeaderMatch, compile_header
from sensor.detect.keywords import decode_event, dsize, flow, icmp, ip, meta, tcp  # noqa: F401  (registration)
from sensor.detect.keywords.flow import flow_mask
from sensor.detect.keywords.flowbits import flowbits_action, flowbits_condition, setup_flowbits
from sensor.detect.keywords.flowint import flowint_action, flowint_condition, setup_flowint
from sensor.detect.keywords.ip import ip_proto_protocols
from sensor.detect.keywords.registry import KEYWORDS, declare
from sensor.detect.mask import NEED_EVENTS, NEED_FLOW, NEED_PAYLOAD
from sensor.detect.threshold import ThresholdEngine
from sensor.errors import RuleCompileError, UnsupportedRule

_PAYLOAD_DOCS = {
    "content": "bytes to find in the buffer, `!` negates; |hex| and escapes",
    "nocase": "content modifier: case-insensitive",
    "depth": "content modifier: match within the first N bytes (from offset)",
    "offset": "content modifier: start looking N bytes in",
    "distance": "content modifier: start N bytes after the previous match",
    "within": "content modifier: end within N bytes of the previous match",
    "startswith": "content modifier: match at the start of the buffer",
    "endswith": "content modifier: match at the end of the buffer",
    "fast_pattern": "content modifier: prefilter on this content (`only`, `offset,length` chop)",
    "rawbytes": "content modifier: accepted (packet payloads are raw already)",
    "pcre": "Perl-compatible regular expression with Suricata's flags, where Python's re means the same",
    "isdataat": "data present at offset N (`relative`, `!` negation)",
    "byte_test": "compare bytes read from the buffer with a value",
    "byte_jump": "move the inspection pointer by a value read from the buffer",
    "byte_extract": "read bytes into a rule variable for later keywords",
    "byte_math": "arithmetic on bytes read from the buffer into a rule variable",
    "bsize": "length of the buffer (integer keyword)",
}
for _name in inspect.PAYLOAD_KEYWORDS:
    declare(_name, "payload", _PAYLOAD_DOCS.get(_name, "content inspection modifier"), needs_value=False)

_ACTIONS = {"alert", "pass", "drop", "reject", "rejectsrc", "rejectdst", "rejectboth"}


@dataclass(slots=True)
class CompiledRule:
    """A rule ready for the packet loop; `num` is its place in Suricata's order."""

    rule: Rule
    action: str
    header: HeaderMatch
    checks: tuple[Callable[[Any], bool], ...]
    flow_conditions: tuple[Callable[[Any], bool], ...]
    payload: Any  # inspect.BufferProgram | None
    postmatch: tuple[Callable[[Any], None], ...]
    noalert: bool
    has_threshold: bool
    mask: int
    category: str
    severity: int
    metadata: dict[str, list[str]]
    target: str | None
    iponly: bool = False  # Suricata's IP-only type: checked on the first packet of each flow direction
    like_iponly: bool = False  # IP-only keywords but a negated address: checked on every packet
    # TCP payload source (Suricata's SIG_FLAG_REQUIRE_PACKET / _STREAM / stream-only), see _stream_flags
    require_packet: bool = True
    require_stream: bool = False
    stream_only: bool = False
    num: int = 0
    # the IP protocols the rule can match (the header's, narrowed by ip_proto), None for any:
    # what the prefilter groups the rule by
    protos: frozenset[int] | None = None
    match: Callable[[Any, Any], bool] = field(default=lambda p, s: False)
    # the match without the header check, for candidates the prefilter already header-checked
    match_body: Callable[[Any, Any], bool] = field(default=lambda p, s: False)

    @property
    def sid(self) -> int:
        return self.rule.sid

    @property
    def gid(self) -> int:
        return self.rule.gid

    @property
    def fast_pattern(self) -> Any:
        return self.payload.fast_pattern if self.payload is not None else None


@dataclass(frozen=True, slots=True)
class RuleProblem:
    """A rule that did not load: where, which sid, which keyword, why."""

    file: str
    line: int
    sid: int | None
    keyword: str
    reason: str
    unsupported: bool

    def __str__(self) -> str:
        sid = f" sid={self.sid}" if self.sid is not None else ""
        return f"{self.file}:{self.line}{sid} keyword={self.keyword}: {self.reason}"


@dataclass
class BuildContext:
    """What compiling a rule needs besides the rule: variables, classification, thresholds."""

    variables: VarTable
    classification: dict[str, tuple[str, int]]
    thresholds: ThresholdEngine


def compile_rule(rule: Rule, ctx: BuildContext) -> CompiledRule:
    """Compile one rule; raises UnsupportedRule or RuleCompileError naming the keyword."""
    if rule.action not in _ACTIONS:
        if rule.action == "config":
            raise UnsupportedRule("action", "config rules (firewall/hook policy) are not supported")
        raise RuleCompileError("action", f"unknown action {rule.action!r}")
    if rule.header is None:
        raise UnsupportedRule("header", "rules without a header are not supported")
    header = compile_header(rule.header, ctx.variables)
    checks: list[Callable[[Any], bool]] = []
    flow_conditions: list[Callable[[Any], bool]] = []
    postmatch: list[Callable[[Any], None]] = []
    payload_opts = []
    noalert = False
    has_threshold = False
    mask = 0
    metadata: dict[str, list[str]] = {}
    target: str | None = None
    severity_override: int | None = None
    iponly_compatible = True
    for opt in rule.options:
        name = opt.name
        kw = KEYWORDS.get(name)
        if kw is None:
            _reject_unknown(name)
        if kw.needs_value and opt.value is None and kw.kind not in ("buffer",):
            raise RuleCompileError(name, "needs a value")
        if (kw.kind not in ("meta", "threshold") and name != "flowbits" and not _keeps_iponly(opt)) or (
            name == "prefilter"
        ):
            # an explicit `prefilter` puts the rule in a prefilter engine: a packet rule, not IP-only
            iponly_compatible = False
        if kw.kind == "payload":
            payload_opts.append(opt)
        elif kw.kind == "packet":
            assert kw.setup is not None
            checks.append(kw.setup(opt.value))
        elif kw.kind == "event":
            assert kw.setup is not None
            checks.append(kw.setup(opt.value))
            mask |= NEED_EVENTS
        elif name == "flow":
            assert kw.setup is not None
            checks.append(kw.setup(opt.value))
            mask |= NEED_FLOW | flow_mask(opt.value)
        elif name == "flowbits":
            op = setup_flowbits(opt.value)
            cond, act = flowbits_condition(op), flowbits_action(op)
            if op.cmd == "noalert":
                noalert = True
            if cond is not None:
                flow_conditions.append(cond)
            if act is not None:
                postmatch.append(act)
        elif name == "flowint":
            iop = setup_flowint(opt.value)
            icond, iact = flowint_condition(iop), flowint_action(iop)
            if icond is not None:
                flow_conditions.append(icond)
            if iact is not None:
                postmatch.append(iact)
        elif kw.kind == "threshold":
            ctx.thresholds.add_rule_threshold(rule.sid, rule.gid, opt.value or "", name)
            has_threshold = True
        elif name == "noalert":
            noalert = True
        elif name == "metadata":
            _parse_metadata(opt.value or "", metadata)
        elif name == "target":
            target = (opt.value or "").strip()
            if target not in ("src_ip", "dest_ip"):
                raise RuleCompileError("target", f"must be src_ip or dest_ip, not {target!r}")
        elif name == "priority":
            try:
                severity_override = int((opt.value or "").strip())
            except ValueError:
                raise RuleCompileError("priority", f"invalid priority {opt.value!r}") from None
        elif name == "classtype" and (opt.value or "").strip() not in ctx.classification:
            raise RuleCompileError("classtype", f"unknown classtype {opt.value!r}")
    payload = None
    if payload_opts:
        payload = inspect.compile_buffer(payload_opts, buffer="payload")
        if payload.has_content:
            mask |= NEED_PAYLOAD
    category, severity = "", 3
    if rule.classtype:
        category, severity = ctx.classification[rule.classtype.strip()]
    if severity_override is not None:
        severity = severity_override
    if flow_conditions or postmatch:
        mask |= NEED_FLOW
    compiled = CompiledRule(
        rule=rule,
        action=rule.action,
        header=header,
        checks=tuple(checks),
        flow_conditions=tuple(flow_conditions),
        payload=payload,
        postmatch=tuple(postmatch),
        noalert=noalert,
        has_threshold=has_threshold,
        mask=mask,
        category=category,
        severity=severity,
        metadata=metadata,
        target=target,
    )
    compiled.iponly = iponly_compatible and not header.negated_address
    compiled.like_iponly = iponly_compatible and header.negated_address
    _check_ip_proto(rule, header)
    compiled.protos = _rule_protocols(rule, header)
    if _decode_event_only(rule) and header.protos is None and header.src_any and header.dst_any:
        # decoder-event-only rules see packets whose IP layer failed to decode too
        compiled.header = dataclasses.replace(header, needs_ip=False, match=_any_packet)
    if payload is not None and (header.protos is None or 6 in header.protos):
        compiled.require_packet, compiled.require_stream, compiled.stream_only = _stream_flags(rule)
    compiled.match = _compose(compiled)
    return compiled


def _stream_flags(rule: Rule) -> tuple[bool, bool, bool]:
    """(require_packet, require_stream, stream_only) of a payload rule that can see TCP.

    Suricata 8: `tcp-pkt`, `dsize` and `flow:no_stream` ask for the packet payload,
    `tcp-stream` for the stream (falling back to the payload of a packet the stream did
    not take), `flow:only_stream` for the stream alone. A rule asking for neither inspects
    the stream, and the packet too when a content has depth or offset (startswith).
    """
    proto = rule.header.proto.lower() if rule.header is not None else ""
    packet = proto == "tcp-pkt"
    stream = proto == "tcp-stream"
    only = False
    anchored = False
    for opt in rule.options:
        if opt.name == "dsize":
            packet = True
        elif opt.name == "flow":
            words = {w.strip().lower() for w in (opt.value or "").split(",")}
            if "no_stream" in words:
                packet = True
            if "only_stream" in words:
                stream = only = True
        elif opt.name in ("depth", "offset", "startswith"):
            anchored = True
    if not packet and not stream:
        return anchored, True, False
    return packet, stream, only


def _keeps_iponly(opt: Any) -> bool:
    """`flow:no_stream` alone does not stop a rule from being IP-only (Suricata 8)."""
    return opt.name == "flow" and (opt.value or "").strip().lower() == "no_stream"


def _any_packet(p: Any) -> bool:
    return True


def _decode_event_only(rule: Rule) -> bool:
    names = {o.name for o in rule.options if KEYWORDS.get(o.name) is not None and KEYWORDS[o.name].kind != "meta"}
    return names == {"decode-event"}


_IP_LEVEL_PROTOCOLS = frozenset({"ip", "ipv4", "ip4", "ipv6", "ip6", "pkthdr"})


def _check_ip_proto(rule: Rule, header: HeaderMatch) -> None:
    """Rule-level checks of `ip_proto` that Suricata makes: only under an IP-level header, and
    no set of ip_proto options that cannot all hold (an equality with another, two `<`, two `>`,
    or `>a` with `<b` leaving nothing between)."""
    values = [(o.value or "").strip().strip('"') for o in rule.options if o.name == "ip_proto"]
    if not values:
        return
    proto = rule.header.proto.lower() if rule.header is not None else ""
    if proto not in _IP_LEVEL_PROTOCOLS:
        raise RuleCompileError("ip_proto", f"ip_proto needs an IP-level rule header (ip, ipv4, ipv6), not {proto!r}")
    if len(values) < 2:
        return
    ops = [v[0] if v[:1] in ("<", ">", "!") else "=" for v in values]
    if "=" in ops or ops.count("<") > 1 or ops.count(">") > 1:
        raise RuleCompileError("ip_proto", "conflicting ip_proto options")
    if "<" in ops and ">" in ops:
        lt = int(values[ops.index("<")][1:].strip() or 0)
        gt = int(values[ops.index(">")][1:].strip() or 0)
        if gt + 1 >= lt:
            raise RuleCompileError("ip_proto", f"ip_proto >{gt} and <{lt} leave no protocol")


def _rule_protocols(rule: Rule, header: HeaderMatch) -> frozenset[int] | None:
    """The header's protocols narrowed by every ip_proto option (None: any protocol)."""
    protos = header.protos
    for opt in rule.options:
        if opt.name == "ip_proto":
            admitted = ip_proto_protocols(opt.value)
            protos = admitted if protos is None else protos & admitted
    return protos


def _reject_unknown(name: str) -> None:
    features = meta.SURICATA_KEYWORDS.get(name)
    if features is None:
        raise RuleCompileError(name, "unknown keyword")
    if name in _PACKET_BUFFERS:
        raise UnsupportedRule(name, "packet header buffer is not matched yet")
    if "sticky buffer" in features or "content modifier" in features or name in ("file_data", "file.data"):
        raise UnsupportedRule(name, "app-layer buffer is not matched yet (app-layer issue)")
    if "transform" in features:
        raise UnsupportedRule(name, "buffer transforms are not supported yet")
    if name.startswith(_APP_LAYER_PREFIXES) or name in ("uricontent", "urilen", "app-layer-event", "app-layer-protocol"):
        raise UnsupportedRule(name, "app-layer keyword is not matched yet (app-layer issue)")
    raise UnsupportedRule(name, "keyword is not supported yet")


_PACKET_BUFFERS = frozenset({"ipv4.hdr", "ipv6.hdr", "tcp.hdr", "udp.hdr", "icmpv4.hdr", "icmpv6.hdr", "ip.src", "ip.dst"})
_APP_LAYER_PREFIXES = (
    "http", "dns", "tls", "ssl", "ssh", "smtp", "ftp", "smb", "dcerpc", "dce_", "krb5", "sip", "snmp",
    "mqtt", "rfb", "nfs", "ntp", "quic", "ike", "ja3", "ja4", "modbus", "dnp3", "enip", "cip", "ldap",
    "pgsql", "websocket", "email", "sdp", "dhcp", "mdns", "file", "tftp", "filename", "fileext",
)


def _parse_metadata(value: str, into: dict[str, list[str]]) -> None:
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        key, _, val = item.partition(" ")
        into.setdefault(key.strip(), []).append(val.strip())


def _compose(cr: CompiledRule) -> Callable[[Any, Any], bool]:
    """One closure: header, packet checks, flow conditions, payload, in that order (and, as
    `cr.match_body`, the same without the header)."""
    header = cr.header.match
    checks = cr.checks
    flow_conds = cr.flow_conditions
    prog = cr.payload.match if cr.payload is not None else None
    needs_payload = bool(cr.mask & NEED_PAYLOAD)
    stream = cr.require_stream
    # a stream rule looks at a packet's own payload only when the stream did not take it
    packet_always = cr.require_packet
    packet_never = cr.stream_only
    payload_match: Callable[[Any, Any], bool] | None = None
    if prog is not None:
        run = prog

        def _payload_match(p: Any, state: Any) -> bool:
            if stream:
                chunks = p.stream_chunks
                if chunks:
                    for chunk in chunks:
                        if run(chunk, state):
                            state.stream_match = True
                            return True
                if packet_never or (p.stream_added and not packet_always):
                    return False
            if p.stream_eof or (needs_payload and not p.payload):
                return False
            return run(p.payload, state)

        payload_match = _payload_match

    def body(p: Any, state: Any) -> bool:
        for c in checks:
            if not c(p):
                return False
        if flow_conds:
            f = p.flow
            if f is None:
                return False
            for fc in flow_conds:
                if not fc(f):
                    return False
        if payload_match is not None:
            return payload_match(p, state)
        return True

    cr.match_body = body
    return lambda p, state: header(p) and body(p, state)


@dataclass
class LoadResult:
    """Outcome of loading rule files: compiled rules plus every rule that did not load."""

    rules: list[CompiledRule]
    unsupported: list[RuleProblem]
    failed: list[RuleProblem]
    disabled: int = 0


def compile_rules(parsed: Iterable[Rule | RuleError], ctx: BuildContext) -> LoadResult:
    """Compile every parsed rule (or carry its parse error) into a LoadResult."""
    result = LoadResult([], [], [])
    seen: dict[tuple[int, int], CompiledRule] = {}
    for item in parsed:
        if isinstance(item, RuleError):
            result.failed.append(
                RuleProblem(item.file or "", item.line or 0, item.sid, item.keyword or "syntax", item.reason, False)
            )
            continue
        if not item.enabled:
            result.disabled += 1
            continue
        try:
            compiled = compile_rule(item, ctx)
        except UnsupportedRule as e:
            result.unsupported.append(RuleProblem(item.file, item.line, item.sid, e.keyword, e.reason, True))
            continue
        except RuleCompileError as e:
            result.failed.append(RuleProblem(item.file, item.line, item.sid, e.keyword, e.reason, False))
            continue
        except RuleError as e:
            result.failed.append(RuleProblem(item.file, item.line, item.sid, e.keyword or "header", e.reason, False))
            continue
        key = (item.gid, item.sid)
        older = seen.get(key)
        if older is not None:
            if item.rev <= older.rule.rev:
                result.failed.append(
                    RuleProblem(item.file, item.line, item.sid, "sid", f"duplicate signature id (gid {item.gid})", False)
                )
                continue
            # a newer revision replaces the loaded rule, as in Suricata
            result.rules[result.rules.index(older)] = compiled
            seen[key] = compiled
            continue
        seen[key] = compiled
        result.rules.append(compiled)
    return result
