"""CollectorConfig: what `collector run` needs, validated once, passed down explicitly."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

from collector.errors import ConfigError
from collector.verify import DEFAULT_MAX_BATCH_BYTES

LOG_LEVELS = ("debug", "info", "warning", "error")


@dataclass(frozen=True, slots=True)
class CollectorConfig:
    host: str = field(metadata={"doc": "address to listen on (IPv4 or IPv6 literal, or localhost)"})
    port: int = field(metadata={"doc": "TCP port; 0 binds an ephemeral port (printed and written to port_file)"})
    data_dir: Path = field(metadata={"doc": "directory of collector.db and the optional sectors file"})
    port_file: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_client_ca: Path | None = field(default=None, metadata={"doc": "require client certificates signed by it"})
    max_batch_bytes: int = DEFAULT_MAX_BATCH_BYTES
    store_busy_timeout: float = field(
        default=5.0, metadata={"doc": "seconds a batch waits for the database's write lock before a 503"}
    )
    rules: tuple[str, ...] = ()
    log_level: str = "info"

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"listen port {self.port} is outside 0..65535")
        if self.host != "localhost":
            try:
                ipaddress.ip_address(self.host)
            except ValueError:
                raise ConfigError(f"listen host {self.host!r} is not an IP address") from None
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ConfigError("--tls-cert and --tls-key go together")
        if self.tls_client_ca is not None and self.tls_cert is None:
            raise ConfigError("--tls-client-ca needs --tls-cert and --tls-key")
        for p in (self.tls_cert, self.tls_key, self.tls_client_ca):
            if p is not None and not p.is_file():
                raise ConfigError(f"{p}: no such file")
        if self.max_batch_bytes < 128:
            raise ConfigError(f"--max-batch-bytes {self.max_batch_bytes} is too small for any batch")
        if self.log_level not in LOG_LEVELS:
            raise ConfigError(f"log level {self.log_level!r} is not one of {', '.join(LOG_LEVELS)}")

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None


def parse_listen(text: str) -> tuple[str, int]:
    """HOST:PORT, with [v6]:PORT for IPv6."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ConfigError(f"--listen {text!r} is not HOST:PORT")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, int(port)
