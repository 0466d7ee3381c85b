"""`collector run` with TLS on 127.0.0.1: HTTP/2 by ALPN, and client certificates when required."""

from __future__ import annotations

import datetime
import ipaddress
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
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

PEHREDAR = str(Path(sys.executable).with_name("pehredar"))


def make_cert(directory: Path, name: str, issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None = None,
              *, ca: bool = False) -> tuple[Path, Path, x509.Certificate, ec.EllipticCurvePrivateKey]:  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder().subject_name(subject)
        .issuer_name(issuer[0].subject if issuer else subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )  # fmt: skip
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                        critical=False)  # fmt: skip
    cert = builder.sign(issuer[1] if issuer else key, hashes.SHA256())
    cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    return cert_path, key_path, cert, key


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
