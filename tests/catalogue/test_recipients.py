"""Who receives a contract: each receiving office can receipt it, none gets another's files."""

import shutil
from pathlib import Path
from typing import Any

import pytest

from hub.catalogue.checks import consistency
from hub.catalogue.contracts import Catalogue, load_catalogue
from hub.catalogue.directory import PartnerDirectory, load_directory
from hub.catalogue.identifiers import foreign_reasons
from hub.catalogue.meta import ContractError
from hub.catalogue.recipients import (
    condition_problems,
    identifier_problems,
    owner_problems,
    receipt_problems,
)
from tests.conftest import CONTRACTS, DIRECTORY, edit, example

REFERRAL = "logement.saisine-impayes"
DECISION = "logement.decision-payeur"
REQUEST = "logement.demande-avis"


@pytest.fixture
def contracts(tmp_path: Path) -> Path:
    shutil.copytree(CONTRACTS, tmp_path / "contracts")
    return tmp_path / "contracts"


def test_the_shipped_catalogue_lets_every_receiving_office_receipt_and_keeps_files_apart(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    assert receipt_problems(catalogue) == []
    assert [
        p for c in catalogue.contracts.values() for p in identifier_problems(c, catalogue)
    ] == []
    assert consistency(catalogue, directory) == []


def test_an_office_that_receives_but_cannot_receipt_is_refused_naming_the_file_and_the_fix(
    contracts: Path,
) -> None:
    receipt = contracts / "hub.receipt" / "contract.yaml"
    edit(receipt, "  - ccapex/ccapex\n", "")
    [problem] = receipt_problems(load_catalogue(contracts))
    assert problem.startswith(f"{receipt}: ccapex/ccapex receives ")
    assert "logement.saisine-impayes" in problem  # a notice it is named a consumer of
    assert "logement.avis" not in problem  # it sends the avis; the payer receives it
    assert "refused as sender.not-producer" in problem
    assert problem.endswith(f"add `- ccapex/ccapex` to `producers` in {receipt}")


def test_the_sender_of_an_answered_notice_must_receipt_the_answer_too(contracts: Path) -> None:
    # ip.retour reaches the office that sent the IP (`answered`): every producer of an IP.
    receipt = contracts / "hub.receipt" / "contract.yaml"
    edit(receipt, "  - isg/isg\n", "")
    [problem] = receipt_problems(load_catalogue(contracts))
    assert problem.startswith(f"{receipt}: isg/isg receives ")
    assert "ip.retour" in problem


def _caf_only(contracts: Path) -> None:
    """The referral as v1 had it: the CAF's number only (`owner: caf`), v2's `payer` undeclared."""
    path = contracts / REFERRAL / "contract.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.find("  - field: payer.allocataire_number\n")
    if start < 0:
        return
    path.write_text(text[:start] + text[text.index("consumers:\n", start) :], encoding="utf-8")


def _carrying(contracts: Path, contract: str, consumer: str) -> list[str]:
    if contract == REFERRAL:
        _caf_only(contracts)
    edit(contracts / contract / "contract.yaml", "\nconsumers:\n", f"\nconsumers:\n{consumer}")
    catalogue = load_catalogue(contracts)
    return identifier_problems(catalogue.contracts[contract], catalogue)


def test_an_unconditional_recipient_of_a_partners_numbers_is_refused(contracts: Path) -> None:
    where = contracts / REFERRAL / "contract.yaml"
    problems = _carrying(
        contracts, REFERRAL, "  - office: departement/sdas\n    fields: [sent_on]\n"
    )
    expected = (
        f"{where}: departement/sdas receives notices of {REFERRAL}, which carries "
        "caf_allocataire.caf_number, a number of caf's files, and it receives every notice: it "
        "would receive files that are not its own. Bind it to its own (`answered` or `sender`, "
        "the notice's own parties), or, if it is entitled to every one, acknowledge it by name "
        "under the identifier caf_allocataire.caf_number: `shared_with: {departement/sdas: "
        "{basis: <a legal_basis of the contract or a policy line>, why: <why>}}`"
    )
    assert problems == [expected]


@pytest.mark.parametrize(
    "when",
    [
        "{field: landlord_type, in: [social_landlord]}",  # any notice of a social landlord's
        "{field: caf_allocataire.caf_code, in: ['871']}",  # every one of a CAF's
    ],
)
def test_a_condition_on_anything_but_whose_files_binds_nothing(contracts: Path, when: str) -> None:
    consumer = f"  - office: departement/sdas\n    when: {when}\n    fields: [sent_on]\n"
    [problem] = _carrying(contracts, REFERRAL, consumer)
    assert problem.startswith(
        f"{contracts / REFERRAL / 'contract.yaml'}: departement/sdas receives notices of "
        f"{REFERRAL}, which carries caf_allocataire.caf_number, a number of caf's files, and its "
        "`when` on "
    )
    assert "does not bind it to its own files: it would receive files that are not its" in problem


@pytest.mark.parametrize(
    ("office", "values"),
    [
        ("msa/msa", "[caf]"),  # another payer's allocataires
        ("msa/msa", "[caf, msa]"),  # its own, and another's
        ("ccapex/caf", "[caf]"),  # an office whose code is another owner's name
    ],
)
def test_a_when_on_the_owner_naming_another_than_itself_binds_nothing(
    contracts: Path, office: str, values: str
) -> None:
    consumer = (
        f"  - office: {office}\n"
        f"    when: {{field: payer.organisation, in: {values}}}\n"
        "    fields: [sent_on]\n"
    )
    [problem] = _carrying(contracts, DECISION, consumer)
    assert problem.startswith(f"{contracts / DECISION / 'contract.yaml'}: {office} receives ")
    assert "its `when` on payer.organisation does not bind it to its own files" in problem
    partner = office.split("/", 1)[0]
    if partner == "ccapex":  # a partner the field cannot name is offered no `when` on it
        assert "payer.organisation can name only caf, msa, not ccapex" in problem
    else:
        assert f"`when: {{field: payer.organisation, in: [{partner}]}}` on that consumer" in problem


def test_a_route_by_commune_binds_nothing(contracts: Path) -> None:
    where = contracts / "logement.avis" / "contract.yaml"
    edit(where, "    when: {field: acting.mdd, in: [true]}\n", "")
    mdd = "      departement/mdd:\n        basis: housing-support\n"
    edit(where, mdd, mdd.replace("departement/mdd", "x/y"))
    catalogue = load_catalogue(contracts)
    problems = identifier_problems(catalogue.contracts["logement.avis"], catalogue)
    assert any(
        p.startswith(f"{where}: departement/mdd receives notices of logement.avis")
        and "its route picks an office by commune, not by whose files they are" in p
        for p in problems
    ), problems


def test_a_payer_added_to_every_payers_files_is_told_to_receive_its_own(contracts: Path) -> None:
    # The MSA's trap, with the CAF: a payer named a consumer of every payer's decisions.
    problems = _carrying(contracts, DECISION, "  - office: caf/caf\n    fields: [sent_on]\n")
    [problem] = problems
    assert problem.startswith(f"{contracts / DECISION / 'contract.yaml'}: caf/caf receives ")
    assert "the partner payer.organisation names (caf, msa)" in problem
    assert "`when: {field: payer.organisation, in: [caf]}` on that consumer" in problem


def test_a_recipient_the_owner_field_cannot_name_is_offered_no_condition_that_never_holds(
    contracts: Path,
) -> None:
    # payer.organisation holds caf or msa: `in: [departement]` would never deliver a notice.
    problems = _carrying(
        contracts, DECISION, "  - office: departement/sdas\n    fields: [sent_on]\n"
    )
    [problem] = problems
    assert "in: [departement]" not in problem.split("must first let")[0]
    assert "payer.organisation can name only caf, msa, not departement" in problem
    assert "`shared_with: {departement/sdas: {basis: " in problem
    assert "its schema must first let payer.organisation name departement" in problem
    assert "with departement added to `owners`" in problem


@pytest.mark.parametrize("office", ["caf/caf", "msa/msa"])
def test_a_recipient_on_its_own_payers_condition_is_accepted(contracts: Path, office: str) -> None:
    partner = office.split("/", 1)[0]
    consumer = (
        f"  - office: {office}\n"
        f"    when: {{field: payer.organisation, in: [{partner}]}}\n"
        "    fields: [sent_on]\n"
    )
    assert _carrying(contracts, DECISION, consumer) == []


def test_the_notices_own_parties_are_bound_to_their_own(contracts: Path) -> None:
    # The avis goes back to the payer that asked (`answered`): the intake refused a payer naming
    # another's allocataire in what it asked (`identifier.foreign`).
    catalogue = load_catalogue(contracts)
    assert identifier_problems(catalogue.contracts["logement.avis"], catalogue) == []
    assert _carrying(contracts, REFERRAL, "  - office: sender\n    fields: [sent_on]\n") == []


SHARED = "    shared_with:\n"


def test_an_acknowledged_recipient_is_accepted_and_one_bound_to_its_own_refused(
    contracts: Path,
) -> None:
    where = contracts / REFERRAL / "contract.yaml"
    sharing = "      departement/sdas: {basis: housing-arrears, why: it routes them}\n"
    edit(where, SHARED, SHARED + sharing)
    problems = _carrying(
        contracts, REFERRAL, "  - office: departement/sdas\n    fields: [sent_on]\n"
    )
    assert problems == []
    edit(where, "  - office: departement/sdas\n    fields: [sent_on]\n", "")
    catalogue = load_catalogue(contracts)
    expected = (
        f"{where}: `identifiers` caf_allocataire.caf_number shares every number with "
        f"departement/sdas, which is not a consumer of {REFERRAL} bound to no owner: "
        "remove it from `shared_with`"
    )
    assert identifier_problems(catalogue.contracts[REFERRAL], catalogue) == [expected]


def test_a_sharing_on_a_basis_of_the_contracts_law_is_accepted(contracts: Path) -> None:
    where = contracts / REFERRAL / "contract.yaml"
    edit(where, "basis: housing-arrears", "basis: Loi n° 90-449 du 31 mai 1990, art. 7-2")
    catalogue = load_catalogue(contracts)
    assert identifier_problems(catalogue.contracts[REFERRAL], catalogue) == []


def test_a_sharing_on_a_basis_neither_law_nor_policy_line_is_refused(contracts: Path) -> None:
    where = contracts / REFERRAL / "contract.yaml"
    edit(where, "basis: housing-arrears", "basis: the commission asked for it")
    catalogue = load_catalogue(contracts)
    [problem] = identifier_problems(catalogue.contracts[REFERRAL], catalogue)
    assert problem.startswith(
        f"{where}: `identifiers` caf_allocataire.caf_number shares every number with "
        "ccapex/ccapex on the basis 'the commission asked for it', which is neither one of the "
        f"`legal_basis` of {REFERRAL} nor a line of the recipient policy: name one of them ("
    )
    assert "Loi n° 90-449 du 31 mai 1990, art. 7-2" in problem
    assert "housing-arrears" in problem


@pytest.mark.parametrize(
    "sharing",
    [
        "      ccapex/ccapex: the commission examines it\n",  # the reason alone, as it was
        "      ccapex/ccapex: {basis: housing-arrears}\n",
        "      ccapex/ccapex: {basis: housing-arrears, why: ' '}\n",
    ],
)
def test_a_sharing_names_its_basis_and_says_why(contracts: Path, sharing: str) -> None:
    where = contracts / REFERRAL / "contract.yaml"
    head, rest = where.read_text("utf-8").split(SHARED, 1)
    _, tail = rest.split("\nconsumers:\n", 1)
    where.write_text(f"{head}{SHARED}{sharing}consumers:\n{tail}", "utf-8")
    with pytest.raises(ContractError, match="shared_with"):
        load_catalogue(contracts)


def test_an_identifier_naming_an_undefined_field_is_refused(contracts: Path) -> None:
    where = contracts / REFERRAL / "contract.yaml"
    edit(where, "field: caf_allocataire.caf_number", "field: caf_allocataire.number")
    catalogue = load_catalogue(contracts)
    expected = (
        f"{where}: `identifiers` names caf_allocataire.number, which no version of {REFERRAL} "
        "defines: correct the path"
    )
    assert identifier_problems(catalogue.contracts[REFERRAL], catalogue) == [expected]


def test_an_identifier_names_one_owner(contracts: Path) -> None:
    edit(contracts / REFERRAL / "contract.yaml", "    owner: caf\n", "")
    with pytest.raises(ContractError, match="give one of owner and owner_in"):
        load_catalogue(contracts)


def test_an_identifier_named_in_the_payload_declares_its_owners(contracts: Path) -> None:
    edit(contracts / REQUEST / "contract.yaml", "    owners: [caf, msa]\n", "")
    with pytest.raises(ContractError, match="owner_in needs `owners`, the partners whose numbers"):
        load_catalogue(contracts)


def test_an_identifier_of_one_owner_declares_no_owners(contracts: Path) -> None:
    edit(
        contracts / REFERRAL / "contract.yaml",
        "    owner: caf\n",
        "    owner: caf\n    owners: [caf]\n",
    )
    with pytest.raises(
        ContractError, match="`owners` goes with owner_in; `owner` names the one partner"
    ):
        load_catalogue(contracts)


def _owner_problems(contracts: Path, contract: str, directory: PartnerDirectory) -> list[str]:
    catalogue = load_catalogue(contracts)
    return owner_problems(catalogue.contracts[contract], catalogue, directory)


def test_owners_that_are_not_partners_of_the_directory_are_refused(
    contracts: Path, directory: PartnerDirectory
) -> None:
    where = contracts / REQUEST / "contract.yaml"
    edit(where, "    owners: [caf, msa]\n", "    owners: [caf, msa, cnaf]\n")
    unknown = (
        f"{where}: `identifiers` payer.allocataire_number names cnaf in `owners`, which is not a "
        "partner of the directory: correct it, or add the partner (`hub partner add`)"
    )
    unnamed = (
        f"{where}: `identifiers` payer.allocataire_number names cnaf in `owners`, which "
        "payer.organisation cannot name: remove it from `owners`"
    )
    assert _owner_problems(contracts, REQUEST, directory) == [unknown, unnamed]
    referral = contracts / REFERRAL / "contract.yaml"
    edit(referral, "    owner: caf\n", "    owner: cnaf\n")
    expected = (
        f"{referral}: `identifiers` caf_allocataire.caf_number names cnaf in `owner`, which is "
        "not a partner of the directory: correct it, or add the partner (`hub partner add`)"
    )
    assert _owner_problems(contracts, REFERRAL, directory) == [expected]


def test_a_partner_the_owner_field_can_name_is_one_of_the_owners(
    contracts: Path, directory: PartnerDirectory
) -> None:
    where = contracts / DECISION / "contract.yaml"
    edit(where, "    owners: [caf, msa]\n", "    owners: [caf]\n")
    expected = (
        f"{where}: `identifiers` payer.allocataire_number: payer.organisation can name the "
        "partner msa, which is not in `owners`: add it to `owners`"
    )
    assert _owner_problems(contracts, DECISION, directory) == [expected]


def _asking(organisation: str) -> dict[str, Any]:
    """A payer's request for the CCAPEX's avis, naming `organisation` as the payer."""
    payload = example(REQUEST, "suspension-plan-not-kept")
    return {**payload, "payer": {**payload["payer"], "organisation": organisation}}


@pytest.mark.parametrize(("sender", "named"), [("caf", "msa"), ("msa", "caf")])
def test_a_payer_naming_another_payer_as_the_owner_is_refused_without_a_value(
    catalogue: Catalogue, sender: str, named: str
) -> None:
    identifiers = catalogue.contracts[REQUEST].meta.identifiers
    [reason] = foreign_reasons(identifiers, sender, _asking(named))
    assert reason.code == "identifier.foreign"
    assert reason.pointer == "/payer/organisation"
    assert "a partner names only its own files" in reason.detail
    payer = _asking(named)["payer"]
    assert all(str(v) not in reason.detail for v in payer.values())


@pytest.mark.parametrize(
    ("contract", "sender", "named"),
    [
        (REQUEST, "caf", "caf"),  # its own allocataire
        (REQUEST, "msa", "msa"),
        (REQUEST, "ccapex", "msa"),  # not one of the owners: it may name any payer
        (REQUEST, "departement", "caf"),
        ("logement.decision-aide", "caf", "msa"),  # `owner: caf`: nothing names the owner
    ],
)
def test_a_sender_naming_itself_or_not_among_the_owners_is_not_concerned(
    catalogue: Catalogue, contract: str, sender: str, named: str
) -> None:
    identifiers = catalogue.contracts[contract].meta.identifiers
    assert foreign_reasons(identifiers, sender, _asking(named)) == []


def test_a_payer_deciding_on_another_payers_allocataire_is_refused(catalogue: Catalogue) -> None:
    decision = example(DECISION, "msa-suspended")
    identifiers = catalogue.contracts[DECISION].meta.identifiers
    assert [r.code for r in foreign_reasons(identifiers, "caf", decision)] == ["identifier.foreign"]
    assert foreign_reasons(identifiers, "msa", decision) == []


def test_a_payload_leaving_the_owner_out_is_left_to_the_schema(catalogue: Catalogue) -> None:
    payload = {k: v for k, v in _asking("msa").items() if k != "payer"}
    assert foreign_reasons(catalogue.contracts[REQUEST].meta.identifiers, "caf", payload) == []


def test_a_condition_its_field_can_never_meet_is_refused_value_by_value(contracts: Path) -> None:
    consumer = (
        "  - office: departement/sdas\n"
        "    when: {field: payer.organisation, in: [caf, departement]}\n"
        "    fields: [sent_on]\n"
    )
    edit(contracts / DECISION / "contract.yaml", "\nconsumers:\n", f"\nconsumers:\n{consumer}")
    catalogue = load_catalogue(contracts)
    problems = condition_problems(catalogue.contracts[DECISION], catalogue)
    expected = (
        f"{contracts / DECISION / 'contract.yaml'}: consumer departement/sdas receives "
        f"{DECISION} when payer.organisation is departement, which it can never be (it holds "
        "caf, msa): name only values it holds in that `when`, or let the schema hold "
        "departement first (a value added to an enum is a new major)"
    )
    assert problems == [expected]
    assert any("departement/sdas" in p for p in consistency(catalogue, load_directory(DIRECTORY)))


def test_a_boolean_condition_holds_true_and_false_not_a_string(contracts: Path) -> None:
    avis = contracts / "logement.avis" / "contract.yaml"
    catalogue = load_catalogue(contracts)
    assert condition_problems(catalogue.contracts["logement.avis"], catalogue) == []
    edit(avis, "when: {field: acting.fsl, in: [true]}", 'when: {field: acting.fsl, in: ["yes"]}')
    catalogue = load_catalogue(contracts)
    [problem] = condition_problems(catalogue.contracts["logement.avis"], catalogue)
    assert "acting.fsl is yes, which it can never be (it holds true, false)" in problem
