"""The case a keyless notice opens: derived with the hub's key, which is kept apart and private."""

from __future__ import annotations

import base64
import stat
import uuid
from pathlib import Path

import pytest

from hub.core.cases import (
    KEY_BYTES,
    CaseKeyError,
    case_id_for,
    default_case_key_path,
    load_case_key,
    new_case_key,
)
from tests.modes import UMASKS, not_owner_only, umask

KEY = bytes(range(32))
SOURCE = "/academie/dsden"


def test_a_case_id_is_a_uuid_of_its_own_derivation() -> None:
    case_id = case_id_for(KEY, SOURCE, "m-1")
    parsed = uuid.UUID(case_id)
    assert str(parsed) == case_id
    assert parsed.version == 8  # RFC 9562: a UUID of a custom derivation
    assert parsed.variant == uuid.RFC_4122


def test_one_key_gives_one_notice_one_case() -> None:
    assert case_id_for(KEY, SOURCE, "m-1") == case_id_for(bytes(KEY), SOURCE, "m-1")


@pytest.mark.parametrize(
    ("key", "source", "notice_id"),
    [
        pytest.param(bytes(32), SOURCE, "m-1", id="another-key"),
        pytest.param(KEY, "/academie/service-social", "m-1", id="another-source"),
        pytest.param(KEY, SOURCE, "m-2", id="another-id"),
    ],
)
def test_another_key_source_or_id_gives_another_case(
    key: bytes, source: str, notice_id: str
) -> None:
    assert case_id_for(key, source, notice_id) != case_id_for(KEY, SOURCE, "m-1")


def test_a_new_key_is_owner_only_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "case.key"
    new_case_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = load_case_key(path, tmp_path / "state")
    assert len(key) == KEY_BYTES
    assert load_case_key(path) == key
    other = tmp_path / "secrets" / "other.key"
    new_case_key(other)
    assert load_case_key(other) != key  # random, never a fixed key


@pytest.mark.parametrize("mask", UMASKS)
def test_the_folders_made_for_a_new_key_are_owner_only(tmp_path: Path, mask: int) -> None:
    with umask(mask):
        new_case_key(tmp_path / "secrets" / "hub" / "case.key")
    assert not_owner_only(tmp_path) == {}


def test_a_key_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "case.key"
    new_case_key(path)
    before = path.read_bytes()
    with pytest.raises(FileExistsError):
        new_case_key(path)
    assert path.read_bytes() == before


def _written(path: Path, text: bytes, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text)
    path.chmod(mode)
    return path


GOOD = base64.b64encode(KEY) + b"\n"


@pytest.mark.parametrize("where", ["case.key", "keys/case.key"])
def test_a_key_in_the_state_folder_or_below_it_is_refused(tmp_path: Path, where: str) -> None:
    state = tmp_path / "state"
    path = _written(state / where, GOOD)
    with pytest.raises(CaseKeyError, match="must not be kept under the state's folder"):
        load_case_key(path, state)


def test_a_link_to_a_key_in_the_state_folder_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "state"
    link = tmp_path / "secrets" / "case.key"
    link.parent.mkdir()
    link.symlink_to(_written(state / "case.key", GOOD))
    with pytest.raises(CaseKeyError, match="must not be kept under the state's folder"):
        load_case_key(link, state)


def test_the_default_key_is_kept_beside_the_state_folder(tmp_path: Path) -> None:
    state = tmp_path / "state"
    path = default_case_key_path(state)
    assert path == tmp_path / "state-secrets" / "case.key"
    new_case_key(path)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert len(load_case_key(path, state)) == KEY_BYTES


@pytest.mark.parametrize(
    ("text", "mode", "message"),
    [
        pytest.param(GOOD, 0o640, "readable by others than its owner", id="group-readable"),
        pytest.param(GOOD, 0o604, "readable by others than its owner", id="other-readable"),
        pytest.param(b"not base64 at all!\n", 0o600, "not base64", id="not-base64"),
        pytest.param(
            base64.b64encode(KEY[:31]) + b"\n", 0o600, "shorter than 32 bytes", id="too-short"
        ),
    ],
)
def test_a_key_that_cannot_be_trusted_is_refused(
    tmp_path: Path, text: bytes, mode: int, message: str
) -> None:
    path = _written(tmp_path / "secrets" / "case.key", text, mode)
    with pytest.raises(CaseKeyError, match=message) as refused:
        load_case_key(path, tmp_path / "state")
    assert GOOD.strip().decode() not in str(refused.value)  # never the key itself


def test_a_missing_key_is_refused_by_name_of_the_rule(tmp_path: Path) -> None:
    with pytest.raises(CaseKeyError, match="cannot read the case key"):
        load_case_key(tmp_path / "case.key", tmp_path / "state")
