"""Signed checkpoints: what a partner holds catches a ledger rewritten, chain recomputed."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub.ledger.chain import Entry
from hub.ledger.checkpoint import (
    CheckpointKeyError,
    load_key,
    new_key,
    problem,
    public_bytes,
    read_checkpoint,
    sign,
)
from hub.state.sqlite import SqliteState
from tests.ledger.rewrite import rewrite_without

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
pytestmark = pytest.mark.asyncio


def _entries(count: int) -> list[Entry]:
    return [
        Entry(kind="accepted", sender="/academie/dsden", notice_id=f"n-{i}", case_id="c-1")
        for i in range(count)
    ]


async def test_a_rewritten_ledger_verifies_alone_but_not_against_a_held_checkpoint(
    tmp_path: Path,
) -> None:
    key = new_key(tmp_path / "keys" / "checkpoint.pem")
    state = SqliteState(tmp_path / "state.sqlite", clock=lambda: NOW)
    await state.commit(_entries(5))
    head = await state.head()
    assert head is not None
    held = sign(key, *head, NOW)  # what a partner received
    await state.commit(_entries(3))
    assert problem(held, await state.entries()) is None  # the ledger extends it
    await state.close()
    rewrite_without(tmp_path / "state.sqlite", 2)
    state = SqliteState(tmp_path / "state.sqlite", clock=lambda: NOW)
    assert (await state.verify()).ok  # the chain, recomputed, verifies on its own
    assert problem(held, await state.entries()) == (
        "entry #5 is not the one the checkpoint signed: rewritten"
    )
    await state.close()


async def test_a_ledger_cut_below_the_checkpoint_is_caught(tmp_path: Path) -> None:
    key = new_key(tmp_path / "keys" / "checkpoint.pem")
    state = SqliteState(tmp_path / "state.sqlite", clock=lambda: NOW)
    await state.commit(_entries(2))
    held = sign(key, 9, "a" * 64, NOW)
    assert problem(held, await state.entries()) == (
        "the ledger has no entry #9: it was cut below the checkpoint"
    )
    await state.close()


async def test_a_forged_or_foreign_checkpoint_is_refused(tmp_path: Path) -> None:
    key = new_key(tmp_path / "a" / "key.pem")
    other = new_key(tmp_path / "b" / "key.pem")
    held = sign(key, 1, "b" * 64, NOW)
    assert problem({**held, "seq": 2}, []) is not None  # altered after signing
    assert problem({**held, "signature": "bad"}, []) is not None
    assert problem(held, [], pinned=public_bytes(other)) == (
        "the checkpoint was signed with another key than the one pinned"
    )
    forged = sign(other, 1, "b" * 64, NOW)
    assert problem({**forged, "key_id": held["key_id"]}, []) is not None


async def test_the_key_is_owner_only_and_never_beside_the_ledger(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "checkpoint.pem"
    new_key(path)
    assert (path.stat().st_mode & 0o777, path.parent.stat().st_mode & 0o777) == (0o600, 0o700)
    assert base64.b64encode(public_bytes(load_key(path, tmp_path / "state"))).decode()
    with pytest.raises(CheckpointKeyError, match="under the state's folder"):
        load_key(path, path.parent)
    os.chmod(path, 0o644)  # noqa: PTH101 - the mode is the point
    with pytest.raises(CheckpointKeyError, match="readable by others"):
        load_key(path)
    with pytest.raises(FileExistsError):
        new_key(path)


async def test_a_checkpoint_is_read_from_its_payload_or_the_delivered_notice() -> None:
    payload = '{"seq": 3, "hash": "c"}'
    assert read_checkpoint(payload) == {"seq": 3, "hash": "c"}
    assert read_checkpoint(f'{{"notice_id": "x", "payload": {payload}}}')["seq"] == 3


async def test_the_key_is_refused_anywhere_under_the_state_folder(tmp_path: Path) -> None:
    path = tmp_path / "state" / "keys" / "checkpoint.pem"
    new_key(path)
    with pytest.raises(CheckpointKeyError, match="under the state's folder"):
        load_key(path, tmp_path / "state")
    (tmp_path / "secrets").symlink_to(path.parent)  # a link elsewhere, leading into it
    with pytest.raises(CheckpointKeyError, match="under the state's folder"):
        load_key(tmp_path / "secrets" / "checkpoint.pem", tmp_path / "state")
