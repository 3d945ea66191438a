"""The layout rules of STYLE.md, enforced: imports flow one way, the core names no partner."""

from __future__ import annotations

import ast
from pathlib import Path

from hub.catalogue.directory import PartnerDirectory
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


# The hub's layers, lowest first. A module imports from its own package and from lower layers
# only; packages of one layer do not import each other.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("hub.storage", "hub.wire"),
    ("hub.settings",),
    ("hub.catalogue",),
    ("hub.core",),
    ("hub.ledger", "hub.observability"),
    ("hub.state",),
    ("hub.relay", "hub.schedules"),
    ("hub.edge",),
    ("hub.assembly",),
    ("hub.tools",),
    ("hub.__main__",),
)
# What an adapter may use of the hub: what reads and writes records, the catalogue, the
# core's constants, logs and traces, SQLite files. Never the hub's state, relay, edge or tools.
SDK_MAY_IMPORT = (
    "hub.settings",
    "hub.storage",
    "hub.wire",
    "hub.catalogue",
    "hub.core",
    "hub.observability",
)


def _unit(module: str) -> str | None:
    """The package (or top-level module) of the layer table that holds `module`."""
    for layer in LAYERS:
        for unit in layer:
            if module == unit or module.startswith(unit + "."):
                return unit
    return None


def _layer(unit: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if unit in layer)


def _module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_violations(imports: dict[str, set[str]]) -> list[str]:
    """Every import of the hub, among `module: imports`, that goes up or sideways."""
    found = []
    for module, imported_names in sorted(imports.items()):
        unit = _unit(module)
        if unit is None:
            found.append(f"{module} is in no layer")
            continue
        for imported in sorted(imported_names):
            other = _unit(imported)
            if other is not None and other != unit and _layer(other) >= _layer(unit):
                found.append(f"{module} imports {imported}")
    return found


def test_every_hub_module_is_in_a_layer_and_imports_only_downwards() -> None:
    modules = {_module_name(path): _imports(path) for path in _modules(HUB)}
    assert _imports(HUB / "__init__.py") == set()  # the package itself holds nothing
    del modules["hub"]
    assert len(modules) > 30
    assert layer_violations(modules) == []


def test_the_layer_rule_catches_upward_sideways_and_unplaced_modules() -> None:
    assert layer_violations(
        {
            "hub.core.outgoing": {"hub.catalogue.contracts", "hub.wire.envelope", "json"},
            "hub.core.intake": {"hub.relay", "hub.core.routing"},
            "hub.ledger.entries": {"hub.observability.logs"},
            "hub.stray": {"hub.wire.envelope"},
        }
    ) == [
        "hub.core.intake imports hub.relay",
        "hub.ledger.entries imports hub.observability.logs",
        "hub.stray is in no layer",
    ]


def test_the_sdk_and_the_adapters_use_only_the_hubs_lower_layers() -> None:
    offenders = {
        _module_name(path): sorted(
            m for m in _imports(path) if m.startswith("hub.") and not m.startswith(SDK_MAY_IMPORT)
        )
        for path in _modules(PROJECT_ROOT / "adapters")
        if "conformance" not in path.parts and path.name != "pytest_conformance.py"
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_a_partner_adapter_imports_the_sdk_through_its_public_surface() -> None:
    sdk = PROJECT_ROOT / "adapters" / "sdk"
    offenders = {}
    for path in _modules(PROJECT_ROOT / "adapters"):
        inside = path.relative_to(PROJECT_ROOT / "adapters").parts
        if inside[0] in {"sdk", "conformance"} or len(inside) == 1:
            continue
        deep = sorted(m for m in _imports(path) if m.startswith("adapters.sdk."))
        hub = sorted(m for m in _imports(path) if m.startswith("hub"))
        if deep or hub:
            offenders[_module_name(path)] = deep + hub
    assert offenders == {}
    assert (sdk / "__init__.py").is_file()
