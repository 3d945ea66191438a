"""The layout rules of STYLE.md, enforced: imports flow one way, the core names no partner."""

from __future__ import annotations

import ast
from pathlib import Path

from hub.directory import PartnerDirectory
from hub.settings import PROJECT_ROOT

HUB = PROJECT_ROOT / "hub"


def _modules(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def _literals(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    }


def test_the_hub_never_imports_an_adapter() -> None:
    offenders = {
        str(path.relative_to(PROJECT_ROOT)): sorted(
            m for m in _imports(path) if m.split(".")[0] == "adapters"
        )
        for path in _modules(HUB)
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_hub_names_no_partner_in_code(directory: PartnerDirectory) -> None:
    partners = set(directory.partners)
    offenders = {}
    for path in _modules(HUB):
        named = {s for s in _literals(path) if any(p in s.split("/") or s == p for p in partners)}
        if named:
            offenders[str(path.relative_to(PROJECT_ROOT))] = sorted(named)
    assert offenders == {}


def test_the_rule_itself_catches_a_partner_name(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text('"""Doc about academie."""\nTOPIC = "hub.in.x"\nWHO = "academie/dsden"\n')
    assert "academie/dsden" in _literals(module)
    assert "Doc about academie." not in _literals(module)
