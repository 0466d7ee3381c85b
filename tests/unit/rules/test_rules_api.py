"""The rules package exports exactly its deliberate public API (httpx's test_exported_members)."""

from __future__ import annotations

import types

import rules


def test_all_matches_public_names() -> None:
    public = {
        name
        for name, value in vars(rules).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType) and name != "annotations"
    }
    assert set(rules.__all__) == public
    assert len(rules.__all__) == len(set(rules.__all__))


def test_rules_package_is_stdlib_only() -> None:
    import ast
    import sys
    from pathlib import Path

    allowed = set(sys.stdlib_module_names) | {"rules"}
    extra = {"bundle.py": {"cryptography"}}  # STYLE.md: signed bundles are the one exception
    for path in Path(rules.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in allowed | extra.get(path.name, set()), f"{path.name} imports {name}"
