"""Housing benefit through the running hub: the payer asks, the CCAPEX advises, the payer decides.

The CCAPEX's avis goes back to the payer that asked for it (and to the département's services
it asks to act), the payer's decision goes to the CCAPEX; the retired flow that had the CCAPEX
deciding is still accepted until its last day. The hub judges on a day of December 2026, when
the payer decides (`HUB_CALENDAR`), not on the real date.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.wire.topics import inbound, outbound
from tests.conftest import PAYER_DECIDES, example
from tests.integration.conftest import HubProcess, hub_on_own_broker
from tests.integration.plain import PlainKafka, Received, by_id, notice_headers

pytestmark = pytest.mark.kafka
HUB_CALENDAR = PAYER_DECIDES  # `own_hub`'s calendar: files opened while the payer decides


@pytest.fixture(scope="module")
def plain(own_hub: HubProcess) -> Iterator[PlainKafka]:
    """The partners' systems on the module's broker, as plain Kafka clients."""
    partners = PlainKafka(own_hub.bootstrap)
    yield partners
    partners.close()


def _send(  # noqa: PLR0913 - what is sent, by whom, in which case, answering what
    plain: PlainKafka,
    contract: str,
    name: str,
    source: str,
    case: str,
    *,
    answers: tuple[str, str] | None = None,
) -> str:
    """Send an example; `answers`: the answered notice's source and id."""
    notice_id = f"{contract}-{uuid.uuid4().hex[:12]}"
    partner = source.split("/")[1]
    answers_from, answered = answers or (None, None)
    plain.send(
        inbound(partner),
        json.dumps(example(contract, name)).encode(),
        notice_headers(notice_id, source, contract, answers=answered, answers_from=answers_from),
        key=case.encode(),
    )
    return notice_id


def _delivered(
    plain: PlainKafka, partner: str, notice_id: str, count: int = 1
) -> list[dict[str, Any]]:
    records = plain.read(outbound(partner), lambda rs: len(by_id(rs, notice_id)) >= count)
    found = by_id(records, notice_id)
    return [{"recipient": r.headers["ce_recipient"], **r.json()} for r in found]


def test_the_avis_reaches_the_payer_that_asked_and_the_decision_the_ccapex(
    plain: PlainKafka,
) -> None:
    case = str(uuid.uuid4())
    request = _send(plain, "logement.demande-avis", "suspension-plan-not-kept", "/caf/caf", case)
    [asked] = _delivered(plain, "ccapex", request)
    assert asked["recipient"] == "ccapex/ccapex"
    assert asked["payer"] == {"organisation": "caf", "code": "871", "allocataire_number": "2458713"}

    avis = _send(
        plain,
        "logement.avis",
        "plan-and-fsl",
        "/ccapex/ccapex",
        case,
        answers=("/caf/caf", request),
    )
    [to_payer] = _delivered(plain, "caf", avis)
    assert to_payer["recipient"] == "caf/caf"
    assert to_payer["avis"] == "maintain_with_repayment_plan"
    # The payer gets its own file back, and nothing of the household.
    assert "commune_insee" not in to_payer
    [to_fsl] = _delivered(plain, "departement", avis)
    assert to_fsl["recipient"] == "departement/fsl"  # the CCAPEX asked the FSL to act, not the MDD
    assert "payer" not in to_fsl  # never the allocataire's number
    assert "household" not in to_fsl  # the household comes with the orientation, agreed to
    assert to_fsl["recommendations"] == ["repayment_plan", "fsl_application"]

    decision = _send(plain, "logement.decision-payeur", "maintained-with-plan", "/caf/caf", case)
    [decided] = _delivered(plain, "ccapex", decision)
    assert decided["recipient"] == "ccapex/ccapex"
    assert decided["decision"] == "maintained"


def test_the_ccapex_cannot_send_the_payers_decision(
    plain: PlainKafka,
) -> None:
    refused = _send(
        plain, "logement.decision-payeur", "msa-suspended", "/ccapex/ccapex", str(uuid.uuid4())
    )

    def mine(records: list[Received]) -> list[Received]:
        return [
            r
            for r in records
            if r.headers.get("ce_type") == "hub.rejection" and r.json()["refused"]["id"] == refused
        ]

    [rejection] = mine(plain.read(outbound("ccapex"), lambda rs: bool(mine(rs))))
    assert [reason["code"] for reason in rejection.json()["reasons"]] == ["sender.not-producer"]


def test_the_retired_flow_is_refused_after_its_last_day(tmp_path: Path) -> None:
    # The hub's calendar set past the last day of logement.decision-aide (2027-02-28).
    with hub_on_own_broker(tmp_path, HUB_DEADLINES_AS_OF="2027-03-01T08:00:00+00:00") as hub:
        other = PlainKafka(hub.bootstrap)
        refused = _send(
            other, "logement.decision-aide", "suspended", "/ccapex/ccapex", str(uuid.uuid4())
        )

        def mine(records: list[Received]) -> list[Received]:
            return [
                r
                for r in records
                if r.headers.get("ce_type") == "hub.rejection"
                and r.json()["refused"]["id"] == refused
            ]

        [rejection] = mine(other.read(outbound("ccapex"), lambda rs: bool(mine(rs))))
        [reason] = rejection.json()["reasons"]
        assert (reason["code"], reason["pointer"]) == ("contract.retired", "ce_type")
        # Its replacements: the payer's decision until 2026, the CCAPEX's from 2027.
        assert "send logement.decision-ccapex or logement.decision-payeur" in reason["detail"]


def test_each_payer_receives_the_avis_on_its_own_allocataires_only(
    plain: PlainKafka,
) -> None:
    caf_case, msa_case = str(uuid.uuid4()), str(uuid.uuid4())
    caf_request = _send(
        plain, "logement.demande-avis", "suspension-plan-not-kept", "/caf/caf", caf_case
    )
    msa_request = _send(
        plain, "logement.demande-avis", "msa-payment-to-landlord", "/msa/msa", msa_case
    )
    caf_avis = _send(
        plain,
        "logement.avis",
        "plan-and-fsl",
        "/ccapex/ccapex",
        caf_case,
        answers=("/caf/caf", caf_request),
    )
    msa_avis = _send(
        plain,
        "logement.avis",
        "suspend-with-support",
        "/ccapex/ccapex",
        msa_case,
        answers=("/msa/msa", msa_request),
    )
    [to_msa] = _delivered(plain, "msa", msa_avis)
    assert to_msa["recipient"] == "msa/msa"
    assert to_msa["payer"]["organisation"] == "msa"
    [to_caf] = _delivered(plain, "caf", caf_avis)
    assert to_caf["payer"]["organisation"] == "caf"
    # Everything on the MSA's topic is about the MSA's own allocataires: no CAF file, ever.
    records = plain.read(outbound("msa"), lambda rs: bool(by_id(rs, msa_avis)))
    payers = {
        r.json()["payer"]["organisation"]
        for r in records
        if r.headers.get("ce_type", "").startswith("logement.") and r.value
    }
    assert payers == {"msa"}
    assert not by_id(records, caf_avis)
