"""`pehredar forwarder drain | run | inspect`: the forwarder's command contract.

    drain    ship until nothing is pending, exit 0; exit 1 at --max-wait (nothing is lost)
    run      ship and poll the spool until SIGTERM/SIGINT (a second signal abandons the
             request in flight; the outbox resends it at the next start)
    inspect  pending count, chain state, outbox and quarantine of a spool (read-only)

Options are only ever added. Bad arguments exit 2 with one line (pehredar.cli's group);
ForwarderError and AlertWireError exit 1 with one line `pehredar: error: ...`.
"""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Callable
from typing import Any, NoReturn, Self

import click
import structlog

from alertwire import COMPRESSIONS, AlertWireError
from alertwire.logs import configure_logging
from forwarder.app import describe, open_forwarder
from forwarder.clock import RealClock
from forwarder.config import ForwarderConfig
from forwarder.errors import ConfigError, ForwarderError, NotDrained
from forwarder.retry import RetryPolicy

_FILE = click.Path(exists=True, dir_okay=False, readable=True)


def _fail(message: str, code: int = 1) -> NoReturn:
    structlog.get_logger().bind(component="forwarder").error("fatal_error", error=message)
    click.echo(f"pehredar: error: {message}", err=True)
    sys.exit(code)


class _Signals:
    """First SIGTERM/SIGINT: stop after the request in flight. Second: abandon it now."""

    def __init__(self, clock: RealClock) -> None:
        self.stopping = False
        self._clock = clock
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> Self:
        self._previous = {sig: signal.signal(sig, self._handle) for sig in (signal.SIGTERM, signal.SIGINT)}
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def _handle(self, signum: int, frame: Any) -> None:
        if self.stopping:
            raise KeyboardInterrupt
        self.stopping = True
        self._clock.wake()
        structlog.get_logger().bind(component="forwarder").info("stop_requested", signal=signal.Signals(signum).name)


def _ship_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--spool", required=True, type=click.Path(file_okay=False), help="spool directory"),
        click.option("--collector", "collector_url", required=True, help="collector base URL (http:// or https://)"),
        click.option("--key", required=True, type=_FILE, help="Ed25519 private key (PEM, mode 0600)"),
        click.option("--ca", type=_FILE, default=None, help="PEM CA: the only CA trusted for the collector"),
        click.option("--client-cert", type=_FILE, default=None, help="PEM client certificate (mutual TLS)"),
        click.option("--client-key", type=_FILE, default=None, help="PEM key of --client-cert"),
        click.option("--http2", is_flag=True, help="use HTTP/2 (prior knowledge for http:// URLs)"),
        click.option("--compression", type=click.Choice(list(COMPRESSIONS)), default="zstd", show_default=True),
        click.option("--batch-max-alerts", type=click.IntRange(min=1), default=5000, show_default=True),
        click.option("--batch-max-bytes", type=click.IntRange(min=64), default=1 << 20, show_default=True),
        click.option("--batch-max-age", type=click.FloatRange(min=0), default=1.0, show_default=True,
                     help="seconds a partial batch waits for more alerts"),
        click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=30.0, show_default=True,
                     help="seconds per request"),
        click.option("--retry-base", type=click.FloatRange(min=0, min_open=True), default=0.5, show_default=True,
                     help="seconds; the first retry waits up to this, doubling per attempt (full jitter)"),
        click.option("--retry-cap", type=click.FloatRange(min=0, min_open=True), default=30.0, show_default=True,
                     help="seconds; no retry waits longer (an unknown key waits up to 10x this)"),
        click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]), default="info",
                     show_default=True),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _config(retry_base: float, retry_cap: float, **kw: Any) -> ForwarderConfig:
    try:
        retry = RetryPolicy(base=retry_base, cap=retry_cap, auth_cap=max(retry_cap * 10, retry_base))
    except ValueError as e:
        raise click.UsageError(f"--retry-base/--retry-cap: {e}") from None
    try:
        return ForwarderConfig(retry=retry, **kw)
    except ConfigError as e:
        raise click.UsageError(str(e)) from None


