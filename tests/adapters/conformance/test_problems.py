"""The kit's judgments on a receipt, without a broker: the SDK's own receipt, then altered."""

from __future__ import annotations

import dataclasses

import pytest

from adapters.conformance.hubside import Published
from adapters.conformance.problems import delivery, receipt_problems
from adapters.conformance.samples import deliveries_to, from_another_sender, origin_index
from adapters.sdk import Handling, Incoming
from adapters.sdk.receipts import receipt
from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory
from hub.core.intake import Admitted, Intake
from hub.core.routing import Origin
from hub.wire.envelope import CAUSATION_SOURCE_HEADER, Outgoing, Record

OTHER_CASE = "0d5c2a3e-3b7f-4c1a-8e9d-2f6a1b4c7d80"


@pytest.fixture
def notice(catalogue: Catalogue, directory: PartnerDirectory) -> Admitted:
    """The CRIP's feedback to the ISG, as the kit delivers it."""
    [feedback] = deliveries_to(catalogue, directory, "isg")
    return feedback


def _judged(
    notice: Admitted, record: Outgoing, catalogue: Catalogue, directory: PartnerDirectory
) -> Published:
    """A receipt as the hub side reads it: judged against the notice it answers."""
    env = notice.envelope
    origin = Origin(env.id, env.source, notice.contract.id, notice.case_id, frozenset({"isg/isg"}))
    raw = Record(
        record.topic,
        0,
        0,
        record.key,
        record.value,
        tuple((k, v.encode()) for k, v in record.headers.items()),
    )
    verdict = Intake(catalogue, directory).examine(raw, origin_index([origin]))
    return Published(raw, verdict, 0.0)


def _receipt(notice: Admitted) -> Outgoing:
    env = notice.envelope
    incoming = Incoming(
        env.id, notice.contract.id, env.source, "isg/isg", notice.case_id, "s", None, {}
    )
    return receipt("isg", incoming, Handling("processed"))


def test_the_sdks_receipt_of_a_delivery_handed_over_once_is_faultless(
    notice: Admitted, catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    judged = _judged(notice, _receipt(notice), catalogue, directory)
    assert receipt_problems(notice, "isg/isg", judged, [delivery(notice, "isg/isg")]) == []
    twice = [delivery(notice, "isg/isg")] * 2
    assert receipt_problems(notice, "isg/isg", judged, twice) == [
        f"ip.retour {notice.envelope.id} to isg/isg: handed over 2 times"
    ]
    # Another sender's notice under the same id was handed over: not this one.
    other = from_another_sender(notice, directory)
    assert other.envelope.id == notice.envelope.id
    assert other.envelope.source != notice.envelope.source
    assert other.case_id != notice.case_id
    missing = f"ip.retour {notice.envelope.id} to isg/isg: receipted, but the institution side"
    assert receipt_problems(notice, "isg/isg", judged, [delivery(other, "isg/isg")]) == [
        f"{missing} has not got it"
    ]


@pytest.mark.parametrize(
    ("change", "found"),
    [
        ({CAUSATION_SOURCE_HEADER: None}, "ce_causationsource is not the notice's source"),
        ({CAUSATION_SOURCE_HEADER: "/departement/sdas"}, "ce_causationsource is not the"),
        ({"key": None}, "key is not the notice's case"),
        ({"key": OTHER_CASE}, "key is not the notice's case"),
    ],
)
def test_a_receipt_not_naming_the_notices_source_or_case_is_a_problem(
    notice: Admitted,
    catalogue: Catalogue,
    directory: PartnerDirectory,
    change: dict[str, str | None],
    found: str,
) -> None:
    record = _receipt(notice)
    headers = {k: v for k, v in record.headers.items() if k not in change}
    headers |= {k: v for k, v in change.items() if k != "key" and v is not None}
    key = change.get("key", notice.case_id)
    record = dataclasses.replace(record, headers=headers, key=key.encode() if key else None)
    problems = receipt_problems(
        notice,
        "isg/isg",
        _judged(notice, record, catalogue, directory),
        [delivery(notice, "isg/isg")],
    )
    # The hub's intake may refuse it first (it does, as of wire contract version 6).
    assert len(problems) == 1
    assert found in problems[0] or "the hub would refuse its receipt" in problems[0]
