"""Errors of the forwarder (reads the spool, signs, ships to the collector).

    ForwarderError
    ├── ConfigError        an option value the command line could not refuse by itself
    ├── SigningKeyError    the Ed25519 private key is missing, unsafe (group/other access) or not Ed25519
    ├── StateError         <spool>/forwarder/ holds state that cannot be read or trusted
    │   └── SpoolLocked        another forwarder already holds this spool
    └── NotDrained         `drain` reached --max-wait with records still pending (nothing is lost)

Collector answers are not exceptions: shipper.py maps them (and every httpx error) to an
Outcome. alertwire errors (SpoolError, KeyFileError, ...) pass through; the CLI reports both
roots as one line and exits 1.
"""

from __future__ import annotations


class ForwarderError(Exception):
    """Root of every error the forwarder raises."""


class ConfigError(ForwarderError):
    """An option value that is refused (bad URL, inconsistent TLS options)."""


class SigningKeyError(ForwarderError):
    """The signing key cannot be used."""


class StateError(ForwarderError):
    """The forwarder's durable state is unreadable or inconsistent."""


class SpoolLocked(StateError):
    """Another forwarder process holds the spool's forwarder lock."""


class NotDrained(ForwarderError):
    """`drain` gave up at its deadline; every unshipped record is still in the spool."""
