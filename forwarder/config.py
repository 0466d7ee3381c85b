"""ForwarderConfig: every setting of `drain` and `run`, frozen, with its help text.

Defaults live here (STYLE.md section 4, Config objects); the CLI builds one from its options
and app.py passes the parts down. Nothing reads config globally.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from alertwire import COMPRESSIONS
from forwarder.errors import ConfigError
from forwarder.retry import RetryPolicy


@dataclass(frozen=True, slots=True)
class ForwarderConfig:
    spool: str = field(metadata={"doc": "spool directory the sensor writes (alertwire.spool)"})
    collector_url: str = field(metadata={"doc": "collector base URL; batches go to {url}/v1/batches"})
    key: str = field(metadata={"doc": "the sensor's Ed25519 private key (PEM, mode 0600)"})
    ca: str | None = field(default=None, metadata={"doc": "PEM CA bundle: the only CA trusted for the collector"})
    client_cert: str | None = field(default=None, metadata={"doc": "PEM client certificate for mutual TLS"})
    client_key: str | None = field(default=None, metadata={"doc": "PEM key of the client certificate"})
    http2: bool = field(default=False, metadata={"doc": "HTTP/2 (prior knowledge for http:// URLs)"})
    compression: str = field(default="zstd", metadata={"doc": "batch body compression: zstd, zlib or none"})
    batch_max_alerts: int = field(default=5000, metadata={"doc": "alerts per batch at most"})
    batch_max_bytes: int = field(default=1 << 20, metadata={"doc": "uncompressed body bytes per batch at most"})
    batch_max_age: float = field(default=1.0, metadata={"doc": "seconds a partial batch waits for more alerts"})
    timeout: float = field(default=30.0, metadata={"doc": "seconds per HTTP request (connect, read, write)"})
    poll_interval: float = field(default=1.0, metadata={"doc": "seconds between spool polls when idle"})
    stats_interval: float = field(default=60.0, metadata={"doc": "seconds between `stats` log events"})
    read_limit: int = field(default=1000, metadata={"doc": "records read from the spool per call"})
    retry: RetryPolicy = field(default_factory=RetryPolicy, metadata={"doc": "backoff for RETRY outcomes"})

    def __post_init__(self) -> None:
        if not self.collector_url.startswith(("http://", "https://")):
            raise ConfigError(f"--collector {self.collector_url!r}: must be an http:// or https:// URL")
        if self.compression not in COMPRESSIONS:
            raise ConfigError(f"--compression {self.compression!r}: choose one of {', '.join(COMPRESSIONS)}")
        if (self.client_cert is None) != (self.client_key is None) and self.client_cert is None:
            raise ConfigError("--client-key needs --client-cert")
        for name in ("batch_max_alerts", "batch_max_bytes", "read_limit"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1")
        for name in ("batch_max_age", "poll_interval", "stats_interval"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must not be negative")
        if self.timeout <= 0:
            raise ConfigError("timeout must be positive")
