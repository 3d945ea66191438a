"""Fixtures of the catalogue's tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import CONTRACTS, DIRECTORY


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A copy of the contracts and the directory, for a test to plant a fault in."""
    shutil.copytree(CONTRACTS, tmp_path / "contracts")
    shutil.copy(DIRECTORY, tmp_path / "directory.yaml")
    return tmp_path


def added_contract(contracts: Path, source: str, new: str) -> Path:
    """A contract `new` in a copied catalogue, `source`'s folder under another id; its folder."""
    folder = contracts / new
    shutil.copytree(contracts / source, folder)
    for path in [folder / "contract.yaml", *folder.glob("v*/schema.json")]:
        text = path.read_text(encoding="utf-8")
        assert source in text
        path.write_text(text.replace(source, new), encoding="utf-8")
    return folder
