"""The one `pehredar` command: dispatches to each role's subcommands.

    pehredar sensor replay ...      offline detection (sensor.cli)
    pehredar rules check|keywords   rule validation against this engine (sensor.cli)
    pehredar keys init|show         sensor identities (pehredar.keys)
    pehredar forwarder ...          ship the spool to the collector (forwarder.cli)
    pehredar collector ...          receive, verify, store, query (collector.cli)
"""

from __future__ import annotations

import sys
from typing import Any

import click

from collector.cli import collector as collector_group
from forwarder.cli import forwarder_group
from pehredar.keys import keys_group
from sensor.cli import replay_command, rules_check_command, rules_keywords_command


class _OneLineErrorsGroup(click.Group):
    """Usage errors (missing option, bad choice, unknown option) as one line and exit 2,
    like every other refusal of the command contract."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except click.exceptions.Abort:
            click.echo("pehredar: aborted", err=True)
            sys.exit(1)
        except click.ClickException as e:
            click.echo(f"pehredar: error: {e.format_message()}", err=True)
            sys.exit(e.exit_code)


@click.group(cls=_OneLineErrorsGroup)
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
main.add_command(keys_group)
main.add_command(forwarder_group)
main.add_command(collector_group)
