"""The tests mirror the source, the design notes' module table matches the tree, and every
partner's conformance kit is where the README says."""

from __future__ import annotations

import ast
import re
import shlex
import subprocess
import sys
from pathlib import Path

from hub.catalogue.directory import load_directory
from hub.settings import PROJECT_ROOT
from tests.conftest import DIRECTORY
from tests.tools.project_copy import shell_block

SOURCES = ("hub", "adapters/sdk", "adapters/conformance")
# Modules tested through other tests, and where: each must name a test file that exists.
TESTED_ELSEWHERE = {
    "hub/catalogue/in_force.py": "tests/core/test_dated.py",
    "hub/catalogue/retirements.py": "tests/catalogue/test_contracts.py",
    "hub/catalogue/scope_rules.py": "tests/catalogue/test_scopes.py",
    "hub/catalogue/directory_file.py": "tests/catalogue/test_directory.py",
    "hub/catalogue/category_file.py": "tests/catalogue/test_categories.py",
    "hub/catalogue/hub_contracts.py": "tests/catalogue/test_recipients.py",
    "hub/catalogue/identifiers.py": "tests/catalogue/test_recipients.py",
    "hub/core/routing_alerts.py": "tests/core/test_outgoing.py",
    "hub/edge/embedded.py": "tests/integration/conftest.py",
    "hub/ledger/chain.py": "tests/state/test_backends.py",
    "hub/schedules/tasks.py": "tests/test_assembly.py",
    "hub/observability/telemetry.py": "tests/integration/test_traces.py",
    "hub/state/port.py": "tests/state/test_backends.py",
    "hub/state/sqlite_ledger.py": "tests/state/test_backends.py",
    "hub/tools/demo.py": "tests/tools/test_cli.py",
    "hub/tools/demo_scenario.py": "tests/tools/test_cli.py",
    "hub/tools/partner_options.py": "tests/tools/test_partners.py",
    "hub/tools/partner_commands.py": "tests/tools/test_partners.py",
    "adapters/sdk/notices.py": "tests/adapters/sdk/test_adapter.py",
    "adapters/sdk/process.py": "tests/integration/test_housing_adapters.py",
    "adapters/sdk/settings.py": "tests/adapters/sdk/test_adapter.py",
    "adapters/sdk/writing.py": "tests/adapters/sdk/test_adapter.py",
    "adapters/conformance/drivers.py": "tests/conformance/test_adapters.py",
    "adapters/conformance/hubside.py": "tests/conformance/test_adapters.py",
    "adapters/conformance/samples.py": "tests/conformance/test_adapters.py",
    "adapters/conformance/suite.py": "tests/conformance/test_broken_adapter.py",
}
DESIGN = PROJECT_ROOT / "docs" / "design.md"


def _source_modules() -> list[str]:
    """Every module with code of its own (an empty `__init__.py` or `__main__.py` has none)."""
    found = []
    for folder in SOURCES:
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            name = str(path.relative_to(PROJECT_ROOT))
            if path.name == "__main__.py" or (path.name == "__init__.py" and not _has_code(path)):
                continue
            found.append(name)
    return found


def _has_code(path: Path) -> bool:
    text = path.read_text(encoding="utf-8")
    return any(line.startswith(("def ", "class ", "async def ")) for line in text.splitlines())


def _test_module(source: str) -> Path:
    path = Path(source)
    folder = path.parent.relative_to("hub") if path.parts[0] == "hub" else path.parent
    stem = path.parent.name if path.name == "__init__.py" else path.stem  # a package's own code
    return PROJECT_ROOT / "tests" / folder / f"test_{stem}.py"


def test_every_module_with_code_has_its_test_module_or_says_where_it_is_tested() -> None:
    missing = [
        source
        for source in _source_modules()
        if not _test_module(source).is_file() and source not in TESTED_ELSEWHERE
    ]
    assert missing == []


def test_the_modules_said_to_be_tested_elsewhere_exist_and_are_tested_there() -> None:
    sources = set(_source_modules())
    for source, test in TESTED_ELSEWHERE.items():
        assert source in sources, source
        assert not _test_module(source).is_file(), f"{source} has its own tests now"
        assert (PROJECT_ROOT / test).is_file(), test


def _design_table() -> set[str]:
    """The modules the design notes' table names, each cell's `path` in backticks."""
    text = DESIGN.read_text(encoding="utf-8")
    table = text.split("| module | holds |", 1)[1].split("\n\n", 1)[0]
    return {
        name
        for line in table.splitlines()
        if line.startswith("| `")
        for name in re.findall(r"`([^`]+\.py)`", line.split("|")[1])
    }


def test_the_design_table_names_every_module_and_no_other() -> None:
    assert _design_table() == set(_source_modules())


def test_the_table_reader_sees_a_module_that_is_not_there() -> None:
    named = _design_table()
    assert "hub/relay.py" in named
    assert "hub/pipeline.py" not in named
    assert len(named) > 40


def _shipped_kits() -> set[str]:
    """The conformance suites of tests/conformance/test_adapters.py, by class name."""
    tree = ast.parse((PROJECT_ROOT / "tests" / "conformance" / "test_adapters.py").read_text())
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.ClassDef)
        and any(isinstance(b, ast.Name) and b.id == "ConformanceSuite" for b in node.bases)
    }


def test_every_partner_has_its_conformance_kit_where_the_readme_says() -> None:
    # README, "How to change a contract": the partners' kits to run again, and where they are.
    shipped = _shipped_kits()
    assert "TestCaf" in shipped
    for partner in load_directory(DIRECTORY).partners:
        own = PROJECT_ROOT / "tests" / "adapters" / partner / "test_conformance.py"
        assert f"Test{partner.capitalize()}" in shipped or own.is_file(), (
            f"{partner} has no conformance kit: add a class Test{partner.capitalize()} to "
            f"tests/conformance/test_adapters.py, or {own.relative_to(PROJECT_ROOT)} "
            "(hub adapter new writes one)"
        )


NO_CACHE = ("-p", "no:cacheprovider")


def test_the_readme_commands_collect_the_kits_they_name() -> None:
    block = shell_block(PROJECT_ROOT / "README.md", "## How to change a contract")
    collected = set()
    for line in block.strip().splitlines():
        command = shlex.split(line)
        assert command[0] == ".venv/bin/pytest", line
        listed = subprocess.run(
            [sys.executable, "-m", "pytest", "--collect-only", "-q", *NO_CACHE, *command[1:]],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert listed.returncode == 0, listed.stdout + listed.stderr
        collected |= {i.split("::")[1] for i in listed.stdout.splitlines() if "::" in i}
    assert collected == {"TestCaf", "TestCafUnderTheCcapex", "TestDepartement", "TestConformance"}
