"""Suricata-format rule language: parse, format, resolve variables, read rule configs.

Pure and stdlib-only; independent of the engine (the sensor's detection builder
compiles the AST this package produces). Load-time only: nothing here runs per packet
except the `contains()` of the matchers that `resolve_addresses` / `resolve_ports`
return. Submodules not re-exported here (`rules.lexer`) are internal.
"""

from __future__ import annotations

from rules.classification import load_classification, parse_classification
from rules.content import parse_content, unquote
from rules.errors import RuleError
from rules.format import format_rule
from rules.model import AddressSpec, Header, Option, PortSpec, Rule
from rules.parse import ACTIONS, DIRECTIONS, parse_address, parse_file, parse_lines, parse_port, parse_rule
from rules.thresholdconfig import (
    ThresholdConfig,
    ThresholdEntry,
    parse_threshold_config,
    parse_threshold_file,
)
from rules.vars import AddressMatcher, PortMatcher, VarTable, resolve_addresses, resolve_ports

__all__ = [
    "ACTIONS",
    "DIRECTIONS",
    "AddressMatcher",
    "AddressSpec",
    "Header",
    "Option",
    "PortMatcher",
    "PortSpec",
    "Rule",
    "RuleError",
    "ThresholdConfig",
    "ThresholdEntry",
    "VarTable",
    "format_rule",
    "load_classification",
    "parse_address",
    "parse_classification",
    "parse_content",
    "parse_file",
    "parse_lines",
    "parse_port",
    "parse_rule",
    "parse_threshold_config",
    "parse_threshold_file",
    "resolve_addresses",
    "resolve_ports",
    "unquote",
]
