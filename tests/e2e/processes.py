"""End-to-end helpers: real `pehredar` processes on 127.0.0.1 only.

The collector runs as a subprocess on an ephemeral port (port 0, read back from
its port file); keys, spools and databases live under pytest's tmp_path. Every
wait is bounded in time, and every process is stopped at teardown.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PEHREDAR = str(Path(sys.executable).parent / "pehredar")
SAMPLE_PCAP = ROOT / "pehredar" / "samples" / "sample.pcap"
SAMPLE_RULES = ROOT / "pehredar" / "samples" / "sample.rules"
CORPUS = ROOT.parent / "shared" / "corpus" / "suricata-verify"


def run(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run one `pehredar` command to completion."""
    proc = subprocess.run([PEHREDAR, *args], check=False, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"pehredar {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


def free_port() -> int:
    """A loopback port nobody listens on right now (for 'collector is down' scenarios)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Collector:
    data: Path
    proc: subprocess.Popen[str]
    url: str

    def alerts(self) -> list[dict[str, Any]]:
        return list(json.loads(run("collector", "alerts", "--data", str(self.data), "--json").stdout))

    def gaps(self) -> Any:
        return json.loads(run("collector", "gaps", "--data", str(self.data), "--json").stdout)

    def enroll(self, sensor_id: str, public_key: Path, sector: str = "telecom") -> None:
        run("collector", "enroll", "--data", str(self.data), "--sensor-id", sensor_id, "--sector", sector,
            "--public-key", str(public_key))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def start_collector(data: Path, port: int = 0, *extra: str, scheme: str = "http") -> Collector:
    """Start `pehredar collector run` and wait (bounded) until it listens (`scheme` https with --tls-*)."""
    port_file = data.parent / f"{data.name}.port"
    port_file.unlink(missing_ok=True)
    proc = subprocess.Popen(
        [PEHREDAR, "collector", "run", "--listen", f"127.0.0.1:{port}", "--data", str(data),
         "--port-file", str(port_file), "--rules", str(SAMPLE_RULES), *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if port_file.exists() and port_file.read_text().strip():
            bound = int(port_file.read_text().strip())
            return Collector(data, proc, f"{scheme}://127.0.0.1:{bound}")
        if proc.poll() is not None:
            raise AssertionError(f"collector exited {proc.returncode}: {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("collector did not report its port within 30 s")


@dataclass
class Sensor:
    sensor_id: str
    keys: Path
    spool: Path

    @property
    def private_key(self) -> Path:
        return self.keys / "private.key"

    @property
    def public_key(self) -> Path:
        return self.keys / "public.key"

    def replay(self, pcap: Path, rules: Path, *extra: str) -> None:
        run("sensor", "replay", str(pcap), "--rules", str(rules), "--spool", str(self.spool),
            "--sensor-id", self.sensor_id, *extra)

    def drain_args(self, url: str, *extra: str) -> list[str]:
        return ["forwarder", "drain", "--spool", str(self.spool), "--collector", url,
                "--key", str(self.private_key), *extra]


def make_sensor(tmp_path: Path, sensor_id: str = "pk-telecom-01") -> Sensor:
    keys = tmp_path / f"keys-{sensor_id}"
    run("keys", "init", "--out", str(keys))
    return Sensor(sensor_id, keys, tmp_path / f"spool-{sensor_id}")


def popen(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([PEHREDAR, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def kill9(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)