@click.group("forwarder")
def forwarder_group() -> None:
    """Ship spooled alerts, signed, to the CERT's collector."""


@forwarder_group.command("drain")
@_ship_options
@click.option("--max-wait", type=click.FloatRange(min=0), default=None,
              help="seconds; exit 1 if the spool is not drained by then (nothing is lost)")
def drain_command(log_level: str, max_wait: float | None, **kw: Any) -> None:
    """Ship until the spool has nothing pending, then exit 0."""
    cfg = _config(**kw)
    configure_logging(log_level, sys.stdout)
    clock = RealClock()
    signals = _Signals(clock)
    try:
        with signals, open_forwarder(cfg, clock) as fwd:
            if not fwd.drain(max_wait=max_wait, stop=lambda: signals.stopping):
                why = "stopped by signal" if signals.stopping else f"not drained within --max-wait {max_wait:g}s"
                raise NotDrained(f"{why}: {fwd.reader.pending()} record(s) still pending in {cfg.spool}; nothing is lost")
    except (ForwarderError, AlertWireError) as e:
        _fail(str(e))
    except KeyboardInterrupt:
        _fail("interrupted; unacknowledged batches stay in the spool and outbox")


@forwarder_group.command("run")
@_ship_options
@click.option("--poll-interval", type=click.FloatRange(min=0.01), default=1.0, show_default=True,
              help="seconds between spool polls when idle")
@click.option("--stats-interval", type=click.FloatRange(min=1), default=60.0, show_default=True,
              help="seconds between `stats` log events")
def run_command(log_level: str, **kw: Any) -> None:
    """Ship continuously until SIGTERM or SIGINT."""
    cfg = _config(**kw)
    configure_logging(log_level, sys.stdout)
    clock = RealClock()
    signals = _Signals(clock)
    try:
        with signals, open_forwarder(cfg, clock) as fwd:
            fwd.run(stop=lambda: signals.stopping)
    except (ForwarderError, AlertWireError) as e:
        _fail(str(e))
    except KeyboardInterrupt:
        _fail("interrupted; unacknowledged batches stay in the spool and outbox")


@forwarder_group.command("inspect")
@click.option("--spool", required=True, type=click.Path(exists=True, file_okay=False), help="spool directory")
@click.option("--json", "as_json", is_flag=True, help="one JSON object instead of text")
def inspect_command(spool: str, as_json: bool) -> None:
    """Print pending count, chain state, outbox and quarantine contents."""
    configure_logging("warning", sys.stdout)
    try:
        info = describe(spool)
    except (ForwarderError, AlertWireError) as e:
        _fail(str(e))
    if as_json:
        click.echo(json.dumps(info, indent=2, sort_keys=True))
        return
    click.echo(f"spool:       {info['spool']}")
    if "sensor_id" in info:
        click.echo(f"sensor_id:   {info['sensor_id']}")
        click.echo(f"epoch:       {info['epoch']}")
        click.echo(f"spool acked: {info['spool_acked_seq']}")
    pending = info["pending"]
    click.echo(f"pending:     {'unknown (' + info['note'] + ')' if pending is None else pending}")
    chain = info["chain"]
    if chain is None:
        click.echo("chain:       none yet (no batch acknowledged)")
    else:
        click.echo(f"chain:       epoch {chain['epoch']} batch_seq {chain['batch_seq']} acked_seq {chain['acked_seq']}"
                   f" hash {chain['batch_hash']}")
    click.echo(f"outbox:      {len(info['outbox'])} frame(s)")
    for item in info["outbox"]:
        click.echo(f"  {item['path']}: " + ", ".join(f"{k}={v}" for k, v in item.items() if k != "path"))
    click.echo(f"quarantine:  {len(info['quarantine'])} frame(s)")
    for item in info["quarantine"]:
        click.echo(f"  {item['path']}: reason={item.get('reason')} status={item.get('status')}"
                   f" batch_seq={item.get('batch_seq')} seqs={item.get('first_seq')}..{item.get('last_seq')}")
