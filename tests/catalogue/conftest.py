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
