"""forwarder: reads the spool, batches, signs with Ed25519, ships with httpx (steps 8-9 of 10).

It deletes from the spool only after the collector acknowledges; see docs/forwarder.md.
It depends on alertwire and httpx, never on sensor, rules or collector.
"""

from forwarder.batcher import Batch, Batcher
from forwarder.clock import Clock, FakeClock, RealClock
from forwarder.errors import ConfigError, ForwarderError, NotDrained, SigningKeyError, SpoolLocked, StateError
from forwarder.retry import RetryPolicy, backoff, next_delay
from forwarder.shipper import Outcome, Result, Shipper, classify
from forwarder.signer import ChainPosition, Signer, load_signing_key
from forwarder.state import ChainState, StateStore

__all__ = [
    "Batch",
    "Batcher",
    "ChainPosition",
    "ChainState",
    "Clock",
    "ConfigError",
    "FakeClock",
    "ForwarderError",
    "NotDrained",
    "Outcome",
    "RealClock",
    "Result",
    "RetryPolicy",
    "Shipper",
    "Signer",
    "SigningKeyError",
    "SpoolLocked",
    "StateError",
    "StateStore",
    "backoff",
    "classify",
    "load_signing_key",
    "next_delay",
]
