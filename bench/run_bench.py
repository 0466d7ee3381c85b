"""Benchmark Pehredar against the reference Suricata on one pcap with the ET Open rules.

Each round runs both engines, alternating, on the same pcap and rules, each under /usr/bin/time -v:

- ours:     <repo>/.venv/bin/pehredar sensor replay PCAP --rules GLOB --eve /dev/null --stats-json FILE
- Suricata: ../shared/tools/peer/suricata --runmode single -k none -r PCAP -S ET_OPEN.rules -l FRESHDIR

Engine throughput excludes rule loading on both sides: ours reports engine_seconds and load_seconds
in its stats JSON; Suricata's engine time is the "time elapsed" of its log, its load time is the
moment it prints "Engine started." (measured from its start). For a like-for-like run, Suricata
writes only alerts and stats (as ours writes only alerts) and rebuilds its Hyperscan databases every
round (no on-disk MPM cache); --suricata-stock-outputs and --suricata-mpm-cache restore its defaults.

The table shows medians over the rounds and the ratios ours/Suricata, checked against the targets
(engine packets/s ratio >= 0.5, our load <= 10 s); --json-out writes every figure.

    .venv/bin/python bench/run_bench.py                      # generates bench/out/bench.pcap if missing
    .venv/bin/python bench/run_bench.py --rounds 5 --json-out bench/out/results.json
    .venv/bin/python bench/run_bench.py --skip-suricata      # reference not installed
"""

from __future__ import annotations

import argparse
import glob
import json
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
SHARED = REPO.parent / "shared"
DEFAULT_PCAP = BENCH_DIR / "out" / "bench.pcap"
DEFAULT_RULES = SHARED / "corpus" / "et-open" / "rules" / "*.rules"
DEFAULT_PEHREDAR = REPO / ".venv" / "bin" / "pehredar"
DEFAULT_SURICATA = SHARED / "tools" / "peer" / "suricata"

TARGET_PPS_RATIO = 0.5
TARGET_OUR_LOAD_SECONDS = 10.0

# Replaces the whole `outputs` list of Suricata's configuration (an --include'd sequence overrides
# the original one item by item): alerts and stats in eve.json, nothing else.
SURICATA_ALERTS_ONLY = """%YAML 1.1
---
outputs:
  - eve-log:
      enabled: yes
      filetype: regular
      filename: eve.json
      types:
        - alert
        - stats:
            totals: yes
            threads: no
"""


@dataclass(frozen=True)
class Resources:
    """What /usr/bin/time -v reports for a whole run."""

    wall_seconds: float
    cpu_seconds: float  # user + system
    peak_rss_mb: float


@dataclass
class Run:
    """One engine's figures for one round."""

    engine: str
    round: int
    packets: int
    bytes: int
    alerts: int
    engine_seconds: float
    load_seconds: float
    resources: Resources
    rules_loaded: int | None = None
    rules_unsupported: int | None = None  # failed to load, for Suricata
    alerts_by_sid: dict[int, int] = field(default_factory=dict)

    @property
    def packets_per_second(self) -> float:
        return self.packets / self.engine_seconds

    @property
    def mbit_per_second(self) -> float:
        return self.bytes * 8 / self.engine_seconds / 1e6

    def summary(self) -> dict[str, float | None]:
        return {
            "packets_per_s": self.packets_per_second,
            "mbit_per_s": self.mbit_per_second,
            "alerts": self.alerts,
            "load_s": self.load_seconds,
            "peak_mb": self.resources.peak_rss_mb,
            "engine_s": self.engine_seconds,
            "wall_s": self.resources.wall_seconds,
            "cpu_s": self.resources.cpu_seconds,
            "packets": self.packets,
            "rules_loaded": self.rules_loaded,
            "rules_unsupported": self.rules_unsupported,
        }


class BenchError(RuntimeError):
    """An engine failed or produced output that could not be read."""


# ------------------------------------------------------------------------------------- helpers


def parse_time_v(path: Path) -> Resources:
    text = path.read_text()
    fields = {
        name: re.search(pattern, text)
        for name, pattern in (
            ("rss", r"Maximum resident set size \(kbytes\): (\d+)"),
            ("wall", r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)"),
            ("user", r"User time \(seconds\): ([\d.]+)"),
            ("system", r"System time \(seconds\): ([\d.]+)"),
        )
    }
    if not all(fields.values()):
        raise BenchError(f"unreadable /usr/bin/time report {path}")
    values = {name: match.group(1) for name, match in fields.items() if match}
    wall = 0.0
    for part in values["wall"].split(":"):
        wall = wall * 60 + float(part)
    return Resources(wall, float(values["user"]) + float(values["system"]), int(values["rss"]) / 1024)


