#!/usr/bin/env bash
# Opt-in mypyc build of Pehredar into its own virtual environment, .venv-mypyc (git-ignored).
#
# The project is installed NON-editable with PEHREDAR_MYPYC=1, so the compiled .so files land in
# .venv-mypyc's site-packages, never in the source tree where they would shadow later edits of the
# .py files. Re-run this script after every change to the sensor: the compiled venv holds a copy.
# The modules compiled are listed once, in setup.py (MYPYC_MODULES). Benchmark it with
#   .venv/bin/python bench/run_bench.py --rounds 5 --pehredar .venv-mypyc/bin/pehredar
#
#   bash bench/build_compiled.sh            # build (re-uses .venv-mypyc when it exists)
#   bash bench/build_compiled.sh --fresh    # delete .venv-mypyc first
#   bash bench/build_compiled.sh --dev      # also the [dev] extras, to run the tests against it
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv-mypyc
MYPY_REQUIREMENT=$(python3 -c 'import ast, sys
tree = ast.parse(open("setup.py").read())
for node in tree.body:
    if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "MYPY_REQUIREMENT":
        print(node.value.value)')
extras=""
for arg in "$@"; do
  case "$arg" in
    --fresh) rm -rf "$VENV" ;;
    --dev) extras="[dev]" ;;
    *) echo "usage: $0 [--fresh] [--dev]" >&2; exit 2 ;;
  esac
done

[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q "setuptools>=68" wheel "$MYPY_REQUIREMENT"
# The dependencies (and a pure build of ours, replaced below).
"$VENV/bin/pip" install -q --no-build-isolation ".$extras"
# Without build isolation: mypyc is the one just installed. --force-reinstall: the version is the same.
PEHREDAR_MYPYC=1 "$VENV/bin/pip" install -q --no-build-isolation --force-reinstall --no-deps .

# Run from outside the tree, so that `sensor` is the installed package, not ./sensor.
(cd / && "$OLDPWD/$VENV/bin/python" - <<'EOF'
import importlib.machinery
import importlib.util
import pathlib
import sensor

root = pathlib.Path(sensor.__file__).parent
compiled = []
for path in sorted(root.rglob("*.py")):
    name = "sensor." + ".".join(path.relative_to(root).with_suffix("").parts)
    name = name.removesuffix(".__init__")
    spec = importlib.util.find_spec(name)
    if isinstance(spec.loader, importlib.machinery.ExtensionFileLoader):
        compiled.append(name)
print(f"compiled with mypyc ({len(compiled)} modules, from {root}):")
for name in compiled:
    print("  " + name)
if not compiled:
    raise SystemExit("no module was compiled")
EOF
)
