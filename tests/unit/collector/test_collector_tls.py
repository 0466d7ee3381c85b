"""`collector run` with TLS on 127.0.0.1: HTTP/2 by ALPN, and client certificates when required."""

from __future__ import annotations

import signal
import ssl
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from collector_helpers import new_identity
from testpki import make_cert

PEHREDAR = str(Path(sys.executable).with_name("pehredar"))


@contextmanager
def collector(data: Path, *extra: str) -> Iterator[str]:
    proc = subprocess.Popen([PEHREDAR, "collector", "run", "--listen", "127.0.0.1:0", "--data", str(data), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("listening on https://127.0.0.1:"), (line, proc.poll())
        yield line.split()[-1]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate(timeout=5)


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, object]:
    ca_crt, _, ca_cert, ca_key = make_cert(tmp_path, "ca", ca=True)
    srv_crt, srv_key, _, _ = make_cert(tmp_path, "server", (ca_cert, ca_key))
    cli_crt, cli_key, _, _ = make_cert(tmp_path, "client", (ca_cert, ca_key))
    return {"ca": ca_crt, "srv": (srv_crt, srv_key), "cli": (cli_crt, cli_key)}


def test_tls_http2_and_client_certificates(tmp_path: Path, pki: dict) -> None:
    data = tmp_path / "data"
    ident = new_identity(tmp_path / "keys", "s1")
    subprocess.run([PEHREDAR, "collector", "enroll", "--data", str(data), "--sensor-id", "s1", "--sector", "gb",
                    "--public-key", str(ident.public_key_file)], check=True, capture_output=True, timeout=30)  # fmt: skip
    srv_crt, srv_key = pki["srv"]
    trust = ssl.create_default_context(cafile=str(pki["ca"]))
    with (
        collector(data, "--tls-cert", str(srv_crt), "--tls-key", str(srv_key)) as url,
        httpx.Client(base_url=url, verify=trust, http2=True, timeout=10) as c,
    ):
        r = c.post("/v1/batches", content=ident.batch(1, [1]))
        assert (r.status_code, r.http_version) == (200, "HTTP/2")

    with collector(data, "--tls-cert", str(srv_crt), "--tls-key", str(srv_key), "--tls-client-ca", str(pki["ca"])) as url:
        with httpx.Client(base_url=url, verify=trust, timeout=10) as c, pytest.raises(httpx.TransportError):
            c.get("/healthz")
        with_cert = ssl.create_default_context(cafile=str(pki["ca"]))
        with_cert.load_cert_chain(*map(str, pki["cli"]))
        with httpx.Client(base_url=url, verify=with_cert, http2=True, timeout=10) as c:
            assert c.post("/v1/batches", content=ident.batch(2, [2])).status_code == 200
