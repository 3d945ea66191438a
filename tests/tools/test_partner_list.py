"""The wire contract's partner list: the directory's partners and offices, written again."""

from __future__ import annotations

import pytest

from hub.catalogue.directory import PartnerDirectory
from hub.settings import PROJECT_ROOT
from hub.tools.partner_list import (
    PARTNERS_BEGIN,
    PARTNERS_END,
    PartnerListError,
    with_partner_list,
)


def test_the_wire_contracts_partner_list_is_the_directorys(directory: PartnerDirectory) -> None:
    text = (PROJECT_ROOT / "docs" / "wire-contract.md").read_text("utf-8")
    assert with_partner_list(text, directory) == text
    block = text.split(PARTNERS_BEGIN, 1)[1].split(PARTNERS_END, 1)[0]
    for partner in directory.partners:
        assert f"| `{partner}` |" in block


def test_a_text_without_the_markers_is_refused(directory: PartnerDirectory) -> None:
    with pytest.raises(PartnerListError, match="partners: written by"):
        with_partner_list("# Wire contract\n\nNo list here.\n", directory)
