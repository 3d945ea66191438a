"""What an answer must share with the notice it answers: the rules and how they compare."""

import dataclasses
from typing import Any

import pytest
from pydantic import ValidationError

from hub.catalogue.contracts import Catalogue
from hub.catalogue.hub_contracts import RECALL, RECEIPT
from hub.catalogue.matches import MISMATCH, Match, Pair
from tests.conftest import FORMAL_NOTICE, example

EVERY_NOTICE_ANSWERED = (RECEIPT, RECALL)  # `answers: [every-notice]`: nothing to compare
NOTICE = example(FORMAL_NOTICE, "limoges-no-known-school")
REGULARISATION = example("instruction.regularisation", "limoges-enrolled")
RULE = Match.model_validate(
    {
        "same": ["dasen_reference", "child.last_name", "child.birth_date"],
        "not_before": ["sent_on", {"answer": "regularised_on", "answered": "sent_on"}],
    }
)


def _with(payload: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    """A copy of `payload` with the value at a dotted path replaced (or removed, for None)."""
    copied: dict[str, Any] = {**payload}
    node = copied
    *parents, last = path.split(".")
    for step in parents:
        node[step] = {**node[step]}
        node = node[step]
    if value is None:
        node.pop(last, None)
    else:
        node[last] = value
    return copied


def test_a_field_named_alone_is_the_same_path_on_both_sides() -> None:
    assert RULE.same[0] == Pair(answer="dasen_reference", answered="dasen_reference")
    assert RULE.not_before[1] == Pair(answer="regularised_on", answered="sent_on")


def test_the_regularisation_of_the_child_given_formal_notice_matches() -> None:
    regularised = _with(REGULARISATION, "regularised_on", "2026-10-05")  # the day it was sent
    assert RULE.reasons(regularised, NOTICE) == []
    assert RULE.agrees(regularised, NOTICE)


def test_another_child_is_refused_at_each_field_that_differs_quoting_no_value() -> None:
    other = _with(REGULARISATION, "child.last_name", "Zorglub")
    other = _with(other, "child.birth_date", "2015-03-15")
    reasons = RULE.reasons(other, NOTICE)
    assert [(r.code, r.pointer) for r in reasons] == [
        (MISMATCH, "/child/last_name"),
        (MISMATCH, "/child/birth_date"),
    ]
    assert "must be the same as `child.last_name` of the notice it answers" in reasons[0].detail
    assert not any(v in r.detail for r in reasons for v in ("Zorglub", "Martin", "2015-03"))


def test_a_date_before_the_notice_answered_is_refused() -> None:
    early = _with(_with(REGULARISATION, "sent_on", "2026-10-04"), "regularised_on", "2026-10-01")
    reasons = RULE.reasons(early, NOTICE)
    assert [r.pointer for r in reasons] == ["/sent_on", "/regularised_on"]
    assert reasons[1].detail == "must not be earlier than `sent_on` of the notice it answers"


@pytest.mark.parametrize(
    ("answer", "same"),
    [
        ("MARTIN", True),
        ("  martin ", True),
        ("Martín", False),  # an accent is another letter
        ("Marti", False),
    ],
)
def test_texts_agree_whatever_their_case_and_spaces_not_their_letters(
    answer: str, *, same: bool
) -> None:
    rule = Match.model_validate({"same": ["child.last_name"]})
    assert rule.agrees(_with(REGULARISATION, "child.last_name", answer), NOTICE) is same


def test_composed_and_decomposed_accents_are_the_same_text() -> None:
    rule = Match.model_validate({"same": ["child.first_names"]})
    decomposed = "Le\u0301a Jeanne"  # "Léa" with a combining accent
    assert rule.agrees(_with(REGULARISATION, "child.first_names", decomposed), NOTICE)


def test_a_field_the_answered_notice_left_out_binds_nothing_the_answer_must_keep_its_own() -> None:
    rule = Match.model_validate({"same": ["last_known_school_uai"]})
    assert rule.agrees({}, _with(NOTICE, "last_known_school_uai", None))
    [reason] = rule.reasons({}, {**NOTICE, "last_known_school_uai": "0870015U"})
    assert reason.pointer == "/last_known_school_uai"


def test_values_of_another_type_are_not_the_same() -> None:
    rule = Match.model_validate({"same": ["n"]})
    assert not rule.agrees({"n": "1"}, {"n": 1})
    assert not rule.agrees({"n": True}, {"n": 1})
    assert rule.agrees({"n": 1}, {"n": 1})


@pytest.mark.parametrize(
    ("answer", "answered", "earlier"),
    [
        ("2026-10-05", "2026-10-05", False),
        ("2026-10-04", "2026-10-05", True),
        ("2026-10-05T08:00:00+02:00", "2026-10-05", False),  # the same day
        ("2026-10-04T23:00:00+02:00", "2026-10-05", True),
        ("2026-10-05T08:00:00+02:00", "2026-10-05T09:00:00+02:00", True),
        ("2026-10-05T08:00:00+00:00", "2026-10-05T09:00:00+02:00", False),  # 10:00 in Paris
        (None, "2026-10-05", False),  # no date given: nothing to compare
    ],
)
def test_not_before_compares_dates_and_date_times(
    answer: str | None, answered: str, *, earlier: bool
) -> None:
    rule = Match.model_validate({"not_before": ["on"]})
    mine = {} if answer is None else {"on": answer}
    assert rule.agrees(mine, {"on": answered}) is not earlier


@pytest.mark.parametrize(
    ("declared", "fault"),
    [
        ({}, "a match names fields in `same` or `not_before`"),
        ({"same": ["guardians[].last_name"]}, "a match compares one value"),
        ({"same": ["Child"]}, "malformed field path"),
        ({"same": [{"answer": "a"}]}, "answered"),
        ({"alike": ["a"]}, "Extra inputs are not permitted"),
    ],
)
def test_a_rule_that_compares_nothing_or_cannot_be_read_is_refused(
    declared: dict[str, Any], fault: str
) -> None:
    with pytest.raises(ValidationError, match=fault):
        Match.model_validate(declared)


def _unmatched(catalogue: Catalogue) -> list[str]:
    """Each contract answered with no `matches` for it, and what to add where."""
    return [
        f"{contract.folder / 'contract.yaml'}: {contract.id} answers {other} but declares no "
        f"`matches` for it: add `matches: {{{other}: {{same: [<the reference or identity both "
        "carry>]}}}}` (contracts/README.md, What an answer shares with what it answers)"
        for contract in sorted(catalogue.contracts.values(), key=lambda c: c.id)
        if contract.id not in EVERY_NOTICE_ANSWERED
        for other in contract.meta.answers
        if other not in contract.meta.matches
    ]


def test_every_answering_contract_declares_what_it_shares_with_what_it_answers(
    catalogue: Catalogue,
) -> None:
    # The documents bind an answer to what it answers: the same child, file or reference. A
    # receipt and a recall answer every notice and compare nothing.
    answering = [c for c in catalogue.contracts.values() if c.meta.answers]
    assert {"ip.retour", "logement.avis", *EVERY_NOTICE_ANSWERED} <= {c.id for c in answering}
    assert _unmatched(catalogue) == []
    assert not catalogue.contracts[RECEIPT].meta.matches
    assert not catalogue.contracts[RECALL].meta.matches


def test_an_answering_contract_without_its_matches_is_named_with_what_to_add(
    catalogue: Catalogue,
) -> None:
    feedback = catalogue.contracts["ip.retour"]
    bare = dataclasses.replace(feedback, meta=feedback.meta.model_copy(update={"matches": {}}))
    broken = Catalogue(
        {**catalogue.contracts, bare.id: bare},
        catalogue.registry,
        catalogue.fast_registry,
        catalogue.categories,
        catalogue.policy,
    )
    [fault] = _unmatched(broken)
    assert fault.startswith(f"{feedback.folder / 'contract.yaml'}: ip.retour answers ")
    assert "add `matches: {ip.transmission: {same: [" in fault
