"""`hub adapter new <partner>`: a new adapter on the SDK, with its tests, ready to adapt.

It writes a file-exchange adapter (JSON exports in, delivered notices out as files), the
shape that needs the least from an institution; an integrator then replaces `mapping.py` with
the institution's own format, or the file exchange with the SDK's HTTP API. The hub writes
these files as text and never imports them.
"""

from __future__ import annotations

import re
from pathlib import Path

from hub.catalogue.directory import PartnerDirectory
from hub.tools.staging import write_together

MODULE = re.compile(r"^[a-z][a-z0-9_]*$")


class ScaffoldError(ValueError):
    """The adapter cannot be written (unknown partner, files already there)."""


# The adapters' shared packages: a partner's adapter of the same name would overwrite them.
SHARED = {
    "sdk": "the adapters' SDK, on which every adapter is built",
    "conformance": "the adapters' conformance kit",
}

KIT_IMPORT = "from adapters.conformance import ConformanceSuite, Driver, FileExchangeDriver, Wiring"


def _class(module: str) -> str:
    return "".join(part.capitalize() for part in module.split("_"))


def _names(partner: str) -> dict[str, str]:
    module = partner.replace("-", "_")
    if not MODULE.match(module):
        raise ScaffoldError(f"{partner!r} does not make a Python module name")
    return {
        "partner": partner,
        "module": module,
        "Class": _class(module),
        "PREFIX": module.upper(),
        # In the order ruff sorts them, which depends on the module's name.
        "conformance_imports": "\n".join(
            sorted(
                [
                    KIT_IMPORT,
                    f"from adapters.{module}.app import run",
                    f"from adapters.{module}.settings import {_class(module)}Settings",
                ]
            )
        ),
    }


FILES = {
    "adapters/{module}/__init__.py": "",
    "adapters/{module}/__main__.py": '''"""`python -m adapters.{module}` runs the {partner} adapter."""

from adapters.{module}.app import main

main()
''',
    "adapters/{module}/settings.py": '''"""The {partner} adapter's settings (`{PREFIX}_*` environment variables)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from adapters.sdk import FileExchangeSettings

PARTNER = "{partner}"


class {Class}Settings(FileExchangeSettings):
    """Where the broker is and where the {partner}'s files are."""

    model_config = SettingsConfigDict(env_prefix="{PREFIX}_", frozen=True)

    root: Path = Path(".adapters/{module}")
''',
    "adapters/{module}/mapping.py": '''"""The {partner}'s exports as contract payloads (pure functions, no I/O).

Replace `read_export` with the institution's own format; keep it pure and test it on its own.
"""

from __future__ import annotations

from pathlib import Path

from adapters.sdk import Exported, json_exports


def read_export(path: Path, raw: bytes) -> list[Exported]:
    """The notices of one export; raise `adapters.sdk.ExportError` saying what is wrong."""
    return json_exports(path, raw)
''',
    "adapters/{module}/app.py": '''"""The {partner} adapter: its exports out, what the hub delivers in, both as files."""

from __future__ import annotations

import asyncio

from adapters.{module}.mapping import read_export
from adapters.{module}.settings import PARTNER, {Class}Settings
from adapters.sdk import exchange_files, serve


async def run(settings: {Class}Settings, stop: asyncio.Event) -> None:
    """Run until `stop` is set."""
    await exchange_files(PARTNER, settings, read_export, stop)


def main() -> None:
    """`python -m adapters.{module}`: run until SIGTERM or Ctrl-C."""
    serve(lambda stop: run({Class}Settings(), stop), PARTNER)
''',
    "tests/adapters/{module}/__init__.py": "",
    "tests/adapters/{module}/test_mapping.py": """import json
from pathlib import Path

import pytest

from adapters.{module}.mapping import read_export
from adapters.sdk import ExportError


def test_a_json_export_is_read() -> None:
    export = {{"contract": "c.d", "office": "o", "notices": [{{"a": 1}}]}}
    [notice] = read_export(Path("export.json"), json.dumps(export).encode())
    assert (notice.contract, notice.office, notice.payload) == ("c.d", "o", {{"a": 1}})


def test_another_kind_of_file_is_refused() -> None:
    with pytest.raises(ExportError, match="unknown kind of export"):
        read_export(Path("export.xlsx"), b"PK")
""",
    "tests/adapters/{module}/test_conformance.py": '''"""The {partner} adapter against the conformance kit: a real broker, the hub's own checks."""

{conformance_imports}


def _settings(wiring: Wiring) -> {Class}Settings:
    return {Class}Settings(
        kafka_bootstrap=wiring.bootstrap,
        root=wiring.root,
        poll_seconds=0.2,
        resend_after_seconds=wiring.resend_after,
    )


class TestConformance(ConformanceSuite):
    @staticmethod
    def driver() -> Driver:
        return FileExchangeDriver("{partner}", run, _settings)
''',
}


def adapter_files(partner: str, root: Path) -> dict[Path, str]:
    """The files of `partner`'s new adapter under `root`, each with its text; writes nothing.

    Raises `ScaffoldError` when the partner's id makes no module name, names a shared package
    of the adapters, or when any of the files is already there.
    """
    names = _names(partner)
    shared = SHARED.get(names["module"])
    if shared is not None:
        raise ScaffoldError(
            f"adapters/{names['module']} is {shared}: a partner's adapter cannot take its name; "
            "choose another partner id, or add it with --no-adapter"
        )
    files = {root / path.format(**names): text.format(**names) for path, text in FILES.items()}
    existing = [str(p) for p in files if p.exists()]
    if existing:
        raise ScaffoldError(f"already there: {', '.join(existing)}")
    return files


def scaffold(partner: str, root: Path, directory: PartnerDirectory) -> list[Path]:
    """Write a new adapter for `partner` under `root`; returns the files written."""
    if partner not in directory.partners:
        raise ScaffoldError(f"{partner} is not in the partner directory: add it there first")
    files = adapter_files(partner, root)
    write_together(files)
    return list(files)
