"""`every-notice` in `answers`: the receipt and the recall answer a contract as it is added."""

from __future__ import annotations

from pathlib import Path

from hub.catalogue.contracts import Catalogue, load_catalogue
from hub.catalogue.directory import load_directory
from hub.catalogue.hub_contracts import RECALL, RECEIPT
from hub.catalogue.meta import EVERY_NOTICE
from hub.tools.staging import catalogue_problems
from tests.catalogue.conftest import added_contract

NEW = "absenteisme.relance"


def _notices(catalogue: Catalogue) -> set[str]:
    return {c.id for c in catalogue.contracts.values() if c.meta.kind == "notice"}


def test_the_receipt_answers_every_notice_and_each_recall_the_recall_every_notice(
    catalogue: Catalogue,
) -> None:
    receipt, recall = catalogue.contracts[RECEIPT].meta, catalogue.contracts[RECALL].meta
    assert set(receipt.answers) == _notices(catalogue) - {RECEIPT}
    assert set(recall.answers) == _notices(catalogue) - {RECEIPT, RECALL}
    assert len(receipt.answers) == len(set(receipt.answers))
    assert "logement.decision-aide" in recall.answers  # retired: its notices are still live
    assert EVERY_NOTICE not in receipt.answers + recall.answers


def test_a_notice_contract_added_is_receipted_and_recalled_with_no_edit_of_either(
    copy: Path,
) -> None:
    added_contract(copy / "contracts", "absenteisme.avertissement", NEW)
    receipt_yaml = (copy / "contracts" / RECEIPT / "contract.yaml").read_text()
    catalogue = load_catalogue(copy / "contracts")
    assert NEW in catalogue.contracts[RECEIPT].meta.answers
    assert NEW in catalogue.contracts[RECALL].meta.answers
    assert NEW not in receipt_yaml
    directory = load_directory(copy / "directory.yaml")
    assert catalogue_problems(catalogue, directory) == []


def test_a_hub_record_is_neither_receipted_nor_recalled(catalogue: Catalogue) -> None:
    answered = set(catalogue.contracts[RECEIPT].meta.answers)
    own = {c.id for c in catalogue.contracts.values() if c.meta.kind == "hub"}
    assert own
    assert not own & answered


def test_every_notice_keeps_a_contract_named_beside_it_once(copy: Path) -> None:
    receipt = copy / "contracts" / RECEIPT / "contract.yaml"
    text = receipt.read_text()
    assert "  - hub.recall\n" in text
    receipt.write_text(text.replace("  - hub.recall\n", "  - hub.recall\n  - ip.retour\n", 1))
    answers = load_catalogue(copy / "contracts").contracts[RECEIPT].meta.answers
    assert answers.count("ip.retour") == 1
    assert answers[-1] == RECALL  # in the order written, the derived ones where the word stood
