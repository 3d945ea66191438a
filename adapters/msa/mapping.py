"""The msa's exports as contract payloads (pure functions, no I/O).

Replace `read_export` with the institution's own format; keep it pure and test it on its own.
"""

from __future__ import annotations

from pathlib import Path

from adapters.sdk import Exported, json_exports


def read_export(path: Path, raw: bytes) -> list[Exported]:
    """The notices of one export; raise `adapters.sdk.ExportError` saying what is wrong."""
    return json_exports(path, raw)
