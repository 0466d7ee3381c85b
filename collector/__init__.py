"""The collector: receives Ed25519-signed alert batches, verifies them, stores each alert once.

Step 10 of 10 (collect). verify.py and ingest.py are the sans-IO pipeline,
store.py the storage interface (SQLite by default), app.py the ASGI edge and
server, cli.py the `pehredar collector` commands. Depends on alertwire and rules,
never on sensor or forwarder. docs/collector.md describes what it stores and answers.
"""

from collector.errors import CollectorError, ConfigError, EnrollmentError, RulesLoadError, StoreError
from collector.ingest import Accepted, Ingest
from collector.refusals import REFUSALS, Refusal
from collector.store import SqliteStore, Store
from collector.verify import VerifiedBatch, verify_batch

__all__ = [
    "REFUSALS",
    "Accepted",
    "CollectorError",
    "ConfigError",
    "EnrollmentError",
    "Ingest",
    "Refusal",
    "RulesLoadError",
    "SqliteStore",
    "Store",
    "StoreError",
    "VerifiedBatch",
    "verify_batch",
]
