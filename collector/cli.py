"""`pehredar collector ...`: run the service, enroll and revoke sensor keys, query the store.

    run        serve POST /v1/batches and the query API until SIGTERM/SIGINT
    enroll     add a sensor's Ed25519 public key (takes effect on a running collector)
    revoke     revoke all keys of a sensor, or one key
    sensors    enrolled sensors and their keys
    alerts     stored alerts (table, or --json with "verified" per alert)
    gaps       missing batch_seq / alert seq ranges and chain breaks
    verify     re-verify every stored frame and the alerts it stored; exit 1 on any failure
    export-eve stored alerts as EVE-JSON lines

A CollectorError ends the command with one line `pehredar: error: ...` and exit 1;
bad arguments exit 2 (the shell's group formats both).
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from collector import keys as keys_mod
from collector.audit import AlertVerifier, verify_store
from collector.config import LOG_LEVELS, CollectorConfig, parse_listen
from collector.errors import CollectorError
from collector.output import alert_json, eve_record, ip_text, iso_utc, proto_name, signature_text
from collector.store import AlertQuery, SqliteStore
from collector.verify import DEFAULT_MAX_BATCH_BYTES

F = TypeVar("F", bound=Callable[..., Any])

_DATA = click.option(
    "--data", "data_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
    help="collector data directory (collector.db, optional sectors file)",
)  # fmt: skip


def _one_line_errors(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except CollectorError as e:
            raise click.ClickException(str(e)) from None

    return wrapper  # type: ignore[return-value]


@click.group("collector")
def collector() -> None:
    """Receive, verify and store signed alert batches (the CERT side)."""


@collector.command("run")
@click.option("--listen", required=True, metavar="HOST:PORT", help="address to serve on; port 0 = ephemeral")
@_DATA
@click.option("--port-file", type=click.Path(dir_okay=False, path_type=Path), help="write the bound port here")
@click.option("--tls-cert", type=click.Path(dir_okay=False, path_type=Path), help="PEM certificate (enables TLS)")
@click.option("--tls-key", type=click.Path(dir_okay=False, path_type=Path), help="PEM private key for --tls-cert")
@click.option("--tls-client-ca", type=click.Path(dir_okay=False, path_type=Path),
              help="require client certificates signed by this CA")  # fmt: skip
@click.option("--max-batch-bytes", type=click.IntRange(min=1), default=DEFAULT_MAX_BATCH_BYTES, show_default=True)
@click.option("--store-busy-timeout", type=click.FloatRange(min=0), default=5.0, show_default=True,
              help="seconds a batch waits for the database's write lock before the answer is 503 store_busy")
@click.option("--rules", "rules", multiple=True, metavar="PATH_OR_GLOB", help="rule files for alert messages")
@click.option("--log-level", type=click.Choice(LOG_LEVELS), default="info", show_default=True)
@_one_line_errors
def run_command(listen: str, data_dir: Path, port_file: Path | None, tls_cert: Path | None, tls_key: Path | None,
                tls_client_ca: Path | None, max_batch_bytes: int, store_busy_timeout: float, rules: tuple[str, ...],
                log_level: str) -> None:
    """Serve until SIGTERM or SIGINT."""
    from collector.app import run

    host, port = parse_listen(listen)
    run(CollectorConfig(
        host=host, port=port, data_dir=data_dir, port_file=port_file, tls_cert=tls_cert, tls_key=tls_key,
        tls_client_ca=tls_client_ca, max_batch_bytes=max_batch_bytes, store_busy_timeout=store_busy_timeout,
        rules=rules, log_level=log_level,
    ))  # fmt: skip


@collector.command("enroll")
@_DATA
@click.option("--sensor-id", required=True)
@click.option("--sector", required=True, help="one of the configured sectors (default list or DATA/sectors)")
@click.option("--public-key", "public_key", required=True, type=click.Path(dir_okay=False, path_type=Path))
@_one_line_errors
def enroll_command(data_dir: Path, sensor_id: str, sector: str, public_key: Path) -> None:
    """Enroll a sensor's Ed25519 public key."""
    store = SqliteStore(data_dir)
    try:
        kid = keys_mod.enroll(store, data_dir, sensor_id, sector, public_key)
    finally:
        store.close()
    click.echo(f"enrolled key {kid} for sensor {sensor_id} (sector {sector})")


@collector.command("revoke")
@_DATA
@click.option("--sensor-id", help="revoke every key of this sensor")
@click.option("--key-id", help="revoke this one key")
@_one_line_errors
def revoke_command(data_dir: Path, sensor_id: str | None, key_id: str | None) -> None:
    """Revoke a sensor's keys or one key; batches signed with them are refused with 410."""
    if (sensor_id is None) == (key_id is None):
        raise click.UsageError("give exactly one of --sensor-id or --key-id")
    store = SqliteStore(data_dir, create=False)
    try:
        revoked = keys_mod.revoke(store, sensor_id=sensor_id, key_id=key_id)
    finally:
        store.close()
    if revoked:
        click.echo(f"revoked {len(revoked)} key(s): {', '.join(revoked)}")
    else:
        click.echo("already revoked")


