"""The real `pehredar collector run` on 127.0.0.1 port 0: announce, accept a batch, stop on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from collector_helpers import new_identity

PEHREDAR = str(Path(sys.executable).with_name("pehredar"))


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PEHREDAR, "collector", *args], capture_output=True, text=True, timeout=30, check=False)


def test_run_serves_http1_and_h2c_then_stops_on_sigterm(tmp_path: Path) -> None:
    data, port_file = tmp_path / "data", tmp_path / "port"
    ident = new_identity(tmp_path / "keys", "s1")
    assert run_cli("enroll", "--data", str(data), "--sensor-id", "s1", "--sector", "national",
                   "--public-key", str(ident.public_key_file)).returncode == 0  # fmt: skip
    proc = subprocess.Popen(
        [PEHREDAR, "collector", "run", "--listen", "127.0.0.1:0", "--data", str(data), "--port-file", str(port_file)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # bounded: the process either prints it or exits
        assert first.startswith("listening on http://127.0.0.1:"), (first, proc.poll())
        port = int(first.rsplit(":", 1)[1])
        deadline = time.monotonic() + 10
        while not (port_file.exists() and port_file.read_text().strip()) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert int(port_file.read_text()) == port
        url = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=url, timeout=10) as c:
            r = c.post("/v1/batches", content=ident.batch(1, [1, 2, 3]),
                       headers={"content-type": "application/octet-stream"})  # fmt: skip
            assert r.status_code == 200 and r.json()["stored"] == 3
            assert c.post("/v1/batches", content=b"junk").status_code == 400
        with httpx.Client(base_url=url, timeout=10, http1=False, http2=True) as c:  # h2c, prior knowledge
            r = c.post("/v1/batches", content=ident.batch(2, [4]))
            assert (r.status_code, r.http_version) == (200, "HTTP/2")
            assert c.get("/v1/alerts").json()["count"] == 4
        proc.send_signal(signal.SIGTERM)
        out, _err = proc.communicate(timeout=15)
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
    events = [json.loads(line)["event"] for line in out.splitlines() if line.startswith("{")]
    assert events.count("batch_stored") == 2 and "batch_refused" in events and events[-1] == "collector_stopped"
    alerts = json.loads(run_cli("alerts", "--data", str(data), "--json").stdout)
    assert len(alerts) == 4 and all(a["verified"] for a in alerts)


def test_port_in_use_is_one_line_exit_1(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        r = subprocess.run(
            [PEHREDAR, "collector", "run", "--listen", f"127.0.0.1:{port}", "--data", str(tmp_path / "d")],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
    assert r.returncode == 1
    assert r.stderr.startswith("pehredar: error: cannot listen on 127.0.0.1:") and r.stderr.count("\n") == 1
    assert "listening on" not in r.stdout
