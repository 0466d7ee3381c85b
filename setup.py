"""Optional mypyc build of the sensor's hot modules; everything else is in pyproject.toml.

By default this file changes nothing: `pip install -e .` and `pip install -e '.[dev]'` build a
pure-Python package and need no mypy. Only `PEHREDAR_MYPYC=1` with a NON-editable install
(`PEHREDAR_MYPYC=1 pip install .`, into its own virtual environment: bench/build_compiled.sh)
compiles MYPYC_MODULES to C extensions, which land in that environment's site-packages next to
their .py files and are imported in their place. An editable install is refused with the flag
set: there the .so files would sit in the source tree and silently shadow later edits of the .py.
"""

from __future__ import annotations

import glob
import os
import shutil
import sys

from setuptools import setup

MYPYC_ENV = "PEHREDAR_MYPYC"
# The mypy that compiles: one minor series, as mypyc's generated C and its runtime change between
# releases. An isolated build gets it through setup_requires below; bench/build_compiled.sh
# installs the same range into .venv-mypyc and builds without isolation.
MYPY_REQUIREMENT = "mypy>=2.4,<2.5"

# The modules compiled with PEHREDAR_MYPYC=1: the per-packet path below detection, chosen by
# measurement on bench/out/bench.pcap with ET Open (figures in bench/README.md, "Compiled build").
# Every module listed must compile cleanly (mypy-clean, no attribute names that collide with C
# identifiers such as `_inline`) and behave identically: the corpus golden tests run against the
# compiled build. Modules left out run as pure Python in the same install.
MYPYC_MODULES = [
    "sensor/capture/pcapfile.py",
    "sensor/decode/*.py",
    "sensor/flow/*.py",
    "sensor/stream/*.py",
    "sensor/replay.py",
    "sensor/detect/engine.py",
    "sensor/detect/prefilter.py",
]


def _requested() -> bool:
    return os.environ.get(MYPYC_ENV, "") not in ("", "0")


BUILD_COMMANDS = {"bdist_wheel", "build", "build_ext", "install"}  # not egg_info, dist_info
BUILD_BASE = os.path.join("build", "mypyc")  # the compiled build's own build directory


def _ext_modules() -> list:
    if not _requested():
        return []
    commands = set(sys.argv[1:])
    if commands & {"develop", "editable_wheel"}:
        raise SystemExit(
            f"{MYPYC_ENV}=1 is for a non-editable install (pip install .) into its own virtual "
            "environment: an editable one would leave compiled .so files in the source tree, "
            "shadowing later edits of the .py files."
        )
    if not commands & BUILD_COMMANDS:
        return []  # metadata only (pip's isolated build installs mypy now): mypyc need not run
    try:
        from mypyc.build import mypycify
    except ImportError:
        raise SystemExit(
            f"{MYPYC_ENV}=1 needs mypy ({MYPY_REQUIREMENT}) in the build environment: install it "
            "and build with --no-build-isolation (bench/build_compiled.sh does), or let pip's "
            "isolated build install it."
        ) from None
    # A fresh build directory every time, so that no .so of an earlier module list is packed.
    shutil.rmtree(BUILD_BASE, ignore_errors=True)
    paths = sorted(path for pattern in MYPYC_MODULES for path in glob.glob(pattern))
    paths = [path for path in paths if not path.endswith("__init__.py")]
    print(f"pehredar mypyc: compiling {len(paths)} modules: {' '.join(paths)}", file=sys.stderr)
    return mypycify(
        # Type errors count in the compiled modules only, not in the modules they import.
        ["--ignore-missing-imports", "--follow-imports=silent", *paths],
        opt_level="3",
        target_dir=os.path.join(BUILD_BASE, "c"),
    )


setup(
    ext_modules=_ext_modules(),
    setup_requires=[MYPY_REQUIREMENT] if _requested() else [],
    # The compiled build never shares build/ with a pure one, which would pack its .so files.
    options={"build": {"build_base": BUILD_BASE}} if _requested() else {},
)
