"""Benchmark of the delivery path: bytes per alert on the wire, alerts per second end to end.

1. Replays a capture with many hits (bench/wire.rules over bench/out/bench.pcap) into a spool and,
   in the same run, into Suricata-style EVE JSON, `--copies` times (the spool's sequence continues).
2. Size: EVE JSON bytes per alert (raw, gzip -6, zstd -3) against our batches of `--batch` alerts
   as signed frames (no compression, zlib, zstd), and the spool's raw record.
3. Speed, `--rounds` times on a fresh copy of the spool and a fresh collector database: a real
   `pehredar collector run` on 127.0.0.1 and a real `pehredar forwarder drain`. Two figures:
   shipping (alerts / the forwarder's own time from its first read to the last acknowledgement:
   read, batch, sign, POST, verify, store, ack) and whole command (alerts / wall time of the drain
   process, start-up included). Also the in-process stages alone: seal, verify+decode.
Prints medians. The machine is shared and noisy: use 3+ rounds.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import zstandard

import alertwire as aw
from alertwire.codec import BatchHeader
from alertwire.spool import SpoolReader

ROOT = Path(__file__).resolve().parents[1]
PEHREDAR = str(Path(sys.executable).parent / "pehredar")
SENSOR_ID = "bench-sensor-01"


def sh(*args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PEHREDAR, *args], check=True, capture_output=True, text=True, **kw)  # type: ignore[call-overload]


def prepare(work: Path, pcap: str, rules: str, copies: int) -> tuple[Path, Path, int]:
    spool, eve = work / "spool", work / "eve.json"
    for i in range(copies):
        sh("sensor", "replay", pcap, "--rules", rules, "--spool", str(spool), "--sensor-id", SENSOR_ID,
           *(("--eve", str(eve)) if i == 0 else ()))
    reader = SpoolReader(spool)
    total = reader.pending()
    reader.close()
    return spool, eve, total


def sizes(spool: Path, eve: Path, batch: int) -> dict[str, float]:
    raw = eve.read_bytes()
    eve_n = raw.count(b"\n")
    reader = SpoolReader(spool)
    records = reader.read(0, eve_n)
    reader.close()
    key = aw.load_private_key(KEY_PATH)
    kid = aw.key_id(key.public_key())
    out = {
        "alerts": eve_n,
        "eve_json_raw": len(raw) / eve_n,
        "eve_json_gzip": len(gzip.compress(raw, 6)) / eve_n,
        "eve_json_zstd": len(zstandard.ZstdCompressor(level=3).compress(raw)) / eve_n,
        "spool_record": sum(len(r.body) + 16 for r in records) / eve_n,
    }
    for name, comp in aw.COMPRESSIONS.items():
        total, prev = 0, bytes(32)
        for n, start in enumerate(range(0, len(records), batch), 1):
            chunk = records[start:start + batch]
            header = BatchHeader(
                sensor_id=SENSOR_ID, epoch=1, batch_seq=n, prev_hash=prev, first_seq=chunk[0].seq,
                last_seq=chunk[-1].seq, count=len(chunk), clock=aw.CLOCK_UNKNOWN,
                ruleset_version=chunk[0].ruleset_version, ruleset_hash=chunk[0].ruleset_hash, compression=comp,
                created_s=int(time.time()),
            )
            frame = aw.seal(header, aw.build_body([(r.seq, r.body) for r in chunk]), kid, key)
            prev = aw.parse_frame(frame).batch_hash
            total += len(frame)
        out[f"frame_{name}"] = total / eve_n
    return out


def stages(spool: Path, batch: int) -> dict[str, float]:
    """In-process seal and verify+decode rates (alerts/s) over the first `batch` records."""
    reader = SpoolReader(spool)
    records = reader.read(0, batch)
    reader.close()
    key = aw.load_private_key(KEY_PATH)
    kid = aw.key_id(key.public_key())
    header = BatchHeader(
        sensor_id=SENSOR_ID, epoch=1, batch_seq=1, prev_hash=bytes(32), first_seq=records[0].seq,
        last_seq=records[-1].seq, count=len(records), clock=aw.CLOCK_UNKNOWN, ruleset_version="",
        ruleset_hash=b"", compression=aw.COMPRESSION_ZSTD, created_s=0,
    )
    pairs = [(r.seq, r.body) for r in records]
    reps = 30
    t0 = time.perf_counter()
    for _ in range(reps):
        frame = aw.seal(header, aw.build_body(pairs), kid, key)
    t1 = time.perf_counter()
    for _ in range(reps):
        parsed = aw.parse_frame(frame)
        parsed.verify(key.public_key())
        h, body = aw.decode_payload(parsed.payload)
        aw.decode_body(aw.decompress(body, h.compression), h)
    t2 = time.perf_counter()
    n = len(records) * reps
    return {"seal_alerts_per_s": n / (t1 - t0), "verify_decode_alerts_per_s": n / (t2 - t1)}


def end_to_end(work: Path, spool: Path, total: int, batch: int, rnd: int) -> tuple[float, float]:
    """(shipping alerts/s, whole-command alerts/s) of one drain into a fresh collector."""
    run_spool = work / f"spool-{rnd}"
    shutil.copytree(spool, run_spool)
    for lock in run_spool.glob("*.lock"):
        lock.unlink()
    data = work / f"collector-{rnd}"
    sh("collector", "enroll", "--data", str(data), "--sensor-id", SENSOR_ID, "--sector", "national",
       "--public-key", str(KEY_PATH.parent / "public.key"))
    port_file = work / f"port-{rnd}"
    collector = subprocess.Popen(
        [PEHREDAR, "collector", "run", "--listen", "127.0.0.1:0", "--data", str(data), "--port-file", str(port_file),
         "--log-level", "warning"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            if time.monotonic() > deadline or collector.poll() is not None:
                raise SystemExit("collector did not start")
            time.sleep(0.05)
        url = f"http://127.0.0.1:{port_file.read_text().strip()}"
        t0 = time.perf_counter()
        out = sh("forwarder", "drain", "--spool", str(run_spool), "--collector", url, "--key", str(KEY_PATH),
                 "--batch-max-alerts", str(batch), "--batch-max-bytes", str(64 << 20), "--log-level", "info",
                 "--max-wait", "600").stdout
        elapsed = time.perf_counter() - t0
        finished = [json.loads(line) for line in out.splitlines() if '"drain_finished"' in line][-1]
        stored = json.loads(sh("collector", "alerts", "--data", str(data), "--json").stdout)
        if len(stored) != total:
            raise SystemExit(f"round {rnd}: collector stored {len(stored)} of {total} alerts")
    finally:
        collector.send_signal(signal.SIGTERM)
        collector.wait(timeout=30)
    shutil.rmtree(run_spool)
    return finished["alerts"] / finished["seconds"], total / elapsed


def main() -> None:
    global KEY_PATH
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pcap", default=str(ROOT / "bench" / "out" / "bench.pcap"))
    ap.add_argument("--rules", default=str(ROOT / "bench" / "wire.rules"))
    ap.add_argument("--copies", type=int, default=3, help="replays into the spool (more alerts to ship)")
    ap.add_argument("--batch", type=int, default=5000, help="alerts per batch (the forwarder's default)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json-out", default=None)
    args = ap.parse_args()
    if not os.path.exists(args.pcap):
        raise SystemExit(f"{args.pcap} missing: run bench/gen_traffic.py first")
    with tempfile.TemporaryDirectory(prefix="pehredar-wire-") as tmp:
        work = Path(tmp)
        sh("keys", "init", "--out", str(work / "keys"))
        KEY_PATH = work / "keys" / "private.key"
        spool, eve, total = prepare(work, args.pcap, args.rules, args.copies)
        size = sizes(spool, eve, args.batch)
        stage = stages(spool, args.batch)
        rates = [end_to_end(work, spool, total, args.batch, r) for r in range(args.rounds)]
    shipping = statistics.median(r[0] for r in rates)
    whole = statistics.median(r[1] for r in rates)
    print(f"alerts in one replay: {size['alerts']:.0f}; shipped per round: {total} in batches of {args.batch}")
    print("bytes per alert:")
    for name in ("eve_json_raw", "eve_json_gzip", "eve_json_zstd", "spool_record",
                 "frame_none", "frame_zlib", "frame_zstd"):
        print(f"  {name:16} {size[name]:8.1f}")
    print(f"  target <= 40 in batches: {'met' if size['frame_zstd'] <= 40 else 'MISSED'} "
          f"({size['eve_json_raw'] / size['frame_zstd']:.0f}x smaller than EVE JSON, "
          f"{size['eve_json_zstd'] / size['frame_zstd']:.1f}x smaller than zstd EVE JSON)")
    print(f"in-process: seal {stage['seal_alerts_per_s']:,.0f} alerts/s, verify+decode "
          f"{stage['verify_decode_alerts_per_s']:,.0f} alerts/s")
    print(f"end to end, real processes, median of {len(rates)} rounds:")
    print(f"  shipping (read, sign, POST, verify, store, ack): {shipping:,.0f} alerts/s "
          f"(rounds: {', '.join(f'{r[0]:,.0f}' for r in rates)}); target >= 50,000: "
          f"{'met' if shipping >= 50_000 else 'MISSED'}")
    print(f"  whole drain command, start-up included:         {whole:,.0f} alerts/s "
          f"(rounds: {', '.join(f'{r[1]:,.0f}' for r in rates)})")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"sizes": size, "stages": stage, "end_to_end": rates}, indent=2))


KEY_PATH = Path()

if __name__ == "__main__":
    main()
