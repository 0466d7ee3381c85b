"""The one `pehredar` command: dispatches to each role's subcommands.

    pehredar sensor replay ...      offline detection (sensor.cli)
    pehredar rules check|keywords   rule validation against this engine (sensor.cli)
    pehredar keys init|show         sensor identities (pehredar.keys)
    pehredar forwarder ...          ship the spool to the collector (forwarder.cli)
    pehredar collector ...          receive, verify, store, query (collector.cli)

Each role's module is imported only when its command runs, so the forwarder and
collector do not pay for loading the detection engine (and the reverse).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click


class _LazyGroup(click.Group):
    """A group whose subcommands are `module:attribute` names, imported on first use."""

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lazy = lazy or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self._lazy and cmd_name not in self.commands:
            module, _, attribute = self._lazy[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attribute)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


class _OneLineErrorsGroup(_LazyGroup):
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


@click.group(
    cls=_OneLineErrorsGroup,
    lazy={
        "keys": "pehredar.keys:keys_group",
        "forwarder": "forwarder.cli:forwarder_group",
        "collector": "collector.cli:collector",
    },
)
@click.version_option(package_name="pehredar")
def main() -> None:
    """Pehredar: network sensor and signed alert forwarding for CERTs."""


@main.group(cls=_LazyGroup, lazy={"replay": "sensor.cli:replay_command"})
def sensor() -> None:
    """Capture, decode and detect."""


@main.group(cls=_LazyGroup, lazy={"check": "sensor.cli:rules_check_command", "keywords": "sensor.cli:rules_keywords_command"})
def rules() -> None:
    """Check Suricata-format rules against this engine."""
