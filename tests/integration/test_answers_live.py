"""Answers through the running hub: an answer must be about what it answers, and after it.

The DSDEN's regularisation closes a formal notice's fifteen-day deadline: the hub compares it
with the formal notice it keeps sealed, and refuses one about another child, or dated before
the notice, as `answer.mismatch`; once the case is erased, as `answer.case-erased`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from typing import Any

import pytest

from hub.wire.topics import inbound, outbound
from tests.conftest import FORMAL_NOTICE, example
from tests.integration.conftest import HubProcess
from tests.integration.plain import PlainKafka, Received, by_id, notice_headers

pytestmark = pytest.mark.kafka
REGULARISATION = "instruction.regularisation"
LIMOGES = example(FORMAL_NOTICE, "limoges-no-known-school")  # sent on 2026-10-05
ENROLLED = example(REGULARISATION, "limoges-enrolled")  # the same child, on 2026-10-16
SDAS, MDD = "departement/sdas", "departement/mdd:87-limoges-nord"


def _send(
    plain: PlainKafka, contract: str, payload: dict[str, Any], case: str, answers: str | None
) -> str:
    notice_id = f"{contract}-{uuid.uuid4().hex[:12]}"
    plain.send(
        inbound("academie"),
        json.dumps(payload).encode(),
        # The DSDEN answers its own formal notice: the answered notice's source is its own.
        notice_headers(
            notice_id,
            "/academie/dsden",
            contract,
            answers=answers,
            answers_from="/academie/dsden" if answers else None,
        ),
        key=case.encode(),
    )
    return notice_id


def _formal_notice(plain: PlainKafka) -> tuple[str, str]:
    """A formal notice in a case of its own, once delivered: its id and its case."""
    case = str(uuid.uuid4())
    notice_id = _send(plain, FORMAL_NOTICE, LIMOGES, case, None)
    plain.read(outbound("departement"), lambda rs: {SDAS, MDD} <= _offices(rs, notice_id))
    return notice_id, case


def _offices(records: list[Received], notice_id: str) -> set[str]:
    return {r.headers["ce_recipient"] for r in by_id(records, notice_id)}


def _reasons(plain: PlainKafka, notice_id: str) -> list[tuple[str, str]]:
    """The codes and pointers of the rejection of `notice_id`, told to the DSDEN (no value)."""

    def mine(records: list[Received]) -> list[Received]:
        return [
            r
            for r in records
            if r.headers.get("ce_type") == "hub.rejection"
            and r.json()["refused"]["id"] == notice_id
        ]

    [rejection] = mine(plain.read(outbound("academie"), lambda rs: bool(mine(rs))))
    assert rejection.headers["ce_recipient"] == "academie/dsden"
    assert b"Noah" not in rejection.value
    return [(r["code"], r["pointer"]) for r in rejection.json()["reasons"]]


def test_a_regularisation_of_another_child_or_dated_before_the_notice_is_refused(
    running_hub: HubProcess,  # noqa: ARG001 - the hub must run
    plain: PlainKafka,
) -> None:
    notice_id, case = _formal_notice(plain)
    other_child = {**ENROLLED, "child": {**ENROLLED["child"], "first_names": "Noah"}}
    refused_child = _send(plain, REGULARISATION, other_child, case, notice_id)
    too_early = {**ENROLLED, "sent_on": "2026-10-01"}
    refused_date = _send(plain, REGULARISATION, too_early, case, notice_id)
    assert _reasons(plain, refused_child) == [("answer.mismatch", "/child/first_names")]
    assert _reasons(plain, refused_date) == [("answer.mismatch", "/sent_on")]

    matching = _send(plain, REGULARISATION, ENROLLED, case, notice_id)
    records = plain.read(outbound("departement"), lambda rs: _offices(rs, matching) == {SDAS, MDD})
    assert {
        (r.headers["ce_causationid"], r.headers["ce_causationsource"])
        for r in by_id(records, matching)
    } == {(notice_id, "/academie/dsden")}
    # Same key, same partition: the refused answers were decided before, and went nowhere.
    assert by_id(records, refused_child) == []
    assert by_id(records, refused_date) == []


def test_an_answer_to_a_notice_whose_case_was_erased_is_refused(
    running_hub: HubProcess,
    plain: PlainKafka,
) -> None:
    notice_id, case = _formal_notice(plain)
    erase = subprocess.run(
        [sys.executable, "-m", "hub", "erase", case, "--path", str(running_hub.ledger)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert erase.returncode == 0, erase.stderr
    answer = _send(plain, REGULARISATION, ENROLLED, case, notice_id)
    assert _reasons(plain, answer) == [("answer.case-erased", "ce_causationid")]
