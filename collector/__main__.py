"""`python -m collector ...`: the collector commands without the `pehredar` shell."""

from collector.cli import collector

if __name__ == "__main__":
    collector(prog_name="pehredar collector")
