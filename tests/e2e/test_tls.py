"""The forwarder ships over TLS with the CERT's CA pinned, a client certificate and HTTP/2; a collector
whose certificate another CA signed is never trusted, and nothing is lost while it is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from processes import SAMPLE_PCAP, SAMPLE_RULES, Collector, Sensor, run, start_collector
from testpki import make_cert


@pytest.fixture
def tls_collector(tmp_path: Path, sensor: Sensor) -> tuple[Collector, dict[str, Path]]:
    pki = tmp_path / "pki"
    pki.mkdir()
    ca_crt, _, ca_cert, ca_key = make_cert(pki, "cert-ca", ca=True)
    srv_crt, srv_key, _, _ = make_cert(pki, "collector", (ca_cert, ca_key))
    cli_crt, cli_key, _, _ = make_cert(pki, "sensor", (ca_cert, ca_key))
    other_ca, _, _, _ = make_cert(pki, "other-ca", ca=True)
    data = tmp_path / "collector"
    run("collector", "enroll", "--data", str(data), "--sensor-id", sensor.sensor_id, "--sector", "kp",
        "--public-key", str(sensor.public_key))
    c = start_collector(data, 0, "--tls-cert", str(srv_crt), "--tls-key", str(srv_key),
                        "--tls-client-ca", str(ca_crt), scheme="https")
    yield c, {"ca": ca_crt, "client_cert": cli_crt, "client_key": cli_key, "other_ca": other_ca}
    c.stop()


def test_pinned_ca_client_certificate_and_http2(tls_collector: tuple[Collector, dict[str, Path]],
                                                sensor: Sensor) -> None:
    collector, pki = tls_collector
    sensor.replay(SAMPLE_PCAP, SAMPLE_RULES)
    client = ("--client-cert", str(pki["client_cert"]), "--client-key", str(pki["client_key"]))

    wrong = run(*sensor.drain_args(collector.url, "--ca", str(pki["other_ca"]), *client, "--http2",
                                   "--max-wait", "3", "--retry-cap", "0.5"), check=False)
    assert wrong.returncode == 1  # never trusted; retried until --max-wait, nothing lost
    assert "nothing is lost" in wrong.stderr
    assert collector.alerts() == []

    shipped = run(*sensor.drain_args(collector.url, "--ca", str(pki["ca"]), *client, "--http2",
                                     "--log-level", "info"))
    assert '"http_version": "HTTP/2"' in shipped.stdout
    stored = collector.alerts()
    assert sorted(a["seq"] for a in stored) == list(range(1, len(stored) + 1))
    assert len(stored) == 10 and all(a["verified"] for a in stored)
