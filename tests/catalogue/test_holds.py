"""A deadline's holds as `contract.yaml` declares them: read, refused when unreadable, shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.catalogue.contracts import Catalogue, load_catalogue
from hub.catalogue.deadlines import deadline_line
from hub.catalogue.meta import ContractError
from tests.conftest import FORMAL_NOTICE, edit

HOLD_TERMS = "        period: P2M\n        basis: agreement\n"


def test_the_enrolment_is_held_by_steps_under_way_for_two_months_on_the_partners_agreement(
    catalogue: Catalogue,
) -> None:
    [enrolment] = catalogue.contracts[FORMAL_NOTICE].meta.deadlines
    [hold] = enrolment.held_by
    assert (hold.contract, hold.when.field, hold.when.values) == (
        "instruction.regularisation",
        "outcome",
        ("steps_under_way",),
    )
    assert (hold.held_from, hold.period, hold.basis, hold.article) == (
        "steps.declared_on",
        "P2M",
        "agreement",
        None,  # no text sets it: no article is named for it
    )
    assert "L231-1" in hold.description  # why two months, in the text it is drawn from


def test_the_catalogue_shows_the_hold_beside_what_closes_the_deadline(
    catalogue: Catalogue,
) -> None:
    [enrolment] = catalogue.contracts[FORMAL_NOTICE].meta.deadlines
    line = deadline_line(enrolment)
    assert line.startswith(
        "- Deadline `enrolment` (law: Code de l'éducation, art. L131-5 et L131-10; a maximum, "
        "which a département may shorten, never lengthen, in its directory `agreements`): P15D "
        "from `notified_on` (else `sent_on`); closed by instruction.regularisation, "
        "instruction.signalement-parquet; alerts academie/dsden, departement/sdas. "
    )
    assert (
        " It is held (not closed) by instruction.regularisation when `outcome` in "
        "steps_under_way: P2M from `steps.declared_on`, declared by its due day (partners' "
        "agreement). Within the 15 days the family may"
    ) in line


@pytest.mark.parametrize(
    ("terms", "fault"),
    [
        (
            "        period: P2X\n        basis: agreement\n",
            "`deadlines.0.held_by.0.period`: Value error, 'P2X': the unit 'X' cannot be read",
        ),
        (
            "        period: P2M\n        basis: law\n",
            (
                "`deadlines.0.held_by.0`: Value error, a hold by instruction.regularisation that "
                "the law sets names its `article`"
            ),
        ),
    ],
)
def test_a_hold_with_an_unreadable_period_or_a_law_without_its_article_stops_the_loading(
    copy: Path, terms: str, fault: str
) -> None:
    contract_yaml = copy / "contracts" / FORMAL_NOTICE / "contract.yaml"
    edit(contract_yaml, HOLD_TERMS, terms)
    with pytest.raises(ContractError) as refused:
        load_catalogue(copy / "contracts")
    assert str(refused.value).startswith(f"{contract_yaml}: {fault}")
