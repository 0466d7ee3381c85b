"""The one `pehredar` command: dispatches to each role's subcommands.

    pehredar sensor replay ...      offline detection (sensor.cli)
    pehredar rules check|keywords   rule validation against this engine (sensor.cli)

Later roles (forwarder, collector, keys) add their groups here.
"""

from __future__ import annotations

import click

from sensor.cli import replay_command, rules_check_command, rules_keywords_command


@click.group()
@click.version_option(package_name="pehredar")
def main() -> None:
    """Pehredar: network sensor and signed alert forwarding for CERTs."""


@main.group()
def sensor() -> None:
    """Capture, decode and detect."""


@main.group()
def rules() -> None:
    """Check Suricata-format rules against this engine."""


sensor.add_command(replay_command)
rules.add_command(rules_check_command)
rules.add_command(rules_keywords_command)
