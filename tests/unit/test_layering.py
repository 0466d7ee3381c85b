"""Dependency direction between the packages (STYLE.md section 2), checked on the source.

rules/ is the rule language: it imports nothing of ours and no third-party package;
alertwire/ is the contract and imports none of the roles; sensor/ may import rules/
and alertwire/; forwarder/ only alertwire/;
collector/ alertwire/ and rules/; nothing imports pehredar/ except its own modules.
A 30-line stand-in for import-linter contracts.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OURS = {"pehredar", "rules", "sensor", "alertwire", "forwarder", "collector"}
ALLOWED = {
    "rules": {"rules"},
    "alertwire": {"alertwire"},
    "sensor": {"sensor", "rules", "alertwire"},
    "forwarder": {"forwarder", "alertwire"},
    "collector": {"collector", "alertwire", "rules"},
    "pehredar": OURS,
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & OURS


def test_packages_import_only_what_their_layer_allows() -> None:
    wrong = []
    for package, allowed in ALLOWED.items():
        for path in sorted((ROOT / package).rglob("*.py")):
            extra = imported_packages(path) - allowed
            if extra:
                wrong.append(f"{path.relative_to(ROOT)} imports {sorted(extra)}")
    assert wrong == []


def test_rules_is_stdlib_only() -> None:
    third_party = {"yaml", "hyperscan", "msgpack", "structlog", "click", "regex", "scapy"}
    for path in sorted((ROOT / "rules").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                assert not {m.split(".")[0] for m in mods} & third_party, f"{path}: {mods}"


FORBIDDEN_THIRD_PARTY = {
    "alertwire": {"httpx", "starlette", "hypercorn", "hyperscan", "click"},
    "sensor": {"httpx", "starlette", "hypercorn"},
    "forwarder": {"starlette", "hypercorn", "hyperscan", "sqlite3"},
    "collector": {"httpx", "hyperscan"},
}


def test_roles_do_not_pull_in_each_others_machinery() -> None:
    """The sensor knows nothing of HTTP; the forwarder nothing of serving or storing; alertwire neither."""
    wrong = []
    for package, forbidden in FORBIDDEN_THIRD_PARTY.items():
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                    bad = {m.split(".")[0] for m in mods} & forbidden
                    if bad:
                        wrong.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert wrong == []
