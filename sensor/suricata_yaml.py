"""Reading a Suricata `suricata.yaml`, for running Suricata rule sets and test cases as-is.

Load-time only (before step 1 of the data flow). Handles the `%YAML 1.1` header,
`include:` (one file or a list, relative to the including file, at any mapping level,
inlined where it stands so later keys override it), `key: !include file.yaml`, repeated
keys (later wins, mappings merge), and `--set a.b.c=value` overrides (list items by
index: `outputs.1.eve-log.enabled=no`). `SuricataConfig.vars()` turns `vars:` into a
`rules.vars.VarTable`. Problems raise `sensor.errors.ConfigError` naming file and key.
The sensor's own TOML config (`sensor.config`) is separate; this module reads only YAML.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import yaml

from rules.errors import RuleError
from rules.vars import DEFAULT_ADDRESS_GROUPS, DEFAULT_PORT_GROUPS, VarTable
from sensor.errors import ConfigError

_MISSING = object()
_RESOLVER = yaml.resolver.Resolver()


@dataclass(frozen=True, slots=True)
class SuricataConfig:
    """A loaded suricata.yaml tree (plain dicts, lists and scalars) plus where it came from."""

    data: dict[str, Any]
    path: str | None = None

    def get(self, dotted: str, default: Any = None) -> Any:
        """Value at `a.b.c` (digits index lists), or `default` when any part is missing."""
        node: Any = self.data
        for part in dotted.split("."):
            if isinstance(node, dict):
                node = node.get(part, _MISSING)
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return default
            if node is _MISSING:
                return default
        return node

    def vars(self) -> VarTable:
        """The rule variables from `vars.address-groups` and `vars.port-groups`."""
        address = self.get("vars.address-groups", {}) or {}
        ports = self.get("vars.port-groups", {}) or {}
        if not isinstance(address, dict) or not isinstance(ports, dict):
            raise ConfigError(f"{self.path}: vars.address-groups and vars.port-groups must be mappings")
        try:
            return VarTable.from_mapping(address, ports)
        except RuleError as exc:
            raise ConfigError(f"{self.path}: vars: {exc.reason}") from None


def load_suricata_yaml(path: str | None, sets: list[str]) -> SuricataConfig:
    """Load `path` (or, when None, just Suricata's default rule variables) and apply `sets`."""
    if path is None:
        data: dict[str, Any] = {
            "vars": {
                "address-groups": dict(DEFAULT_ADDRESS_GROUPS),
                "port-groups": dict(DEFAULT_PORT_GROUPS),
            }
        }
    else:
        loaded = _load_file(os.path.abspath(path), ())
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path}: top level must be a mapping")
        data = loaded
    for item in sets:
        _apply_set(data, item)
    return SuricataConfig(data, path)


def _load_file(path: str, stack: tuple[str, ...]) -> Any:
    if path in stack:
        raise ConfigError(f"{path}: include loop via {' -> '.join(stack)}")
    try:
        with open(path, encoding="utf-8") as fh:
            loader = yaml.SafeLoader(fh)
            try:
                node = loader.get_single_node()
                if node is None:
                    return None
                return _convert(node, loader, os.path.dirname(path), (*stack, path))
            finally:
                loader.dispose()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from None


def _convert(node: yaml.Node, loader: yaml.SafeLoader, base: str, stack: tuple[str, ...]) -> Any:
    """Walk the composed node graph in document order, expanding includes."""
    if isinstance(node, yaml.ScalarNode):
        if node.tag == "!include":
            return _load_file(os.path.join(base, str(node.value)), stack)
        return loader.construct_object(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, loader, base, stack) for item in node.value]
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            if key == "include":
                for target in _include_targets(value_node, stack[-1]):
                    included = _load_file(os.path.join(base, target), stack)
                    if included is None:
                        continue
                    if not isinstance(included, dict):
                        raise ConfigError(f"{stack[-1]}: included file {target} is not a mapping")
                    _merge(result, included)
            else:
                _merge(result, {key: _convert(value_node, loader, base, stack)})
        return result
    raise ConfigError(f"{stack[-1]}: unsupported YAML node {node!r}")


def _include_targets(node: yaml.Node, path: str) -> list[str]:
    if isinstance(node, yaml.ScalarNode):
        return [str(node.value)]
    if isinstance(node, yaml.SequenceNode) and all(isinstance(n, yaml.ScalarNode) for n in node.value):
        return [str(n.value) for n in node.value]
    raise ConfigError(f"{path}: include must name a file or a list of files")


def _merge(into: dict[str, Any], new: dict[str, Any]) -> None:
    """Later values win; two mappings under the same key merge recursively."""
    for key, value in new.items():
        old = into.get(key)
        if isinstance(old, dict) and isinstance(value, dict):
            _merge(old, value)
        else:
            into[key] = value


def _apply_set(data: dict[str, Any], item: str) -> None:
    """Apply one `--set a.b.c=value`, creating mappings on the way."""
    key, eq, raw = item.partition("=")
    key = key.strip()
    if not eq or not key:
        raise ConfigError(f"--set {item!r}: expected name=value")
    parts = key.split(".")
    if not all(parts):
        raise ConfigError(f"--set {item!r}: empty part in {key!r}")
    node: Any = data
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        value: Any = _scalar(raw.strip()) if last else None
        if isinstance(node, list):
            if not part.isdigit() or int(part) > len(node):
                raise ConfigError(f"--set {item!r}: {'.'.join(parts[:depth])} has no item {part!r}")
            index = int(part)
            if index == len(node):
                node.append({})
            if last:
                node[index] = value
            elif not isinstance(node[index], (dict, list)):
                node[index] = {}
            node = node[index]
        else:
            if last:
                node[part] = value
            elif not isinstance(node.get(part), (dict, list)):
                node[part] = {}
            node = node[part]


def _scalar(text: str) -> Any:
    """Type a `--set` value the way YAML would type a plain scalar (yes -> True, 8 -> 8)."""
    tag = _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))
    return yaml.SafeLoader("").construct_object(yaml.ScalarNode(tag, text))
