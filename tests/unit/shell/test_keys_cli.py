"""`pehredar keys init|show`: the identity commands of the command contract."""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner

from alertwire import key_id, load_public_key
from pehredar.cli import main


def test_init_creates_a_private_0600_identity(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["keys", "init", "--out", str(tmp_path / "id")])
    assert result.exit_code == 0, result.output
    assert os.stat(tmp_path / "id" / "private.key").st_mode & 0o777 == 0o600
    kid = key_id(load_public_key(tmp_path / "id" / "public.key"))
    assert f"key id {kid}" in result.output
    shown = CliRunner().invoke(main, ["keys", "show", str(tmp_path / "id" / "private.key")])
    assert shown.output.strip() == kid


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    CliRunner().invoke(main, ["keys", "init", "--out", str(tmp_path)])
    before = (tmp_path / "private.key").read_bytes()
    result = CliRunner().invoke(main, ["keys", "init", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "refusing to overwrite" in result.stderr
    assert (tmp_path / "private.key").read_bytes() == before


def test_show_names_a_bad_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["keys", "show", str(tmp_path / "nope.key")])
    assert result.exit_code == 1
    assert "nope.key" in result.stderr
