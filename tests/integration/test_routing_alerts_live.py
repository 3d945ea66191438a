"""A family left between two offices reaches a person: the running hub alerts the SDAS, which
routes by hand for the département, and the notice's sender, over the real broker."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from hub.catalogue.contracts import Catalogue
from hub.catalogue.validation import schema_reasons
from tests.conftest import FORMAL_NOTICE, example
from tests.integration.conftest import HubProcess, hub_on_own_broker
from tests.integration.plain import PlainKafka, Received, notice_headers

pytestmark = pytest.mark.kafka
ALERT = "hub.routing-alert"
MDD = "departement/mdd:87-limoges-nord"
LIMOGES = example(FORMAL_NOTICE, "limoges-no-known-school")
GUERET = {**LIMOGES, "address": {**LIMOGES["address"], "commune_insee": "23096"}}  # no MDD's


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    with hub_on_own_broker(tmp_path_factory.mktemp("routing-alerts")) as hub:
        yield hub


def _alerts(plain: PlainKafka, topic: str, notice_id: str, count: int) -> list[Received]:
    """The routing alerts about `notice_id` on `topic`, once there are `count` of them."""

    def mine(records: list[Received]) -> list[Received]:
        return [
            r
            for r in records
            if r.headers.get("ce_type") == ALERT and r.headers.get("ce_causationid") == notice_id
        ]

    return mine(plain.read(topic, lambda got: len(mine(got)) >= count))


def _valid(catalogue: Catalogue, record: Received) -> dict[str, Any]:
    body: dict[str, Any] = record.json()
    assert schema_reasons(catalogue.contracts[ALERT].latest.validator, body) == []
    return body


def test_a_commune_no_mdd_serves_alerts_the_sdas_and_the_sender(
    hub: HubProcess, catalogue: Catalogue
) -> None:
    plain = PlainKafka(hub.bootstrap)
    notice, case = str(uuid.uuid4()), str(uuid.uuid4())
    plain.send(
        "hub.in.academie", json.dumps(GUERET).encode(), notice_headers(notice), case.encode()
    )
    [sdas] = _alerts(plain, "hub.out.departement", notice, 1)
    [dsden] = _alerts(plain, "hub.out.academie", notice, 1)
    assert (sdas.headers["ce_recipient"], dsden.headers["ce_recipient"]) == (
        "departement/sdas",
        "academie/dsden",
    )
    assert sdas.headers["ce_id"] == dsden.headers["ce_id"]
    assert (
        sdas.headers["ce_causationsource"]
        == dsden.headers["ce_causationsource"]
        == ("/academie/dsden")
    )
    assert sdas.headers["ce_source"] == "/hub"
    assert sdas.key == case.encode()
    body = _valid(catalogue, sdas)
    assert _valid(catalogue, dsden) == body
    assert {k: v for k, v in body.items() if k != "alerted_at"} == {
        "notice_id": notice,
        "case_id": case,
        "contract": FORMAL_NOTICE,
        "sender": "academie/dsden",
        "office": "departement/mdd",
        "cause": "unrouted",
    }
    assert b"23096" not in sdas.value + dsden.value  # codes and ids, not the family's commune
    status, trace = hub.look(notice)
    assert status == 200
    [step] = [s for s in json.loads(trace)["steps"] if s["kind"] == "routing-alerted"]
    assert step["detail"]["offices"] == ["academie/dsden", "departement/sdas"]


def test_a_receipt_refusing_as_wrong_office_alerts_the_sdas_and_the_sender(
    hub: HubProcess, catalogue: Catalogue
) -> None:
    plain = PlainKafka(hub.bootstrap)
    notice, case, receipt = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    plain.send(
        "hub.in.academie", json.dumps(LIMOGES).encode(), notice_headers(notice), case.encode()
    )
    plain.read(  # delivered to the MDD of the family's commune, which will refuse it
        "hub.out.departement",
        lambda got: any(
            r.headers["ce_id"] == notice and r.headers["ce_recipient"] == MDD for r in got
        ),
    )
    refusal = {
        "notice_id": notice,
        "status": "refused",
        "reason_code": "wrong_office",
        "at": "2026-11-24T10:15:00+01:00",
    }
    headers = notice_headers(
        receipt, f"/{MDD}", "hub.receipt", answers=notice, answers_from="/academie/dsden"
    )
    plain.send("hub.in.departement", json.dumps(refusal).encode(), headers, case.encode())
    [sdas] = _alerts(plain, "hub.out.departement", notice, 1)
    [dsden] = _alerts(plain, "hub.out.academie", notice, 1)
    assert sdas.headers["ce_recipient"] == "departement/sdas"
    assert dsden.headers["ce_recipient"] == "academie/dsden"
    assert sdas.headers["ce_id"] == dsden.headers["ce_id"]
    assert (
        sdas.headers["ce_causationsource"]
        == dsden.headers["ce_causationsource"]
        == ("/academie/dsden")
    )
    body = _valid(catalogue, dsden)
    assert {k: v for k, v in body.items() if k != "alerted_at"} == {
        "notice_id": notice,
        "case_id": case,
        "contract": FORMAL_NOTICE,
        "sender": "academie/dsden",
        "office": MDD,
        "cause": "wrong_office",
        "receipt_id": receipt,
    }
    # The sender also has the receipt itself, as before.
    plain.read("hub.out.academie", lambda got: any(r.headers["ce_id"] == receipt for r in got))
