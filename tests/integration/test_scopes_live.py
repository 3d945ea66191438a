"""A notice out of its contract's scope, through the running hub: refused to its sender only.

A plain Kafka client writes, as the DSDEN's system would, a formal notice about a child who is
16 on the day it is sent, then one about a child of 15: the first comes back as `scope.age`
naming the birth date and never its value, and reaches no office; the second is delivered.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest

from tests.conftest import FORMAL_NOTICE, example
from tests.integration.conftest import HubProcess, hub_on_own_broker
from tests.integration.plain import PlainKafka, Received, by_id, notice_headers

pytestmark = pytest.mark.kafka
LIMOGES = example(FORMAL_NOTICE, "limoges-no-known-school")  # sent on 2026-10-05
SIXTEEN = "2010-10-05"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    with hub_on_own_broker(tmp_path_factory.mktemp("scopes")) as running:
        yield running


def _send(plain: PlainKafka, birth_date: str) -> str:
    notice_id = str(uuid.uuid4())
    payload = {**LIMOGES, "child": {**LIMOGES["child"], "birth_date": birth_date}}
    value = json.dumps(payload).encode()
    plain.send("hub.in.academie", value, notice_headers(notice_id), key=str(uuid.uuid4()).encode())
    return notice_id


def _rejections(records: list[Received]) -> list[Received]:
    return [r for r in records if r.headers.get("ce_type") == "hub.rejection"]


def test_a_child_of_16_is_refused_as_scope_age_and_reaches_no_office(hub: HubProcess) -> None:
    plain = PlainKafka(hub.bootstrap)
    refused = _send(plain, SIXTEEN)
    delivered = _send(plain, "2010-10-06")  # 15 on the day, 16 the day after

    back = plain.read(
        "hub.out.academie",
        lambda got: (
            any(r.json()["refused"]["id"] == refused for r in _rejections(got))
            and any(r.headers.get("ce_causationid") == delivered for r in got)
        ),
    )
    [rejection] = [r for r in _rejections(back) if r.json()["refused"]["id"] == refused]
    assert rejection.headers["ce_recipient"] == "academie/dsden"
    assert rejection.json()["reasons"] == [
        {
            "code": "scope.age",
            "detail": "must be under 16 years old on `sent_on`",
            "pointer": "/child/birth_date",
        }
    ]
    assert SIXTEEN.encode() not in rejection.value
    assert not [r for r in _rejections(back) if r.json()["refused"]["id"] == delivered]

    # The notice in scope reaches the SDAS; the refused one was decided before (its rejection
    # is out), so no copy of it can come later.
    sdas = plain.read("hub.out.departement", lambda got: bool(by_id(got, delivered)))
    assert {r.headers["ce_recipient"] for r in by_id(sdas, delivered)} >= {"departement/sdas"}
    assert by_id(sdas, refused) == []