def concatenate_rules(pattern: str, out: Path) -> list[Path]:
    files = sorted(Path(p) for p in glob.glob(pattern))
    if not files:
        raise BenchError(f"no rule files match {pattern}")
    out.write_text("".join(f.read_text(errors="replace").rstrip("\n") + "\n" for f in files))
    return files


def ensure_pcap(pcap: Path) -> None:
    if pcap.exists():
        return
    print(f"{pcap} missing: generating it", flush=True)
    subprocess.run([sys.executable, str(BENCH_DIR / "gen_traffic.py"), "--out", str(pcap)], check=True)


def suricata_available(suricata: Path) -> bool:
    try:
        result = subprocess.run(
            [str(suricata), "-V"], check=False, capture_output=True, text=True, timeout=60
        )
    except OSError:
        return False
    return result.returncode == 0 and "Suricata version" in result.stdout


# -------------------------------------------------------------------------------------- engines


def run_ours(pehredar: Path, pcap: Path, rules_glob: str, workdir: Path, round_no: int) -> Run:
    workdir.mkdir(parents=True)
    stats_path, time_path = workdir / "stats.json", workdir / "time.txt"
    command = [
        "/usr/bin/time",
        "-v",
        "-o",
        str(time_path),
        str(pehredar),
        "sensor",
        "replay",
        str(pcap),
        "--rules",
        rules_glob,
        "--eve",
        "/dev/null",
        "--stats-json",
        str(stats_path),
    ]
    with (workdir / "stdout.txt").open("w") as out, (workdir / "stderr.txt").open("w") as err:
        code = subprocess.run(command, check=False, stdout=out, stderr=err).returncode
    if code != 0:
        tail = (workdir / "stderr.txt").read_text()[-2000:]
        raise BenchError(f"pehredar exited with {code}; stderr ends with:\n{tail}")
    stats = json.loads(stats_path.read_text())
    return Run(
        "pehredar",
        round_no,
        int(stats["packets"]),
        int(stats["bytes"]),
        int(stats["alerts"]),
        float(stats["engine_seconds"]),
        float(stats["load_seconds"]),
        parse_time_v(time_path),
        stats.get("rules_loaded"),
        stats.get("rules_unsupported"),
    )


def run_suricata(
    suricata: Path,
    pcap: Path,
    rules: Path,
    classification: Path,
    workdir: Path,
    round_no: int,
    *,
    alerts_only: bool,
    mpm_cache: bool,
) -> Run:
    logdir = workdir / "log"
    logdir.mkdir(parents=True)
    time_path = workdir / "time.txt"
    command = [
        "/usr/bin/time",
        "-v",
        "-o",
        str(time_path),
        str(suricata),
        "--runmode",
        "single",
        "-k",
        "none",
        "-r",
        str(pcap),
        "-S",
        str(rules),
        "-l",
        str(logdir),
        "--set",
        f"classification-file={classification}",
    ]
    if not mpm_cache:
        command += ["--set", "detect.sgh-mpm-caching=no"]
    if alerts_only:
        override = workdir / "alerts-only.yaml"
        override.write_text(SURICATA_ALERTS_ONLY)
        command += ["--include", str(override)]

    # Suricata prints "Engine started." on stdout once its rules are loaded: time it as it comes.
    started = time.monotonic()
    engine_started: float | None = None
    with (workdir / "stdout.txt").open("w") as transcript:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert process.stdout is not None
        for line in process.stdout:
            transcript.write(line)
            if engine_started is None and "Engine started" in line:
                engine_started = time.monotonic() - started
        code = process.wait()
    if code != 0:
        raise BenchError(f"suricata exited with {code}; see {workdir / 'stdout.txt'}")

    log = (logdir / "suricata.log").read_text()
    elapsed = re.search(r"time elapsed ([\d.]+)s", log)
    if elapsed is None or engine_started is None:
        raise BenchError(f"no 'Engine started' / 'time elapsed' in Suricata's output in {workdir}")
    stats: dict[str, Any] = {}
    sids: Counter[int] = Counter()
    with (logdir / "eve.json").open() as eve:
        for line in eve:
            if '"event_type":"alert"' in line:
                sids[json.loads(line)["alert"]["signature_id"]] += 1
            elif '"event_type":"stats"' in line:
                stats = json.loads(line)["stats"]
    if not stats:
        raise BenchError(f"no stats event in {logdir / 'eve.json'}")
    detect = stats.get("detect", {}).get("engines", [{}])[0]
    return Run(
        "suricata",
        round_no,
        stats["decoder"]["pkts"],
        stats["decoder"]["bytes"],
        sum(sids.values()),
        float(elapsed.group(1)),
        engine_started,
        parse_time_v(time_path),
        detect.get("rules_loaded"),
        detect.get("rules_failed"),
        dict(sids.most_common()),
    )


