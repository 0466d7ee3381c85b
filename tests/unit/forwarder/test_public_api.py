from __future__ import annotations

import forwarder


def test_all_is_exactly_the_public_names() -> None:
    public = {name for name in vars(forwarder) if not name.startswith("_")}
    modules = {"app", "batcher", "cli", "clock", "config", "errors", "retry", "shipper", "signer", "state"}
    assert set(forwarder.__all__) == public - modules
    assert len(set(forwarder.__all__)) == len(forwarder.__all__)


def test_forwarder_imports_no_other_role() -> None:
    import ast
    from pathlib import Path

    root = Path(forwarder.__file__).parent
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom | ast.Import):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                assert not {n.split(".")[0] for n in names} & {"sensor", "rules", "collector", "pehredar"}, path
