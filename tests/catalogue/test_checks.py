"""The catalogue checks pass on the shipped catalogue and catch each kind of fault."""

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from hub.catalogue.checks import consistency, example_problems, pin_problems
from hub.catalogue.contracts import Catalogue, load_catalogue
from hub.catalogue.directory import PartnerDirectory, load_directory
from hub.catalogue.meta import ContractError
from tests.conftest import FORMAL_NOTICE, edit


def test_the_shipped_catalogue_and_directory_pass(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    assert consistency(catalogue, directory) == []
    assert example_problems(catalogue) == []


def _problems(root: Path) -> list[str]:
    catalogue = load_catalogue(root / "contracts")
    directory = load_directory(root / "directory.yaml")
    return consistency(catalogue, directory) + example_problems(catalogue)


def test_an_office_the_directory_lacks_is_reported(copy: Path) -> None:
    edit(
        copy / "contracts" / FORMAL_NOTICE / "contract.yaml",
        "- academie/dsden",
        "- academie/rectorat",
    )
    assert f"{FORMAL_NOTICE}: producer academie/rectorat is not in the directory" in _problems(copy)


def test_a_reference_to_an_unknown_contract_is_reported(copy: Path) -> None:
    edit(
        copy / "contracts" / FORMAL_NOTICE / "contract.yaml",
        "closed_by: [",
        "closed_by: [nothing.here, ",
    )
    assert f"{FORMAL_NOTICE}: refers to the unknown contract nothing.here" in _problems(copy)


def test_a_pinned_version_that_is_not_live_is_reported(copy: Path) -> None:
    edit(copy / "directory.yaml", "  caf:\n", f"  caf:\n    consumes: {{{FORMAL_NOTICE}: 7}}\n")
    assert f"caf reads {FORMAL_NOTICE} v7, which is not live" in _problems(copy)


def test_a_pin_to_a_major_the_latest_cannot_be_converted_to_is_reported(copy: Path) -> None:
    """v1 of the regularisation cannot say that steps are under way: nobody may read it."""
    regularisation = "instruction.regularisation"
    edit(copy / "directory.yaml", PARTNER, f"{PARTNER}    consumes: {{{regularisation}: 1}}\n")
    catalogue = load_catalogue(copy / "contracts")
    [problem] = pin_problems(catalogue, load_directory(copy / "directory.yaml"))
    assert problem == (
        f"{copy / 'directory.yaml'}: departement reads {regularisation} v1, which the latest "
        "major cannot be converted to (v2 cannot be converted to v1: v1 cannot say that steps "
        "are under way (outcome steps_under_way): it knows only outcomes that regularise the "
        "situation): remove or raise the pin"
    )


def test_an_example_that_does_not_fail_as_labelled_is_reported(copy: Path) -> None:
    folder = copy / "contracts" / FORMAL_NOTICE / "v1" / "examples"
    valid = json.loads((folder / "valid" / "saint-junien-minimal.json").read_text())
    mislabelled = {"$comment": "required: claims a field is missing", **valid}
    (folder / "invalid" / "mislabelled.json").write_text(json.dumps(mislabelled))
    wrong_rule = {"$comment": "pattern: names the wrong rule", **valid, "reason": "other"}
    (folder / "invalid" / "wrong-rule.json").write_text(json.dumps(wrong_rule))
    problems = _problems(copy)
    assert f"{FORMAL_NOTICE} mislabelled.json: labelled invalid, passes" in problems
    assert f"{FORMAL_NOTICE} wrong-rule.json: $comment names pattern, fails schema.enum" in problems


def test_an_office_routing_by_hand_must_be_a_consumer_of_the_routing_alert(copy: Path) -> None:
    edit(copy / "directory.yaml", "routes_by_hand: sdas", "routes_by_hand: crip")
    problems = _problems(copy)
    assert "hub.routing-alert: departement/crip routes by hand but is not one of its consumers" in (
        problems
    )
    assert "hub.routing-alert: departement/sdas is a consumer but routes nothing by hand" in (
        problems
    )


IP = "ip.transmission"
PARTNER = f"    consumes:\n      {IP}: 3\n"  # the département reads the latest, v3
CRIP = '      crip: {name: "Cellule de recueil des informations préoccupantes", '


def _pin_partner(copy: Path, pin: str) -> None:
    edit(copy / "directory.yaml", PARTNER, f"    consumes:\n      {IP}: {pin}\n")


def _pin_crip(copy: Path, pin: str) -> None:
    edit(copy / "directory.yaml", CRIP, f"      crip: {{name: CRIP, consumes: {{{IP}: {pin}}}, ")


def _pin_on_call(copy: Path, pin: str) -> None:
    edit(copy / "directory.yaml", ON_CALL, f"{ON_CALL}        consumes: {{{IP}: {pin}}}\n")


ON_CALL = '        name: "Astreinte de la CRIP (permanence hors heures ouvrées)"\n'
# The offices entitled to an IP's other minors and Parquet alert: the CRIP always, its on-call
# office when the danger is serious and immediate.
ENTITLED = ("departement/crip", "departement/crip-astreinte")


def test_a_removed_field_an_office_is_entitled_to_must_be_declared_lost(copy: Path) -> None:
    migrations = copy / "contracts" / IP / "migrations.yaml"
    edit(migrations, ", lost: [parquet_alert]", "")
    expected = [
        f"{migrations}: {IP} v3 to v2 removes parquet_alert, which {office} is entitled to (its "
        "projection names it): declare the loss, `lost: [parquet_alert]` in the step "
        "{from: 3, to: 2}"
        for office in ENTITLED
    ]
    assert _problems(copy) == expected


def test_a_removed_field_no_office_is_entitled_to_is_no_loss(copy: Path) -> None:
    edit(copy / "contracts" / IP / "migrations.yaml", ", lost: [other_minors]", "")
    for _ in ENTITLED:  # neither consumer's projection names it any more
        edit(copy / "contracts" / IP / "contract.yaml", "      - other_minors\n", "")
    assert _problems(copy) == []


@pytest.mark.parametrize(
    ("pin", "reading"),
    [
        (_pin_partner, dict.fromkeys(ENTITLED, " (pinned by departement)")),
        (_pin_crip, {"departement/crip": ""}),  # the on-call office still reads v3
    ],
)
def test_a_pin_that_loses_a_field_the_office_is_entitled_to_is_refused(
    copy: Path, pin: Callable[[Path, str], None], reading: dict[str, str]
) -> None:
    pin(copy, "{major: 1, accepts_loss_of: [parquet_alert]}")  # other minors not acknowledged
    expected = [
        f"{copy / 'directory.yaml'}: {office} reads {IP} v1{holder}, and the migration from v3 "
        f"to v1 loses other_minors, which {office} is entitled to (its projection names it): "
        "let it read v3 (remove or raise the pin), or acknowledge the loss by name in that "
        f"pin: `{IP}: {{major: 1, accepts_loss_of: [other_minors]}}`"
        for office, holder in reading.items()
    ]
    assert _problems(copy) == expected


@pytest.mark.parametrize("pin", [_pin_partner, _pin_crip])
def test_a_pin_that_acknowledges_the_loss_by_name_is_accepted(
    copy: Path, pin: Callable[[Path, str], None]
) -> None:
    pin(copy, "{major: 1, accepts_loss_of: [other_minors, parquet_alert]}")
    assert _problems(copy) == []


def test_the_office_pin_wins_over_the_partner_pin_in_the_check_too(copy: Path) -> None:
    _pin_partner(copy, "1")  # the other offices of the département are entitled to nothing of it
    _pin_crip(copy, "3")
    _pin_on_call(copy, "3")
    assert _problems(copy) == []


def test_an_acknowledged_loss_that_does_not_happen_is_refused(copy: Path) -> None:
    _pin_crip(copy, "{major: 2, accepts_loss_of: [parquet_alert, other_minors]}")
    expected = (
        f"{copy / 'directory.yaml'}: departement/crip acknowledges the loss of other_minors in "
        f"{IP} v2, which no office reading through this pin suffers: remove it from "
        "accepts_loss_of"
    )
    assert _problems(copy) == [expected]


def test_a_kind_of_offices_known_by_codes_is_never_a_named_recipient(copy: Path) -> None:
    retour = copy / "contracts" / "ip.retour" / "contract.yaml"
    edit(retour, "office: answered", "office: academie/etablissement")
    edit(retour, "answers: [ip.transmission]\n", "")
    expected = (
        "ip.retour: consumer academie/etablissement is a kind of offices known by their codes, "
        "not an office: name an office, or `answered` for the office that sent the answered notice"
    )
    assert expected in _problems(copy)


def test_the_former_office_of_every_school_is_gone(copy: Path) -> None:
    contract = copy / "contracts" / IP / "contract.yaml"
    edit(contract, "- academie/etablissement\n", "- academie/etablissements\n")
    assert f"{IP}: producer academie/etablissements is not in the directory" in _problems(copy)


REGULARISATION = "instruction.regularisation"
SAME_CHILD = "    same: [dasen_reference, child.last_name, child.first_names, child.birth_date]\n"


def test_a_match_for_a_contract_not_answered_is_refused_naming_the_file_and_the_fix(
    copy: Path,
) -> None:
    edit(
        copy / "contracts" / REGULARISATION / "contract.yaml",
        "matches:\n",
        "matches:\n  ip.transmission:\n    same: [sent_on]\n",
    )
    [problem] = [p for p in _problems(copy) if "`matches`" in p]
    assert problem.startswith(str(copy / "contracts" / REGULARISATION / "contract.yaml"))
    assert "names ip.transmission, which instruction.regularisation does not answer" in problem
    assert "add it to `answers`, or remove its rules" in problem


@pytest.mark.parametrize(
    ("same", "side", "contract"),
    [
        ("[{answer: child.nickname, answered: child.last_name}]", "answer", REGULARISATION),
        (
            "[{answer: child.last_name, answered: child.surname}]",
            "answered notice",
            FORMAL_NOTICE,
        ),
    ],
)
def test_a_match_naming_a_field_either_contract_lacks_is_refused(
    copy: Path, same: str, side: str, contract: str
) -> None:
    edit(copy / "contracts" / REGULARISATION / "contract.yaml", SAME_CHILD, f"    same: {same}\n")
    problems = [p for p in _problems(copy) if "`matches." in p]
    field = "child.nickname" if side == "answer" else "child.surname"
    # The answer as sent, in each of its majors; the answered notice as read, in its latest.
    majors = (1, 2) if side == "answer" else (1,)
    assert len(problems) == len(majors)
    for major, problem in zip(majors, problems, strict=True):
        named = f"`matches.{FORMAL_NOTICE}` names {field} of the {side}, which v{major} of "
        assert named + contract in problem
        assert "does not define: correct the path" in problem


def test_a_valid_answer_matching_no_example_of_what_it_answers_is_reported(copy: Path) -> None:
    examples = copy / "contracts" / REGULARISATION / "v1" / "examples"
    edit(examples / "valid" / "limoges-enrolled.json", '"Martin"', '"Martinez"')
    assert (
        f"{REGULARISATION} limoges-enrolled.json: matches no valid example of {FORMAL_NOTICE}: "
        "make it answer one of them"
    ) in " ".join(_problems(copy))


def test_a_match_that_compares_nothing_or_walks_a_list_is_refused_at_load(copy: Path) -> None:
    yaml_path = copy / "contracts" / REGULARISATION / "contract.yaml"
    edit(yaml_path, SAME_CHILD, "    same:\n      - guardians[].last_name\n")
    with pytest.raises(ContractError, match=r"a match compares one value; `\[\]` walks a list"):
        load_catalogue(copy / "contracts")
