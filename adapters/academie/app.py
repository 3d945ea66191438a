"""The académie adapter: the DSDEN's export folder and received folder, on the hub."""

from __future__ import annotations

import asyncio
from pathlib import Path

from adapters.academie.mapping import academie_csv
from adapters.academie.settings import PARTNER, AcademieSettings
from adapters.sdk import Exported, ExportError, exchange_files, notices_json, serve


def read_export(path: Path, raw: bytes) -> list[Exported]:
    """An export by its extension: `.csv` formal notices or warnings, `.json` any contract.

    A JSON export names its sending office: a school head's is `etablissement:<UAI>` (its
    school's), and what answers it comes back to that office alone.
    """
    if path.suffix.lower() == ".csv":
        return academie_csv(raw)
    if path.suffix.lower() == ".json":
        return notices_json(raw)
    raise ExportError([f"unknown kind of export {path.suffix!r}: .csv or .json"])


async def run(settings: AcademieSettings, stop: asyncio.Event) -> None:
    """Run until `stop` is set: scan the drop folder, send, receive."""
    await exchange_files(PARTNER, settings, read_export, stop)


def main() -> None:
    """`python -m adapters.academie`: run until SIGTERM or Ctrl-C."""
    serve(lambda stop: run(AcademieSettings(), stop), PARTNER)
