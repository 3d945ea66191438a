"""An adapter's drop folder, its index and its received folder are its owner's alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.academie.app import read_export
from adapters.sdk import Adapter
from adapters.sdk.files import DropFolder
from adapters.sdk.received import ReceivedFolder
from hub.catalogue.contracts import Catalogue
from tests.modes import UMASKS, modes, not_owner_only, umask


@pytest.mark.parametrize("mask", UMASKS)
def test_a_drop_folder_and_its_index_are_owner_only(
    tmp_path: Path, catalogue: Catalogue, mask: int
) -> None:
    root = tmp_path / "academie"
    with umask(mask):
        received = ReceivedFolder(root / "echanges" / "recus")
        adapter = Adapter("academie", "127.0.0.1:9", root / "etat", received, catalogue)
        drop = DropFolder(root / "echanges" / "depot", adapter, read_export)
        assert drop.scan() == 0
    drop.close()
    assert {"echanges/depot/.fichiers.sqlite", "echanges/depot/traites"} <= set(modes(root))
    assert not_owner_only(root) == {}


@pytest.mark.parametrize("mask", UMASKS)
def test_what_an_adapter_writes_for_its_institution_is_owner_only(
    tmp_path: Path, mask: int
) -> None:
    root = tmp_path / "academie"
    with umask(mask):
        received = ReceivedFolder(root / "echanges" / "recus")
        received.settled("n-1", "accepted", ("export.csv", 2), {"case_id": "c-1"})
    assert "echanges/recus/hub.acceptance/n-1.json" in modes(root)
    assert not_owner_only(root) == {}
