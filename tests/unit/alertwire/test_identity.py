"""Key files: created 0600, never overwritten, unsafe modes refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import alertwire as aw


def test_generate_and_load(tmp_path: Path) -> None:
    private, public, kid = aw.generate_identity(tmp_path / "id")
    assert os.stat(private).st_mode & 0o777 == 0o600
    key = aw.load_private_key(private)
    assert aw.key_id(aw.load_public_key(public)) == kid == aw.key_id(key.public_key())


def test_refuses_to_overwrite(tmp_path: Path) -> None:
    aw.generate_identity(tmp_path)
    before = (tmp_path / "private.key").read_bytes()
    with pytest.raises(aw.KeyFileError, match="refusing to overwrite"):
        aw.generate_identity(tmp_path)
    assert (tmp_path / "private.key").read_bytes() == before


def test_refuses_group_readable_private_key(tmp_path: Path) -> None:
    private, _, _ = aw.generate_identity(tmp_path)
    os.chmod(private, 0o640)
    with pytest.raises(aw.KeyFileError, match="chmod 600"):
        aw.load_private_key(private)


def test_refuses_non_keys(tmp_path: Path) -> None:
    junk = tmp_path / "junk.key"
    junk.write_text("hello")
    os.chmod(junk, 0o600)
    with pytest.raises(aw.KeyFileError, match="not a PEM private key"):
        aw.load_private_key(junk)
    with pytest.raises(aw.KeyFileError, match="not a PEM public key"):
        aw.load_public_key(junk)
    with pytest.raises(aw.KeyFileError, match="cannot read"):
        aw.load_public_key(tmp_path / "missing.key")


def test_public_api_is_deliberate() -> None:
    public = {name for name in dir(aw) if not name.startswith("_")}
    modules = {"codec", "envelope", "errors", "identity", "record", "clock", "spool", "community_id", "logs",
               "durable"}
    assert public - modules == set(aw.__all__)
