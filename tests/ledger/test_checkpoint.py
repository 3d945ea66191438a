"""Signed checkpoints: what a partner holds catches a ledger rewritten, chain recomputed."""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub.ledger.chain import Entry
from hub.ledger.checkpoint import (
    CheckpointKeyError,
    Shortfall,
    load_key,
    new_key,
    pinned_keys,
    problem,
    public_bytes,
    read_checkpoint,
    read_held,
    shortfalls,
    sign,
)
from hub.state.sqlite import SqliteState
from tests.ledger.rewrite import cut_after, rewrite_without
from tests.modes import UMASKS, not_owner_only, umask

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
    trusted = [public_bytes(key)]
    assert problem(held, await state.entries(), trusted) is None  # the ledger extends it
    await state.close()
    rewrite_without(tmp_path / "state.sqlite", 2)
    state = SqliteState(tmp_path / "state.sqlite", clock=lambda: NOW)
    assert (await state.verify()).ok  # the chain, recomputed, verifies on its own
    assert problem(held, await state.entries(), trusted) == (
        "entry #5 is not the one the checkpoint signed: rewritten"
    )
    await state.close()


async def test_a_ledger_cut_below_the_checkpoint_is_caught(tmp_path: Path) -> None:
    key = new_key(tmp_path / "keys" / "checkpoint.pem")
    state = SqliteState(tmp_path / "state.sqlite", clock=lambda: NOW)
    await state.commit(_entries(2))
    held = sign(key, 9, "a" * 64, NOW)
    assert problem(held, await state.entries(), [public_bytes(key)]) == (
        "it ends at entry #2: the entries after #2 were deleted"
    )
    await state.close()


async def test_a_forged_or_foreign_checkpoint_is_refused(tmp_path: Path) -> None:
    key = new_key(tmp_path / "a" / "key.pem")
    other = new_key(tmp_path / "b" / "key.pem")
    held = sign(key, 1, "b" * 64, NOW)
    trusted = [public_bytes(key)]
    assert problem({**held, "seq": 2}, [], trusted) is not None  # altered after signing
    assert problem({**held, "signature": "bad"}, [], trusted) is not None
    assert problem(held, [], [public_bytes(other)]) == (
        "the checkpoint was signed with another key than the one pinned"
    )
    forged = sign(other, 1, "b" * 64, NOW)
    assert problem({**forged, "key_id": held["key_id"]}, [], trusted) is not None
    assert problem(forged, [], trusted) == (  # well signed, by anyone: refused all the same
        "the checkpoint was signed with another key than the one pinned"
    )


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


async def test_every_head_held_is_checked_once_and_the_newest_must_be_within(
    tmp_path: Path,
) -> None:
    key = new_key(tmp_path / "keys" / "checkpoint.pem")
    state = SqliteState(tmp_path / "state.sqlite", clock=lambda: NOW)
    heads = []
    for count in (4, 3, 2):
        await state.commit(_entries(count))
        head = await state.head()
        assert head is not None
        heads.append(sign(key, *head, NOW))  # the heads of #4, #7 and #9
    await state.close()
    trusted = [public_bytes(key)]
    held = [heads[1], heads[0], heads[1], heads[2]]  # two partners hold the head of #7
    state = SqliteState(tmp_path / "state.sqlite", clock=lambda: NOW)
    assert shortfalls(held, await state.entries(), trusted) == []
    await state.close()
    cut_after(tmp_path / "state.sqlite", 5)
    state = SqliteState(tmp_path / "state.sqlite", clock=lambda: NOW)
    assert (await state.verify()).ok  # what is left verifies on its own
    assert shortfalls(held, await state.entries(), trusted) == [
        Shortfall(7, "short", "it ends at entry #5: the entries after #5 were deleted"),
        Shortfall(9, "short", "it ends at entry #5: the entries after #5 were deleted"),
    ]
    other = sign(new_key(tmp_path / "other" / "key.pem"), 4, heads[0]["hash"], NOW)
    assert shortfalls([heads[0], other], await state.entries(), trusted) == [
        Shortfall(4, "refused", "the checkpoint was signed with another key than the one pinned")
    ]
    await state.close()


async def test_a_key_is_pinned_given_or_from_the_hub_s_own_key_never_from_the_checkpoint(
    tmp_path: Path,
) -> None:
    path = tmp_path / "secrets" / "checkpoint.pem"
    public = public_bytes(new_key(path))
    text = base64.b64encode(public).decode()
    other = base64.b64encode(public_bytes(new_key(tmp_path / "old" / "key.pem"))).decode()
    state = tmp_path / "state"
    assert pinned_keys([text, other], None, state) == (public, base64.b64decode(other))
    assert pinned_keys([], path, state) == (public,)
    assert pinned_keys([""], path, state) == (public,)  # an empty setting pins nothing
    with pytest.raises(CheckpointKeyError, match="pin the key the checkpoints are signed with"):
        pinned_keys([], None, state)
    with pytest.raises(CheckpointKeyError, match="not a base64 Ed25519 public key"):
        pinned_keys(["bm90IGEga2V5"], None, state)
    with pytest.raises(CheckpointKeyError, match="under the state's folder"):
        pinned_keys([], path, tmp_path)


async def test_held_checkpoints_are_read_from_files_and_folders(tmp_path: Path) -> None:
    for partner, seq in (("caf", 3), ("msa", 4)):
        folder = tmp_path / "heads" / partner
        folder.mkdir(parents=True)
        notice = {"notice_id": f"ledger-head-k-{seq}", "payload": {"seq": seq}}
        (folder / f"ledger-head-k-{seq}.json").write_text(json.dumps(notice))
    (tmp_path / "one.json").write_text('{"seq": 5}')
    held = read_held([tmp_path / "heads", tmp_path / "one.json"])
    assert [checkpoint["seq"] for checkpoint in held] == [3, 4, 5]
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no checkpoint there"):
        read_held([tmp_path / "empty"])
    with pytest.raises(ValueError, match=r"none\.json \(FileNotFoundError\)"):
        read_held([tmp_path / "none.json"])
    (tmp_path / "heads" / "msa" / "bad.json").write_text("[")
    with pytest.raises(ValueError, match=r"cannot read the checkpoint .*bad\.json"):
        read_held([tmp_path / "heads"])


@pytest.mark.parametrize("mask", UMASKS)
async def test_the_folders_made_for_a_new_key_are_owner_only(tmp_path: Path, mask: int) -> None:
    with umask(mask):
        new_key(tmp_path / "secrets" / "deep" / "checkpoint.pem")
    assert not_owner_only(tmp_path) == {}
