import pytest

from hub.wire.envelope import (
    KNOWN_HEADERS,
    Record,
    forwarded,
    header_map,
    key_case_id,
    read_envelope,
    write_record,
)
from hub.wire.reasons import Refusal

GOOD = {
    "ce_specversion": "1.0",
    "ce_id": "n-1",
    "ce_source": "/academie/dsden",
    "ce_type": "instruction.mise-en-demeure",
    "ce_time": "2026-11-23T09:00:00Z",
    "ce_dataschema": "https://partner-hub.example/contracts/instruction.mise-en-demeure/v1/schema.json",
    "content-type": "application/json",
}


def _record(headers: list[tuple[str, bytes]]) -> Record:
    return Record("hub.in.academie", 0, 0, None, b"{}", tuple(headers))


def test_a_complete_envelope_is_read() -> None:
    envelope = read_envelope(GOOD)
    assert (envelope.partner, envelope.office, envelope.sender) == (
        "academie",
        "dsden",
        "academie/dsden",
    )


def test_every_missing_attribute_is_reported() -> None:
    with pytest.raises(Refusal) as refused:
        read_envelope({"content-type": "application/json", "ce_id": "n-1"})
    missing = {r.pointer for r in refused.value.reasons if r.code == "envelope.missing"}
    assert missing == {"ce_specversion", "ce_source", "ce_type", "ce_time", "ce_dataschema"}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ce_specversion", "0.3"),
        ("ce_source", "academie/dsden"),
        ("ce_source", "/academie"),
        ("ce_time", "2026-11-23"),
        ("ce_time", "2026-11-23T09:00:00"),
        ("ce_id", "has space"),
        ("ce_dataschema", "not a uri"),
        ("traceparent", "00-xyz"),
        ("ce_causationid", "has space"),
        ("ce_causationsource", "academie/dsden"),
        ("ce_causationsource", "/academie"),
        ("ce_causationsource", "/academie/dsden\r\nce_recipient: x"),
    ],
)
def test_malformed_attributes_are_refused_by_name(name: str, value: str) -> None:
    with pytest.raises(Refusal) as refused:
        read_envelope({**GOOD, name: value})
    assert [(r.code, r.pointer) for r in refused.value.reasons] == [("envelope.invalid", name)]


def test_content_type_must_be_json() -> None:
    with pytest.raises(Refusal) as refused:
        read_envelope({**GOOD, "content-type": "text/plain"})
    assert refused.value.reasons[0].code == "envelope.content-type"


def test_duplicate_and_undecodable_headers_are_refused() -> None:
    with pytest.raises(Refusal) as duplicate:
        header_map(_record([("ce_id", b"a"), ("CE_ID", b"b")]))
    assert duplicate.value.reasons[0].code == "header.duplicate"
    with pytest.raises(Refusal) as undecodable:
        header_map(_record([("ce_id", b"\xff\xfe")]))
    assert (undecodable.value.reasons[0].code, undecodable.value.reasons[0].pointer) == (
        "header.encoding",
        "ce_id",
    )


def test_written_records_read_back_as_the_same_envelope() -> None:
    out = write_record(
        topic="hub.out.departement",
        key="k",
        event_id="n-1",
        source="/academie/dsden",
        event_type=GOOD["ce_type"],
        time=GOOD["ce_time"],
        dataschema=GOOD["ce_dataschema"],
        data=b"{}",
        extra={"ce_recipient": "departement/sdas"},
    )
    assert out.headers["ce_recipient"] == "departement/sdas"
    assert read_envelope(out.headers) == read_envelope(GOOD)


ANSWER = {**GOOD, "ce_causationid": "m-1", "ce_causationsource": "/academie/etablissement:0870015U"}


def test_an_answer_names_the_notice_it_answers_by_id_and_source() -> None:
    envelope = read_envelope(ANSWER)
    assert (envelope.causation_id, envelope.causation_source) == (
        "m-1",
        "/academie/etablissement:0870015U",
    )
    assert (read_envelope(GOOD).causation_id, read_envelope(GOOD).causation_source) == (None, None)
    assert {"ce_causationid", "ce_causationsource"} <= KNOWN_HEADERS  # may be named back


def test_a_delivery_passes_on_what_its_notice_answers_and_nothing_when_it_answers_nothing() -> None:
    def delivery(headers: dict[str, str]) -> dict[str, str]:
        return forwarded(
            read_envelope(headers),
            topic="hub.out.departement",
            key="k",
            dataschema=GOOD["ce_dataschema"],
            data=b"{}",
            recipient="departement/sdas",
        ).headers

    sent = delivery(ANSWER)
    assert (sent["ce_causationid"], sent["ce_causationsource"]) == (
        "m-1",
        "/academie/etablissement:0870015U",
    )
    assert read_envelope(sent) == read_envelope(ANSWER)
    assert not {"ce_causationid", "ce_causationsource"} & set(delivery(GOOD))


@pytest.mark.parametrize(
    ("key", "case_id"),
    [
        (b"51e36384-2d67-48c7-8e6b-77c6363188a0", "51e36384-2d67-48c7-8e6b-77c6363188a0"),
        (b"51E36384-2D67-48C7-8E6B-77C6363188A0", "51e36384-2d67-48c7-8e6b-77c6363188a0"),
        (b"not-a-uuid", None),
        (b"\xff\xfe", None),
        (b"", None),
        (None, None),
    ],
)
def test_a_key_names_a_case_only_as_a_uuid(key: bytes | None, case_id: str | None) -> None:
    assert key_case_id(key) == case_id