# -------------------------------------------------------------------------------------- results

Figures = dict[str, float | None]
TABLE_ROWS = (
    ("packets", "packets", "{:,.0f}"),
    ("engine seconds", "engine_s", "{:.3f}"),
    ("packets/s (engine)", "packets_per_s", "{:,.0f}"),
    ("Mbit/s (engine)", "mbit_per_s", "{:,.1f}"),
    ("alerts", "alerts", "{:,.0f}"),
    ("rules loaded", "rules_loaded", "{:,.0f}"),
    ("rules unsupported/failed", "rules_unsupported", "{:,.0f}"),
    ("load seconds", "load_s", "{:.2f}"),
    ("wall seconds", "wall_s", "{:.2f}"),
    ("CPU seconds (user+sys)", "cpu_s", "{:.2f}"),
    ("peak memory MB", "peak_mb", "{:,.0f}"),
)
RATIO_KEYS = ("packets_per_s", "mbit_per_s", "alerts", "load_s", "peak_mb", "engine_s", "cpu_s")


def medians(runs: list[Run]) -> Figures:
    summaries = [run.summary() for run in runs]
    result: Figures = {}
    for key in summaries[0]:
        values = [summary[key] for summary in summaries]
        known = [float(value) for value in values if value is not None]
        result[key] = statistics.median(known) if len(known) == len(values) else None
    return result


def ratios(ours: Figures, reference: Figures) -> dict[str, float]:
    result = {}
    for key in RATIO_KEYS:
        mine, theirs = ours.get(key), reference.get(key)
        if mine is not None and theirs:
            result[key] = mine / theirs
    return result


def print_table(figures: dict[str, Figures], ratio: dict[str, float]) -> None:
    engines = list(figures)
    header = f"{'median over rounds':<26}" + "".join(f"{name:>14}" for name in engines)
    print(header + (f"{'ours/suricata':>15}" if ratio else ""))
    print("-" * (len(header) + (15 if ratio else 0)))
    for label, key, fmt in TABLE_ROWS:
        values = [figures[engine].get(key) for engine in engines]
        cells = "".join(f"{'-' if value is None else fmt.format(value):>14}" for value in values)
        print(f"{label:<26}{cells}" + (f"{ratio[key]:>15.2f}" if key in ratio else ""))


def check_targets(figures: dict[str, Figures], ratio: dict[str, float]) -> list[str]:
    lines = []
    load = figures.get("pehredar", {}).get("load_s")
    if load is not None:
        verdict = "met" if load <= TARGET_OUR_LOAD_SECONDS else "MISSED"
        lines.append(f"our load {load:.2f} s (target <= {TARGET_OUR_LOAD_SECONDS:.0f} s): {verdict}")
    if "packets_per_s" in ratio:
        pps = ratio["packets_per_s"]
        verdict = "met" if pps >= TARGET_PPS_RATIO else "MISSED"
        lines.append(f"engine packets/s ours/suricata {pps:.2f} (target >= {TARGET_PPS_RATIO}): {verdict}")
    return lines


