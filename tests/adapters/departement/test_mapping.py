import dataclasses
import json

import pytest

from adapters.departement.mapping import idempotency_key, webhook_body
from adapters.sdk import Incoming
from adapters.sdk.http import ReplyError, reply_from

NOTICE = Incoming(
    "n-1",
    "ip.transmission",
    "/isg/isg",
    "departement/crip",
    "c-1",
    "s",
    None,
    {"urgency": "normal"},
)


def test_the_webhook_body_is_the_notice_and_its_key_names_the_delivery() -> None:
    body = webhook_body(NOTICE)
    assert json.loads(body) == {**NOTICE.as_document(), "payload": {"urgency": "normal"}}
    assert b" " not in body  # compact: the bytes signed are the bytes sent
    assert idempotency_key(NOTICE) == "/isg/isg/n-1/departement/crip"


def test_two_senders_notices_under_one_id_are_two_deliveries_to_the_application() -> None:
    """The application takes each key once: the CAF's notice must not take the ISG's key."""
    caf = dataclasses.replace(NOTICE, source="/caf/caf")
    assert idempotency_key(caf) == "/caf/caf/n-1/departement/crip"
    assert idempotency_key(caf) != idempotency_key(NOTICE)
    assert json.loads(webhook_body(caf))["from"] == "/caf/caf"


def test_a_reply_names_contract_office_and_payload_and_what_it_answers() -> None:
    reply = reply_from({"contract": "ip.retour", "office": "crip", "payload": {}, "answers": "n-1"})
    assert (reply.contract, reply.office, reply.answers, reply.answers_from, reply.case_id) == (
        "ip.retour",
        "crip",
        "n-1",
        None,
        None,
    )
    named = reply_from(
        {
            "contract": "ip.retour",
            "office": "crip",
            "payload": {},
            "answers": "n-1",
            "answers_from": "/isg/isg",  # the `from` of the notice delivered
            "case_id": "c-1",
        }
    )
    assert (named.answers_from, named.case_id) == ("/isg/isg", "c-1")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "expected a JSON object"),
        ({"contract": "ip.retour"}, "missing: office, payload"),
        ({"contract": "c", "office": "o", "payload": []}, "payload must be an object"),
        ({"contract": "c", "office": "o", "payload": {}, "child": "x"}, "unknown fields: child"),
        ({"contract": "c", "office": 3, "payload": {}}, "are strings"),
        ({"contract": "c", "office": "o", "payload": {}, "answers_from": 3}, "are strings"),
    ],
)
def test_a_malformed_reply_says_what_is_wrong(document: object, message: str) -> None:
    with pytest.raises(ReplyError, match=message):
        reply_from(document)
