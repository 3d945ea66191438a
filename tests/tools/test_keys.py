"""`hub keys new` and `hub keys case` as an operator runs them: each key written once, private."""

from __future__ import annotations

import base64
import os
import stat
import subprocess
import sys
from pathlib import Path

from hub.core.cases import KEY_BYTES, case_id_for, load_case_key
from hub.ledger.checkpoint import key_id, load_key, public_bytes


def _hub(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env=dict(os.environ),
    )


def test_keys_case_writes_a_key_the_hub_loads_and_never_overwrites_it(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "case.key"
    made = _hub("keys", "case", "--out", str(path))
    assert made.returncode == 0, made.stderr
    assert f"wrote the case key {path}" in made.stdout
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = load_case_key(path, tmp_path / "state")  # as the hub loads it
    assert len(key) == KEY_BYTES
    assert base64.b64encode(key).decode() not in made.stdout + made.stderr  # never printed
    assert case_id_for(key, "/academie/dsden", "m-1") != case_id_for(
        bytes(KEY_BYTES), "/academie/dsden", "m-1"
    )
    again = _hub("keys", "case", "--out", str(path))
    assert again.returncode == 1
    assert "exists: a key is never overwritten" in again.stderr
    assert load_case_key(path) == key


def test_two_case_keys_are_never_the_same(tmp_path: Path) -> None:
    for name in ("one.key", "two.key"):
        assert _hub("keys", "case", "--out", str(tmp_path / name)).returncode == 0
    assert load_case_key(tmp_path / "one.key") != load_case_key(tmp_path / "two.key")


def test_keys_new_writes_the_signing_key_and_names_it_by_its_public_key(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "checkpoint.pem"
    made = _hub("keys", "new", "--out", str(path))
    assert made.returncode == 0, made.stderr
    public = public_bytes(load_key(path, tmp_path / "state"))
    assert f"(key {key_id(public)})" in made.stdout
    assert base64.b64encode(public).decode() in made.stdout  # for the partners
    before = path.read_bytes()
    again = _hub("keys", "new", "--out", str(path))
    assert again.returncode == 1
    assert "exists: a key is never overwritten" in again.stderr
    assert path.read_bytes() == before
