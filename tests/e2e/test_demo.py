"""README's main command ends in tools/demo.sh: it must run end to end and show the verified alerts."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from processes import PEHREDAR, ROOT


def test_demo_shows_every_sample_alert_verified(tmp_path: Path) -> None:
    env = dict(os.environ, PEHREDAR=PEHREDAR, PEHREDAR_DEMO_DIR=str(tmp_path / "demo"))
    proc = subprocess.run(["bash", str(ROOT / "tools" / "demo.sh")], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=180, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = proc.stdout.split("== 6.")[1].splitlines()[2:]
    rows = [line for line in table if line.strip()]
    assert len(rows) == 10  # the bundled sample's alerts (tests/pcaps/gen.py)
    assert all(" yes " in row for row in rows)
    assert {row.split()[3] for row in rows} == {f"900000{i}" for i in range(1, 10)}
