"""`hub audit export`: a period of the ledger, as CSV and JSON, anchored in the chain, signed."""

from __future__ import annotations

import asyncio
import csv
import functools
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from hub.ledger import Entry
from hub.ledger.chain import entry_hash
from hub.state.sqlite import SqliteState
from hub.tools.audit import sign
from tests.modes import modes, not_owner_only
from tests.test_relay import NOW

KEY = "audit-key"  # a test's own key


@pytest.fixture
def ledger_path(tmp_path: Path) -> Path:
    """Entries on three days: the 22nd, the 23rd (two) and the 24th."""
    path = tmp_path / "ledger.sqlite"

    async def fill() -> None:
        for day, ids in ((22, ["a"]), (23, ["b", "c"]), (24, ["d"])):
            ledger = SqliteState(path, clock=functools.partial(NOW.replace, day=day))
            await ledger.commit(
                [
                    Entry(
                        kind="accepted",
                        sender="/academie/dsden",
                        notice_id=i,
                        case_id="case",
                        contract="x.y",
                        version=1,
                    )
                    for i in ids
                ]
            )
            await ledger.close()

    asyncio.run(fill())
    return path


def _export(ledger: Path, out: Path, *period: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "hub",
            "audit",
            "export",
            "--path",
            str(ledger),
            "--out",
            str(out),
            "--from",
            period[0],
            "--to",
            period[1],
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "HUB_AUDIT_KEY": KEY},
    )


def test_a_period_is_exported_as_csv_and_json_with_a_signed_manifest(
    ledger_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "export"
    result = _export(ledger_path, out, "2026-11-23", "2026-11-24")
    assert result.returncode == 0, result.stderr
    assert "2 entries written" in result.stdout
    rows = json.loads((out / "entries.json").read_text())
    assert [r["notice_id"] for r in rows] == ["b", "c"]
    with (out / "entries.csv").open() as f:
        assert [r["notice_id"] for r in csv.DictReader(f)] == ["b", "c"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["first_seq"], manifest["last_seq"], manifest["entries"]) == (2, 3, 2)
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    assert manifest["signature"]["value"] == sign(manifest, KEY.encode())
    # Anchored: the exported rows chain from the hash before the first one to the last one.
    # Anchored: an auditor recomputes each row's hash from the one before, as the hub chains them.
    previous = manifest["hash_before_first"]
    for row in rows:
        entry = Entry(
            row["kind"],
            row["sender"],
            row["notice_id"],
            row["case_id"],
            row["contract"],
            row["version"],
            row["office"],
            row["digest"],
            json.loads(row["detail"]),
        )
        assert row["prev_hash"] == previous
        assert (
            entry_hash(previous, row["seq"], row["recorded_at"], entry, row["detail"])
            == row["hash"]
        )
        previous = row["hash"]
    assert previous == manifest["hash_of_last"]


def test_a_broken_chain_is_never_exported(ledger_path: Path, tmp_path: Path) -> None:
    with sqlite3.connect(ledger_path) as db:
        db.execute("UPDATE entries SET office = 'departement/crip' WHERE notice_id = 'b'")
    result = _export(ledger_path, tmp_path / "export", "2026-11-01", "2026-12-01")
    assert result.returncode == 1
    assert "chain is broken" in result.stderr
    assert not (tmp_path / "export").exists()


def test_an_empty_period_says_so(ledger_path: Path, tmp_path: Path) -> None:
    result = _export(ledger_path, tmp_path / "export", "2025-01-01", "2025-02-01")
    assert result.returncode == 1
    assert "no entry was recorded in this period" in result.stderr


def test_an_export_is_its_operators_alone(ledger_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "exports" / "2026-11"
    result = _export(ledger_path, out, "2026-11-23", "2026-11-24")
    assert result.returncode == 0, result.stderr
    assert {"exports", "exports/2026-11/manifest.json"} <= set(modes(tmp_path))
    assert {
        path: mode for path, mode in not_owner_only(tmp_path).items() if "exports" in path
    } == {}
