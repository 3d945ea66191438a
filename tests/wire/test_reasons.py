"""A reason travels as a code, a detail and, where there is one, a pointer."""

from hub.wire.reasons import Reason, Refusal


def test_a_reason_without_a_place_has_no_pointer_key() -> None:
    assert Reason("envelope.missing", "a required attribute is missing", "ce_id").as_json() == {
        "code": "envelope.missing",
        "detail": "a required attribute is missing",
        "pointer": "ce_id",
    }
    assert Reason("json.invalid", "the value is not JSON").as_json() == {
        "code": "json.invalid",
        "detail": "the value is not JSON",
    }


def test_a_refusal_carries_its_reasons_and_says_only_their_codes() -> None:
    refusal = Refusal(Reason("a.b", "first", "/x"), Reason("c.d", "second"))
    assert str(refusal) == "a.b, c.d"
    assert [r.code for r in refusal.reasons] == ["a.b", "c.d"]