def report(runs: dict[str, list[Run]]) -> dict[str, object]:
    """Print the table of medians, ratios and targets; return them for --json-out."""
    figures = {engine: medians(engine_runs) for engine, engine_runs in runs.items()}
    ratio = ratios(figures["pehredar"], figures["suricata"]) if len(figures) == 2 else {}
    print()
    if "suricata" not in runs:
        print("Suricata was not run: ours only, no ratios.")
    print_table(figures, ratio)
    packet_counts = {engine: engine_figures["packets"] for engine, engine_figures in figures.items()}
    if len(set(packet_counts.values())) > 1:
        print(f"warning: the engines counted different packets: {packet_counts}")
    if "suricata" in runs:
        top = Counter(runs["suricata"][-1].alerts_by_sid).most_common(10)
        print("Suricata's most frequent sids (last round): " + ", ".join(f"{sid} x{n}" for sid, n in top))
    targets = check_targets(figures, ratio)
    for line in targets:
        print(line)
    return {
        "medians": figures,
        "ratios_ours_over_suricata": ratio,
        "targets": targets,
        "runs": {engine: [asdict(run) for run in engine_runs] for engine, engine_runs in runs.items()},
    }


# ----------------------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--pcap", type=Path, default=DEFAULT_PCAP, help="generated by gen_traffic.py if missing"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rules", default=str(DEFAULT_RULES), help="glob of the rule files (ET Open)")
    parser.add_argument("--json-out", type=Path)
    parser.add_argument("--workdir", type=Path, help="where runs write (default bench/out/run-TIMESTAMP)")
    parser.add_argument("--pehredar", type=Path, default=DEFAULT_PEHREDAR, help="our CLI")
    parser.add_argument("--suricata", type=Path, default=DEFAULT_SURICATA, help="the reference's wrapper")
    parser.add_argument("--skip-ours", action="store_true", help="run the reference only")
    parser.add_argument("--skip-suricata", action="store_true", help="run ours only")
    parser.add_argument(
        "--suricata-stock-outputs",
        action="store_true",
        help="keep Suricata's default outputs (full eve.json, fast.log, stats.log)",
    )
    parser.add_argument(
        "--suricata-mpm-cache",
        action="store_true",
        help="let Suricata reuse its on-disk Hyperscan cache (warm loads after the first)",
    )
    args = parser.parse_args(argv)
    if args.skip_ours and args.skip_suricata:
        parser.error("nothing to run")
    if not args.skip_ours and not args.pehredar.exists():
        parser.error(f"{args.pehredar} not found (pip install -e . in the venv, or --pehredar)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    pcap = args.pcap.resolve()
    workdir = (args.workdir or BENCH_DIR / "out" / time.strftime("run-%Y%m%d-%H%M%S")).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    ensure_pcap(pcap)
    rules = workdir / "et-open.rules"
    rule_files = concatenate_rules(args.rules, rules)
    classification = rule_files[0].parent / "classification.config"

    with_suricata = not args.skip_suricata
    if with_suricata and not suricata_available(args.suricata):
        print(
            f"reference Suricata not available at {args.suricata} "
            "(install: ../shared/tools/peer/setup-suricata.sh as root)"
        )
        with_suricata = False
        if args.skip_ours:
            return 2

    runs: dict[str, list[Run]] = {}
    print(f"pcap {pcap}; {len(rule_files)} rule files; {args.rounds} rounds; output in {workdir}", flush=True)
    for round_no in range(1, args.rounds + 1):
        round_runs = []
        if not args.skip_ours:
            round_runs.append(
                run_ours(args.pehredar, pcap, args.rules, workdir / f"round{round_no}-pehredar", round_no)
            )
        if with_suricata:
            round_runs.append(
                run_suricata(
                    args.suricata,
                    pcap,
                    rules,
                    classification,
                    workdir / f"round{round_no}-suricata",
                    round_no,
                    alerts_only=not args.suricata_stock_outputs,
                    mpm_cache=args.suricata_mpm_cache,
                )
            )
        for run in round_runs:
            runs.setdefault(run.engine, []).append(run)
            print(
                f"round {round_no} {run.engine}: {run.packets_per_second:,.0f} pkt/s, "
                f"load {run.load_seconds:.2f} s, {run.alerts} alerts, {run.resources.peak_rss_mb:,.0f} MB",
                flush=True,
            )

    results = report(runs)
    if args.json_out:
        document = {
            "pcap": str(pcap),
            "rules": args.rules,
            "rule_files": len(rule_files),
            "rounds": args.rounds,
            "suricata_outputs": "stock" if args.suricata_stock_outputs else "alerts+stats",
            "suricata_mpm_cache": args.suricata_mpm_cache,
            **results,
        }
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(document, indent=2) + "\n")
        print(f"results written to {args.json_out}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
