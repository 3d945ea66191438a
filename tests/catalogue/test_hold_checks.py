"""What `hub contracts check` refuses about a deadline's holds, each fault naming its file."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.catalogue.contracts import load_catalogue
from hub.catalogue.deadlines import deadline_problems
from hub.catalogue.directory import load_directory
from hub.catalogue.hold_checks import hold_problems
from tests.commands import hub_command
from tests.conftest import FORMAL_NOTICE, edit

REGULARISATION = "instruction.regularisation"
HOLD = "      - contract: instruction.regularisation\n"
WHEN = "when: {field: outcome, in: [steps_under_way]}"


def _problems(root: Path) -> list[str]:
    """The holds' faults of the copied catalogue, for the formal notice's `enrolment`."""
    catalogue = load_catalogue(root / "contracts")
    contract = catalogue.contracts[FORMAL_NOTICE]
    [enrolment] = contract.meta.deadlines
    return hold_problems(contract, enrolment, catalogue)


def _where(root: Path) -> str:
    return f"{root / 'contracts' / FORMAL_NOTICE / 'contract.yaml'}: deadline enrolment"


def _contract_yaml(root: Path) -> Path:
    return root / "contracts" / FORMAL_NOTICE / "contract.yaml"


def test_the_shipped_hold_passes(copy: Path) -> None:
    assert _problems(copy) == []


@pytest.mark.parametrize(
    ("old", "new", "fault"),
    [
        (
            HOLD,
            "      - contract: instruction.regularisations\n",
            "`held_by` names instruction.regularisations, which is no contract of the catalogue",
        ),
        (
            HOLD,
            "      - contract: ip.retour\n",
            (
                f"`held_by` names ip.retour, which does not answer {FORMAL_NOTICE}: add "
                f"{FORMAL_NOTICE} to its `answers`, or remove the hold"
            ),
        ),
        (
            WHEN,
            "when: {field: issue, in: [steps_under_way]}",
            (
                f"`held_by` {REGULARISATION}: `when` names issue, which no version of its schema "
                "defines: correct the path"
            ),
        ),
        (
            "from: steps.declared_on",
            "from: steps.told_on",
            (
                f"`held_by` {REGULARISATION}: `from` names steps.told_on, which no version of its "
                "schema defines: correct the path"
            ),
        ),
        (
            "from: steps.declared_on",
            "from: steps.kind",
            (
                f"`held_by` {REGULARISATION}: `from` names steps.kind, which is not a date: "
                "name the date the hold runs from"
            ),
        ),
        (
            WHEN,
            "when: {field: outcome, in: [steps_under_way, steps_planned]}",
            (
                f"`held_by` {REGULARISATION}: `when` names steps_planned for outcome, which it "
                "can never be (it holds enrolled, home_education_authorised, care, "
                "steps_under_way): name only values it holds"
            ),
        ),
        (
            WHEN,
            (
                "when: {field: outcome, in: [enrolled, home_education_authorised, care, "
                "steps_under_way]}"
            ),
            (
                f"`held_by` {REGULARISATION}: every outcome it can hold meets the hold's `when`, "
                "so no notice of it closes the deadline: remove it from `closed_by`, or narrow "
                "that `when`"
            ),
        ),
        (
            "    closed_by: [instruction.regularisation, instruction.signalement-parquet]\n",
            (
                "    closed_by: [instruction.regularisation, instruction.signalement-parquet]\n"
                "    closed_in: case\n"
            ),
            (
                "`held_by` with `closed_in: case`: any later notice of the case closes it, and the "
                "ledger keeps no payload to tell one that holds: remove one of the two"
            ),
        ),
    ],
)
def test_a_hold_the_hub_could_not_apply_is_refused_naming_the_file_and_the_fix(
    copy: Path, old: str, new: str, fault: str
) -> None:
    edit(_contract_yaml(copy), old, new)
    assert _problems(copy) == [f"{_where(copy)}: {fault}"]


def test_two_holds_one_notice_could_both_meet_are_refused(copy: Path) -> None:
    text = _contract_yaml(copy).read_text(encoding="utf-8")
    hold = text[text.index(HOLD) : text.index("scopes:\n")]
    twice = hold + hold.replace("period: P2M", "period: P1M")
    edit(_contract_yaml(copy), hold, twice)
    two_holds = (
        f"{_where(copy)}: two holds by {REGULARISATION} that one notice could both meet: give "
        "them `when`s on one field with no value in common, or merge them"
    )
    assert _problems(copy) == [two_holds]
    # On two fields, one notice may meet both `when`s too.
    edit(
        _contract_yaml(copy),
        f"{WHEN}\n        from: steps.declared_on\n        period: P1M",
        (
            "when: {field: steps.kind, in: [care_being_arranged]}\n"
            "        from: steps.declared_on\n        period: P1M"
        ),
    )
    assert _problems(copy) == [two_holds]


def test_hub_contracts_check_refuses_a_hold_by_a_contract_that_does_not_answer(
    copy: Path,
) -> None:
    edit(_contract_yaml(copy), HOLD, "      - contract: ip.retour\n")
    assert deadline_problems(
        load_catalogue(copy / "contracts"), load_directory(copy / "directory.yaml")
    ) == [
        (
            f"{_where(copy)}: `held_by` names ip.retour, which does not answer "
            f"{FORMAL_NOTICE}: add {FORMAL_NOTICE} to its `answers`, or remove the hold"
        )
    ]
    checked = hub_command("contracts", "check", root=copy)
    assert checked.returncode == 1
    assert "contracts BROKEN" in checked.stdout
    assert "`held_by` names ip.retour, which does not answer" in checked.stdout
