"""`pehredar keys`: create and show Ed25519 sensor identities.

`keys init --out DIR` writes private.key (0600) and public.key, refusing to
overwrite either; the CERT enrolls public.key at its collector
(`pehredar collector enroll`). `keys show` prints the key id a frame will carry.
"""

from __future__ import annotations

import sys

import click

from alertwire import KeyFileError, generate_identity, key_id, load_private_key, load_public_key


@click.group("keys")
def keys_group() -> None:
    """Sensor identities (Ed25519 key pairs)."""


@keys_group.command("init")
@click.option("--out", "out_dir", required=True, type=str, help="directory for private.key and public.key")
def keys_init(out_dir: str) -> None:
    """Create a new identity in DIR (private.key 0600, public.key); never overwrites."""
    try:
        private, public, kid = generate_identity(out_dir)
    except KeyFileError as e:
        click.echo(f"pehredar: error: {e}", err=True)
        sys.exit(1)
    click.echo(f"key id {kid}\nprivate key {private} (keep it on this host, mode 0600)\npublic key {public} "
               "(enroll it at the collector)")


@keys_group.command("show")
@click.argument("key_file", type=str)
def keys_show(key_file: str) -> None:
    """Print the key id of a public or private key file."""
    try:
        try:
            kid = key_id(load_public_key(key_file))
        except KeyFileError:
            kid = key_id(load_private_key(key_file).public_key())
    except KeyFileError as e:
        click.echo(f"pehredar: error: {e}", err=True)
        sys.exit(1)
    click.echo(kid)
