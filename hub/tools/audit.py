"""The auditor's export: the ledger's entries of a period, as CSV and JSON, signed off.

An export is made only from a chain that verifies, and is itself a look at the cases it holds:
the command records it (one entry naming the period and how many cases) before it writes.
Beside the two files, `manifest.json` says what was exported (period, sequence numbers,
count), anchors it in the chain (the hash before the first entry and the hash of the last one,
which anyone can compare with the live ledger) and gives the SHA-256 of each file; with
`HUB_AUDIT_KEY`, an HMAC-SHA256 of the manifest signs it. Entries hold ids, codes, offices,
versions and field names: never a value.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from hub.ledger.chain import Stored, Verification, as_row
from hub.storage import owner_only, owner_only_folder

COLUMNS = (
    "seq",
    "recorded_at",
    "kind",
    "sender",
    "notice_id",
    "case_id",
    "contract",
    "version",
    "office",
    "digest",
    "detail",
    "prev_hash",
    "hash",
)


class AuditError(RuntimeError):
    """The export cannot be made (a broken chain, an empty period)."""


@dataclass(frozen=True, slots=True)
class Export:
    """What was written, for the command to report."""

    folder: Path
    entries: int
    manifest: dict[str, Any]


# What spreadsheets read as a formula at the start of a cell (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def period_entries(
    stored: Sequence[Stored], verification: Verification, start: datetime, end: datetime
) -> list[Stored]:
    """The entries recorded in [start, end), from a chain that verifies; some, or an error."""
    if not verification.ok:
        raise AuditError(f"the ledger's chain is broken ({verification.problem}): no export")
    chosen = [s for s in stored if start <= datetime.fromisoformat(s.recorded_at) < end]
    if not chosen:
        raise AuditError("no entry was recorded in this period")
    return chosen


def export(  # noqa: PLR0913 - the period, the chain's state, where, and the optional key
    chosen: Sequence[Stored],
    verification: Verification,
    start: datetime,
    end: datetime,
    *,
    folder: Path,
    key: bytes | None,
) -> Export:
    """Write the entries of [start, end) (`period_entries`) to `folder`, with their manifest."""
    owner_only_folder(folder)  # the export is the operator's alone, whatever the umask
    rows = [as_row(s, raw_detail=True) for s in chosen]
    files = {
        "entries.csv": _csv(rows),
        "entries.json": json.dumps(rows, ensure_ascii=False, indent=1).encode(),
    }
    for name, content in files.items():
        owner_only(folder / name)
        (folder / name).write_bytes(content)
    manifest: dict[str, Any] = {
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "entries": len(chosen),
        "first_seq": chosen[0].seq,
        "last_seq": chosen[-1].seq,
        "hash_before_first": chosen[0].prev_hash,
        "hash_of_last": chosen[-1].hash,
        "ledger_head": verification.head,
        "ledger_entries": verification.entries,
        "chain_verified": True,
        "files": {name: hashlib.sha256(content).hexdigest() for name, content in files.items()},
    }
    if key:
        manifest["signature"] = {"algorithm": "HMAC-SHA256", "value": sign(manifest, key)}
    owner_only(folder / "manifest.json")
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    return Export(folder, len(chosen), manifest)


def sign(manifest: dict[str, Any], key: bytes) -> str:
    """The HMAC of the manifest without its signature, over its canonical JSON."""
    unsigned = {k: v for k, v in manifest.items() if k != "signature"}
    canonical = json.dumps(unsigned, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(key, canonical, hashlib.sha256).hexdigest()


def _csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: _cell(v) for k, v in row.items()} for row in rows)
    return out.getvalue().encode()


def _cell(value: Any) -> Any:
    """A value a spreadsheet will not run: a text starting as a formula gets a quote first.

    The JSON file keeps every value exactly, for recomputing the chain's hashes.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
