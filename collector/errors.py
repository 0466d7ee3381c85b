"""Errors of the collector: each one ends a CLI command with exit 1 and one line.

    CollectorError            root; the CLI prints `pehredar: error: <message>` and exits 1
    ├── ConfigError           a bad option value or data directory (sectors file, listen address, TLS files)
    ├── StoreError            the database cannot be opened, or its schema is not one this build reads
    │   └── StoreBusy         the database stayed locked past the busy timeout (ingest answers 503)
    ├── EnrollmentError       enroll/revoke refused: bad public key, unknown sector, key already
    │                         enrolled or revoked, sensor moved between sectors, nothing to revoke
    └── RulesLoadError        a --rules path or glob matches nothing or cannot be read

A refused batch is not an error: ingest returns a `Refusal` (collector.refusals)
and the HTTP edge turns it into a 4xx answer.
"""

from __future__ import annotations


class CollectorError(Exception):
    """Root of every error the collector raises."""


class ConfigError(CollectorError):
    """An option or a file in the data directory has a value the collector cannot use."""


class StoreError(CollectorError):
    """The database cannot be opened or used."""


class StoreBusy(StoreError):
    """The database stayed locked (by another writer, a backup, a long query) past the busy timeout."""


class EnrollmentError(CollectorError):
    """An enroll or revoke request was refused."""


class RulesLoadError(CollectorError):
    """A rules path or glob matched no file, or a file could not be read."""
