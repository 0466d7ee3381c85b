"""Load a rule set: files -> parsed rules -> compiled, ordered engine.

The composition step between the rule language (`rules`) and the engine
(`sensor.detect`): expands rule paths and globs, reads variables,
classification and threshold configuration from the Suricata-style config,
compiles every rule, orders them as Suricata does and builds the prefilters.
Runs once at start-up (and on reload), never on the packet path.
"""

from __future__ import annotations

import glob
import hashlib
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from rules import RuleError, parse_file
from rules.classification import load_classification, load_default_classification
from rules.model import Rule
from rules.thresholdconfig import ThresholdEntry, parse_threshold_file
from sensor.detect.build import BuildContext, LoadResult, compile_rules
from sensor.detect.engine import DetectEngine
from sensor.detect.order import DEFAULT_ACTION_ORDER, rule_order_info, sort_rules
from sensor.detect.threshold import ThresholdEngine
from sensor.errors import ConfigError
from sensor.suricata_yaml import SuricataConfig


@dataclass
class LoadedRuleset:
    """The engine ready to run, with the load report and how long loading took."""

    engine: DetectEngine
    report: LoadResult
    files: list[str]
    load_seconds: float


def expand_rule_paths(specs: Sequence[str]) -> list[str]:
    """Expand each path or glob; a spec that names nothing readable is a ConfigError."""
    files: list[str] = []
    for spec in specs:
        matches = sorted(glob.glob(spec)) if glob.has_magic(spec) else [spec]
        if not matches:
            raise ConfigError(f"--rules {spec}: no file matches")
        for path in matches:
            if os.path.isdir(path):
                matches_in_dir = sorted(glob.glob(os.path.join(path, "*.rules")))
                files.extend(matches_in_dir)
                continue
            if not os.access(path, os.R_OK) or not os.path.isfile(path):
                raise ConfigError(f"--rules {path}: not a readable file")
            files.append(path)
    return files


def _parse_all(files: Sequence[str]) -> Iterator[Rule | RuleError]:
    for path in files:
        yield from parse_file(path)


def build_context(config: SuricataConfig) -> BuildContext:
    """Variables, classification and thresholds from the Suricata-style configuration."""
    class_file = config.get("classification-file")
    if class_file and os.path.exists(str(class_file)):
        classification = load_classification(str(class_file))
    else:
        classification = load_default_classification()
    variables = config.vars()
    entries: list[ThresholdEntry] = []
    threshold_file = config.get("threshold-file")
    if threshold_file:
        if not os.path.exists(str(threshold_file)):
            raise ConfigError(f"threshold-file {threshold_file}: not found")
        entries = parse_threshold_file(str(threshold_file))
    return BuildContext(variables, classification, ThresholdEngine(entries, variables=variables))


def action_order(config: SuricataConfig) -> tuple[str, ...]:
    """Suricata's `action-order` setting (default pass, drop, reject, alert)."""
    configured = config.get("action-order")
    if configured is None:
        return DEFAULT_ACTION_ORDER
    if not isinstance(configured, list) or not all(str(a) in _ORDERABLE for a in configured):
        raise ConfigError(f"action-order: must list actions among {', '.join(_ORDERABLE)}, got {configured!r}")
    return tuple(str(a) for a in configured)


_ORDERABLE = ("pass", "drop", "reject", "alert")


def load_ruleset(rule_specs: Sequence[str], config: SuricataConfig, *, ips_mode: bool = False) -> LoadedRuleset:
    """Parse, compile, order and index every rule named by `rule_specs`."""
    started = time.perf_counter()
    files = expand_rule_paths(rule_specs)
    ctx = build_context(config)
    report = compile_rules(_parse_all(files), ctx)
    priorities = {name: prio for name, (_, prio) in ctx.classification.items()}
    ordered = sort_rules(
        report.rules, key=lambda cr: rule_order_info(cr.rule, priorities), action_order=action_order(config)
    )
    for num, cr in enumerate(ordered):
        cr.num = num
    report.rules = ordered
    engine = DetectEngine(ordered, ctx.thresholds, ips_mode=ips_mode)
    return LoadedRuleset(engine, report, files, time.perf_counter() - started)


def ruleset_identity(files: Sequence[str]) -> tuple[str, bytes]:
    """(version, SHA-256) of a rule set: the hash covers each file's name and bytes in load order,
    and the default version names the hash, so two sensors with the same rules agree on both."""
    digest = hashlib.sha256()
    for path in files:
        data = Path(path).read_bytes()
        name = os.path.basename(path).encode()
        digest.update(len(name).to_bytes(4, "big") + name + len(data).to_bytes(8, "big") + data)
    raw = digest.digest()
    return f"sha256-{raw.hex()[:16]}", raw
