"""An answering office is compared only on fields it receives of what it answers."""

from pathlib import Path

import pytest

from hub.catalogue.answerers import answerer_problems, delivering, grants
from hub.catalogue.checks import consistency
from hub.catalogue.contracts import Catalogue, load_catalogue
from hub.catalogue.directory import load_directory
from hub.catalogue.meta import Consumer
from tests.conftest import FORMAL_NOTICE, edit

IP = "ip.transmission"
RETOUR = "ip.retour"
CONVOCATION = "absenteisme.convocation"
OUTCOME = "absenteisme.issue-convocation"
REQUEST = "logement.demande-diagnostic"
DIAGNOSIS = "logement.diagnostic"
REGULARISATION = "instruction.regularisation"
AVIS = "logement.avis"
DECISION = "logement.decision-payeur"


def _problems(copy: Path) -> list[str]:
    """What the hub at start and `hub contracts check` say of the edited copy."""
    catalogue = load_catalogue(copy / "contracts")
    return consistency(catalogue, load_directory(copy / "directory.yaml"))


def _expected(copy: Path, rule: tuple[str, str], office: str, field: str, via: str = "") -> str:
    """The fault of `office`, producing the answer of `rule` (answer, answered), about `field`."""
    answer, answered = rule
    via = via or office
    return (
        f"{copy / 'contracts' / answer / 'contract.yaml'}: {office} produces {answer}, whose "
        f"`matches.{answered}` compares {field} of the answered notice, but it receives "
        f"{answered} without {field} (consumer `{via}`): each answer.mismatch would tell it "
        f"whether a guess was right. Grant {field} to that consumer in "
        f"{copy / 'contracts' / answered / 'contract.yaml'}, or drop it from `matches.{answered}`"
    )


def test_the_shipped_catalogue_compares_every_answer_on_what_its_producer_receives(
    catalogue: Catalogue,
) -> None:
    assert [p for c in catalogue.contracts.values() for p in answerer_problems(c, catalogue)] == []


def test_a_compared_field_the_answering_office_does_not_receive_is_refused(copy: Path) -> None:
    # The CRIP files its feedback under the sender's reference: it must receive that reference.
    edit(copy / "contracts" / IP / "contract.yaml", "      - sender_reference\n", "")
    expected = _expected(copy, (RETOUR, IP), "departement/crip", "sender_reference")
    assert _problems(copy) == [expected]


def test_a_nested_field_is_granted_by_its_object_and_refused_without_it(copy: Path) -> None:
    # The SDAS receives `pupil` whole, which grants pupil.birth_date; two of its fields do not.
    edit(
        copy / "contracts" / CONVOCATION / "contract.yaml",
        "      - pupil\n",
        "      - pupil.last_name\n      - pupil.first_names\n",
    )
    expected = _expected(copy, (OUTCOME, CONVOCATION), "departement/sdas", "pupil.birth_date")
    assert _problems(copy) == [expected]


def test_an_office_kind_routed_to_is_held_to_its_consumer_entry(copy: Path) -> None:
    # Every MDD answers the diagnosis request routed to it by the family's commune.
    edit(copy / "contracts" / REQUEST / "contract.yaml", "      - ccapex_reference\n", "")
    expected = _expected(copy, (DIAGNOSIS, REQUEST), "departement/mdd", "ccapex_reference")
    assert _problems(copy) == [expected]


def test_a_producer_of_both_that_receives_nothing_needs_nothing(copy: Path) -> None:
    # The DSDEN sends the formal notice and regularises it: it answers only its own, while the
    # MDD, which does not answer it, receives no dasen_reference.
    catalogue = load_catalogue(copy / "contracts")
    assert answerer_problems(catalogue.contracts[REGULARISATION], catalogue) == []
    # Once it receives formal notices too, it could answer another's: the fields are owed.
    edit(
        copy / "contracts" / FORMAL_NOTICE / "contract.yaml",
        "\nconsumers:\n",
        "\nconsumers:\n  - office: academie/dsden\n    fields: [sent_on, child]\n",
    )
    catalogue = load_catalogue(copy / "contracts")
    expected = _expected(copy, (REGULARISATION, FORMAL_NOTICE), "academie/dsden", "dasen_reference")
    assert answerer_problems(catalogue.contracts[REGULARISATION], catalogue) == [expected]


def test_the_office_that_sent_what_the_notice_answers_is_held_to_answered(copy: Path) -> None:
    # A payer answering the avis it asked for receives it through `answered`, without the
    # commune: each payer would be told where the household lives, one guess at a time.
    edit(
        copy / "contracts" / DECISION / "contract.yaml",
        "\nconsumers:\n",
        f"\nanswers: [{AVIS}]\nmatches:\n  {AVIS}:\n    same: [ccapex_reference, commune_insee]"
        "\nconsumers:\n",
    )
    catalogue = load_catalogue(copy / "contracts")
    assert answerer_problems(catalogue.contracts[DECISION], catalogue) == [
        _expected(copy, (DECISION, AVIS), payer, "commune_insee", "answered")
        for payer in ("caf/caf", "msa/msa")
    ]


@pytest.mark.parametrize(
    ("contract", "office", "consumers"),
    [
        (FORMAL_NOTICE, "departement/mdd:87-bellac", ["departement/mdd"]),
        (FORMAL_NOTICE, "departement/mdd", ["departement/mdd"]),
        (FORMAL_NOTICE, "academie/dsden", []),
        (AVIS, "caf/caf", ["answered"]),
        (RETOUR, "academie/etablissement:0870015U", ["answered"]),
        (RETOUR, "departement/crip", []),
        ("hub.recall", "departement/mdd:87-bellac", ["recipients"]),
        ("hub.recall", "ccapex/ccapex", ["recipients"]),
        ("hub.rejection", "msa/msa", ["sender"]),
    ],
)
def test_the_consumer_entries_that_deliver_to_an_office(
    catalogue: Catalogue, contract: str, office: str, consumers: list[str]
) -> None:
    found = delivering(catalogue, catalogue.contracts[contract], office)
    assert [c.office for c in found] == consumers


@pytest.mark.parametrize(
    ("fields", "field", "granted"),
    [
        (("child",), "child.birth_date", True),
        (("child.birth_date",), "child.birth_date", True),
        (("child.last_name",), "child.birth_date", False),
        (("child.birth_date",), "child", False),
        (("childhood",), "child", False),
        (("guardians[].last_name",), "guardians.last_name", False),
    ],
)
def test_a_field_is_granted_by_itself_or_an_object_holding_it(
    fields: tuple[str, ...],
    field: str,
    granted: bool,  # noqa: FBT001 - a parameter of the case
) -> None:
    assert grants(Consumer(office="departement/sdas", fields=fields), field) is granted
