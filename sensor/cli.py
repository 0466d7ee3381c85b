"""The sensor's commands: `pehredar sensor replay` and `pehredar rules check|keywords`.

The command contract (README, docs/operator-guide.md) is relied on by other
tools: options are only ever added. Bad arguments, unreadable pcaps and
unreadable rule files exit 2 with one line on stderr; a capture that ends in a
truncated record is processed up to the damage, reported, and exits 1.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Iterator
from typing import IO, Any

import click
import structlog

from alertwire import AlertWireError
from alertwire.spool import SpoolWriter
from rules import RuleError
from sensor import logs
from sensor.capture.pcapfile import open_capture
from sensor.decode.config import CODE_DEFAULTS, DecoderConfig, decoder_config_from
from sensor.decode.dispatch import configure_decoders
from sensor.detect.keywords.pcre import COUNTERS as pcre_counters
from sensor.errors import CaptureError, ConfigError, SensorError
from sensor.exception_policy import midstream_policy
from sensor.output.eve import EveWriter
from sensor.output.fanout import AlertFanout
from sensor.output.spool_sink import SpoolSink
from sensor.replay import Replayer, ReplayOptions
from sensor.ruleset import load_ruleset, ruleset_identity
from sensor.settings import apply_sets
from sensor.stream.hostos import STOCK_HOST_OS_POLICY, defrag_policy_lookup
from sensor.stream.reassembly import stream_config
from sensor.suricata_yaml import load_suricata_yaml


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"pehredar: error: {message}", err=True)
    sys.exit(code)


@contextlib.contextmanager
def _open_output(path: str | None) -> Iterator[IO[str] | None]:
    """The EVE stream: stdout for "-", a file for a path, none for None."""
    if path is None:
        yield None
        return
    if path == "-":
        yield sys.stdout
        return
    try:
        handle = open(path, "w", encoding="utf-8")  # noqa: SIM115
    except OSError as e:
        _fail(f"--eve {path}: {e.strerror}")
    with handle:
        yield handle


@click.command("replay")
@click.argument("pcaps", nargs=-1, required=True)
@click.option("--rules", "rule_specs", multiple=True, required=True, help="rule file, directory or glob (repeatable)")
@click.option("--suricata-config", type=str, default=None, help="Suricata YAML for vars, thresholds and settings")
@click.option("--eve", type=str, default=None, help="write EVE alerts here (default: stdout, unless --spool is given)")
@click.option("--stats-json", type=str, default=None, help="write run statistics as JSON here")
@click.option("-k", "checksum", type=click.Choice(["all", "none"]), default=None, help="checksum validation")
@click.option("--set", "sets", multiple=True, help="Suricata configuration override KEY=VALUE (repeatable)")
@click.option("--simulate-ips", is_flag=True, help="IPS mode: drop rules block (alert.action 'blocked')")
@click.option("--sensor-name", type=str, default="", help="value of the EVE 'host' field")
@click.option("--spool", "spool_dir", type=str, default=None, help="also commit alerts to this spool directory")
@click.option("--sensor-id", type=str, default=None, help="this sensor's enrolled id (required with --spool)")
@click.option("--ruleset-version", type=str, default=None,
              help="rule set version carried with spooled alerts (default: derived from the rule files' hash)")
@click.option("--payload-excerpt", type=click.IntRange(0, 1024), default=0,
              help="bytes of payload to keep in spooled alerts (default 0: no payload leaves the sensor)")
@click.option("--spool-max-bytes", type=click.IntRange(1 << 20), default=1 << 30, help="spool size cap (bytes)")
@click.option("--bpf", type=str, default=None, help="BPF capture filter (not supported yet: refused)")
@click.option("--runmode", type=str, default=None, help="accepted for Suricata compatibility (one process here)")
@click.option("--data-dir", type=str, default=None, help="accepted for Suricata compatibility (datasets not built)")
@click.option("--no-random", is_flag=True, help="accepted for Suricata compatibility (replay is deterministic)")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]), default="warning")
def replay_command(
    pcaps: tuple[str, ...],
    rule_specs: tuple[str, ...],
    suricata_config: str | None,
    eve: str | None,
    stats_json: str | None,
    checksum: str | None,
    sets: tuple[str, ...],
    simulate_ips: bool,
    sensor_name: str,
    spool_dir: str | None,
    sensor_id: str | None,
    ruleset_version: str | None,
    payload_excerpt: int,
    spool_max_bytes: int,
    bpf: str | None,
    runmode: str | None,
    data_dir: str | None,
    no_random: bool,
    log_level: str,
) -> None:
    """Replay PCAP files against Suricata-format rules and write EVE alerts."""
    logs.configure(log_level)
    if bpf:
        _fail(f"--bpf {bpf!r}: BPF capture filters are not supported yet")
    if spool_dir is not None and not sensor_id:
        _fail("--spool needs --sensor-id (the id this sensor is enrolled under at its collector)")
    if sensor_id is not None and not 0 < len(sensor_id) <= 64:
        _fail("--sensor-id must be 1 to 64 characters")
    log = structlog.get_logger().bind(component="replay")
    started = time.perf_counter()
    for path in pcaps:
        try:
            open_capture(path)
        except CaptureError as e:
            _fail(str(e))
        except OSError as e:
            _fail(f"{path}: {e.strerror}")
    try:
        config = load_suricata_yaml(suricata_config, list(sets))
        # process-wide decoder tables: set on every run (stock yaml values without a config file)
        try:
            configure_decoders(
                decoder_config_from(config.get, DecoderConfig() if suricata_config is None else CODE_DEFAULTS)
            )
        except ValueError as e:
            raise ConfigError(f"decoder configuration: {e}") from None
        settings = apply_sets(config, list(sets))
        stream = stream_config(config, ips_mode=simulate_ips)
        host_os = STOCK_HOST_OS_POLICY if suricata_config is None else config.get("host-os-policy")
        defrag_policy_for = defrag_policy_lookup(host_os)
        ms_policy, policy_warnings = midstream_policy(config, ips_mode=simulate_ips, midstream=settings.midstream)
        for warning in policy_warnings:
            log.warning("exception_policy_adjusted", detail=warning)
        for warning in settings.warnings:
            log.warning("setting_not_supported", detail=warning)
        loaded = load_ruleset(rule_specs, config, ips_mode=simulate_ips)
    except (ConfigError, RuleError, OSError) as e:
        _fail(str(e))
        return
    except SensorError as e:
        _fail(str(e))
        return
    report = loaded.report
    load_seconds = time.perf_counter() - started
    log.info(
        "rules_loaded",
        loaded=len(report.rules),
        unsupported=len(report.unsupported),
        failed=len(report.failed),
        seconds=round(load_seconds, 3),
    )
    for problem in report.failed:
        log.warning("rule_failed", problem=str(problem))
    options = ReplayOptions(
        ips_mode=simulate_ips,
        checksum_checks=checksum == "all",
        midstream=settings.midstream,
        async_oneside=settings.async_oneside,
        stream=stream,
        defrag_policy_for=defrag_policy_for,
        midstream_policy=ms_policy,
    )
    exit_code = 0
    pcre_limit_before = pcre_counters["pcre_match_limit"]  # the counter is per process
    spool_sink = None
    if spool_dir is not None:
        version, digest = ruleset_identity(loaded.files)
        try:
            spool_writer = SpoolWriter(
                spool_dir, sensor_id=str(sensor_id), ruleset_version=ruleset_version or version,
                ruleset_hash=digest, max_bytes=spool_max_bytes,
            )
        except (AlertWireError, OSError) as e:
            _fail(f"--spool {spool_dir}: {e}")
            return
        spool_sink = SpoolSink(spool_writer)
    spool_stats: dict[str, int] = {}
    eve_path = eve if eve is not None else None if spool_dir is not None else "-"  # stdout unless spooling
    with _open_output(eve_path) as out:
        writer = EveWriter(out) if out is not None else None
        fanout = AlertFanout(
            eve=writer, spool=spool_sink, host=sensor_name, ips_mode=simulate_ips, payload_excerpt=payload_excerpt
        )
        replayer = Replayer(loaded.engine, options, fanout)
        with _progress(pcaps) as progress:
            try:
                stats = replayer.run(pcaps, progress)
            except CaptureError as e:
                click.echo(f"pehredar: error: {e}", err=True)
                stats = replayer.stats
                exit_code = 1
            finally:
                if spool_sink is not None:
                    spool_stats = spool_sink.close()
        if writer is not None:
            writer.flush()
    log.info("replay_finished", packets=stats.packets, alerts=stats.alerts, seconds=round(stats.engine_seconds, 3))
    if stats_json:
        figures: dict[str, Any] = {
            "packets": stats.packets,
            "bytes": stats.bytes,
            "alerts": stats.alerts,
            "pseudo_packets": stats.pseudo_packets,
            "invalid_checksum": stats.invalid_checksum,
            "rules_loaded": len(report.rules),
            "rules_unsupported": len(report.unsupported),
            "rules_failed": len(report.failed),
            "load_seconds": round(load_seconds, 6),
            "engine_seconds": round(stats.engine_seconds, 6),
            "decode_events": stats.decode_events,
            "flows": dict(replayer.flows.stats),
            "defrag": dict(replayer.defrag.stats),
            "streams": dict(replayer.streams.stats),
            "spool": spool_stats,
            "detect": dict(loaded.engine.stats)
            | {"pcre_match_limit": pcre_counters["pcre_match_limit"] - pcre_limit_before},
        }
        try:
            with open(stats_json, "w", encoding="utf-8") as fh:
                json.dump(figures, fh, indent=2, sort_keys=True)
        except OSError as e:
            _fail(f"--stats-json {stats_json}: {e.strerror}")
    sys.exit(exit_code)


@contextlib.contextmanager
def _progress(pcaps: tuple[str, ...]) -> Iterator[Any]:
    """A tqdm packet counter on an interactive terminal; nothing when output is redirected."""
    if not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm

    with tqdm(unit=" pkts", unit_scale=True, desc=", ".join(pcaps)[:40], file=sys.stderr) as bar:
        yield bar.update


@click.command("check")
@click.argument("specs", nargs=-1, required=True)
@click.option("--suricata-config", type=str, default=None, help="Suricata YAML for vars and classification")
def rules_check_command(specs: tuple[str, ...], suricata_config: str | None) -> None:
    """Report every rule that does not load as `file:line sid=N keyword=K: reason`."""
    logs.configure("error")
    try:
        config = load_suricata_yaml(suricata_config, [])
        loaded = load_ruleset(specs, config)
    except (SensorError, RuleError, OSError) as e:
        _fail(str(e))
        return
    report = loaded.report
    for problem in sorted(report.failed + report.unsupported, key=lambda p: (p.file, p.line)):
        kind = "unsupported" if problem.unsupported else "error"
        click.echo(f"{problem} [{kind}]")
    click.echo(
        f"loaded {len(report.rules)}, unsupported {len(report.unsupported)}, failed {len(report.failed)}"
    )
    sys.exit(1 if report.failed else 0)


@click.command("keywords")
@click.option("--markdown", is_flag=True, help="print the table docs/rules.md is generated from")
def rules_keywords_command(markdown: bool) -> None:
    """List the rule keywords this engine matches, with their kind."""
    click.echo(keywords_table(markdown), nl=False)


def keywords_table(markdown: bool) -> str:
    """The keyword registry as text (or the Markdown of docs/rules.md)."""
    import sensor.detect.build  # noqa: F401  (registers every keyword)
    from sensor.detect.keywords.registry import KEYWORDS

    names = sorted(KEYWORDS)
    if not markdown:
        return "".join(f"{n:20} {KEYWORDS[n].kind:10} {KEYWORDS[n].doc}\n" for n in names)
    lines = [
        "# Rule keywords matched by the engine",
        "",
        "Generated by `pehredar rules keywords --markdown` from the keyword registry",
        "(`sensor/detect/keywords/registry.py`); a test keeps this file equal to its output.",
        "Every other Suricata 8 keyword is parsed and reported as unsupported, by sid and keyword.",
        "",
        "| keyword | kind | meaning |",
        "| --- | --- | --- |",
    ]
    lines += [f"| `{n}` | {KEYWORDS[n].kind} | {KEYWORDS[n].doc} |" for n in names]
    return "\n".join(lines) + "\n"
