"""`python -m forwarder ...`: the same commands as `pehredar forwarder ...`."""

from forwarder.cli import forwarder_group

forwarder_group(prog_name="pehredar forwarder")
