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
    assert idempotency_key(NOTICE) == "n-1/departement/crip"


def test_a_reply_names_contract_office_and_payload() -> None:
    reply = reply_from({"contract": "ip.retour", "office": "crip", "payload": {}, "answers": "n-1"})
    assert (reply.contract, reply.office, reply.answers, reply.case_id) == (
        "ip.retour",
        "crip",
        "n-1",
        None,
    )


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "expected a JSON object"),
        ({"contract": "ip.retour"}, "missing: office, payload"),
        ({"contract": "c", "office": "o", "payload": []}, "payload must be an object"),
        ({"contract": "c", "office": "o", "payload": {}, "child": "x"}, "unknown fields: child"),
        ({"contract": "c", "office": 3, "payload": {}}, "are strings"),
    ],
)
def test_a_malformed_reply_says_what_is_wrong(document: object, message: str) -> None:
    with pytest.raises(ReplyError, match=message):
        reply_from(document)