@collector.command("sensors")
@_DATA
@click.option("--json", "as_json", is_flag=True, help="one JSON array")
@_one_line_errors
def sensors_command(data_dir: Path, as_json: bool) -> None:
    """List enrolled sensors, their keys and what they delivered."""
    store = SqliteStore(data_dir, create=False)
    try:
        sensors = store.sensors()
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(sensors, indent=2))
        return
    click.echo(f"{'SENSOR':<24} {'SECTOR':<12} {'BATCHES':>8} {'ALERTS':>9}  {'LAST BATCH':<27} KEYS")
    for s in sensors:
        keys = ", ".join(k["key_id"] + (" (revoked)" if k["revoked_us"] is not None else "") for k in s["keys"])
        last = iso_utc(s["last_batch_us"]) if s["last_batch_us"] else "-"
        click.echo(f"{s['sensor_id']:<24} {s['sector']:<12} {s['batches']:>8} {s['alerts']:>9}  {last:<27} {keys}")


@collector.command("alerts")
@_DATA
@click.option("--json", "as_json", is_flag=True, help="one JSON array, each alert with \"verified\"")
@click.option("--sensor", help="only this sensor id")
@click.option("--sid", type=int, help="only this signature id")
@click.option("--limit", type=click.IntRange(min=1), help="only the newest N (default: all)")
@_one_line_errors
def alerts_command(data_dir: Path, as_json: bool, sensor: str | None, sid: int | None, limit: int | None) -> None:
    """Stored alerts, oldest first."""
    store = SqliteStore(data_dir, create=False)
    try:
        rows = store.alerts(AlertQuery(sensor=sensor, sid=sid, limit=limit, newest=limit is not None))
        verifier = AlertVerifier(store)
        if as_json:
            click.echo(json.dumps([alert_json(r, verifier) for r in rows], indent=1))
            return
        click.echo(f"{'TIME (UTC)':<27} {'SENSOR':<16} {'SECTOR':<10} {'SID':>9} {'PROTO':<5} "
                   f"{'SOURCE':<40} {'DESTINATION':<40} OK  SIGNATURE")  # fmt: skip
        for r in rows:
            src = _endpoint(r["src_ip"], r["src_port"], r["proto"])
            dst = _endpoint(r["dest_ip"], r["dest_port"], r["proto"])
            ok = "yes" if verifier(r) else "NO "
            click.echo(f"{iso_utc(r['ts_us']):<27} {r['sensor_id']:<16} {r['sector'] or '-':<10} {r['sid']:>9} "
                       f"{proto_name(r['proto']):<5} {src:<40} {dst:<40} {ok} {signature_text(r)}")  # fmt: skip
    finally:
        store.close()


def _endpoint(raw: bytes, port: int, proto: int) -> str:
    ip = ip_text(raw) or "-"
    if proto not in (6, 17, 132):
        return ip
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


@collector.command("gaps")
@_DATA
@click.option("--json", "as_json", is_flag=True, help="one JSON array")
@_one_line_errors
def gaps_command(data_dir: Path, as_json: bool) -> None:
    """Batch and alert sequence ranges that never arrived, and hash-chain breaks."""
    store = SqliteStore(data_dir, create=False)
    try:
        gaps = store.gaps()
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(gaps, indent=1))
        return
    if not gaps:
        click.echo("no gaps")
    for g in gaps:
        where = f"{g['sensor_id']} epoch {g['epoch']}"
        if g["kind"] == "chain_break":
            click.echo(f"{where}: chain break at batch {g['batch_seq']} (prev_hash {g['prev_hash'][:16]}..., "
                       f"stored batch {g['batch_seq'] - 1} hashes to {g['expected_prev_hash'][:16]}...)")  # fmt: skip
        else:
            what = "batches" if g["kind"] == "batch_seq" else "alert seqs"
            span = str(g["first"]) if g["first"] == g["last"] else f"{g['first']}-{g['last']}"
            click.echo(f"{where}: missing {what} {span} ({g['last'] - g['first'] + 1})")


@collector.command("verify")
@_DATA
@_one_line_errors
def verify_command(data_dir: Path) -> None:
    """Re-verify every stored frame against its enrolled key, and every alert against its frame."""
    store = SqliteStore(data_dir, create=False)
    try:
        report = verify_store(store, on_failure=lambda msg: click.echo(f"FAILED {msg}"))
    finally:
        store.close()
    click.echo(f"frames: {report.frames_ok} verified, {report.frames_failed} failed; "
               f"alerts: {report.alerts_ok} verified, {report.alerts_failed} failed")  # fmt: skip
    if not report.ok:
        sys.exit(1)


@collector.command("export-eve")
@_DATA
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="file to write (default: stdout)")
@_one_line_errors
def export_eve_command(data_dir: Path, out: Path | None) -> None:
    """Stored alerts as Suricata EVE-JSON alert lines, oldest first."""
    store = SqliteStore(data_dir, create=False)
    try:
        rows = store.alerts(AlertQuery())
    finally:
        store.close()
    lines = (json.dumps(eve_record(r), separators=(",", ":")) + "\n" for r in rows)
    if out is None:
        for line in lines:
            sys.stdout.write(line)
        return
    try:
        with out.open("w", encoding="utf-8") as fh:
            fh.writelines(lines)
    except OSError as e:
        raise click.ClickException(f"{out}: cannot write: {e.strerror}") from None
