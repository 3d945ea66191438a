import dataclasses
import json
import sqlite3
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory
from hub.catalogue.validation import schema_reasons
from hub.core.cases import case_id_for
from hub.core.intake import Admitted, Intake
from hub.ledger import Entry
from hub.ledger.entries import accepted, delivered
from hub.relay import Relay
from hub.schedules.retention import erase_case
from hub.state.port import Kept
from hub.state.sqlite import SqliteState
from hub.wire.envelope import Outgoing, Record
from tests.conftest import FORMAL_NOTICE, example
from tests.notices import answering, ce_headers, record

LIMOGES = example(FORMAL_NOTICE, "limoges-no-known-school")
SAINT_JUNIEN = example(FORMAL_NOTICE, "saint-junien-minimal")
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
CASE = b"51e36384-2d67-48c7-8e6b-77c6363188a0"


class Outbox:
    """Records what the relay publishes; can be told to fail like a broker that is down."""

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []
        self.down = False

    async def __call__(self, outgoing: Sequence[Outgoing]) -> None:
        if self.down:
            raise ConnectionError("broker unavailable")
        self.sent.extend(outgoing)

    def deliveries(self) -> list[tuple[str, str]]:
        return [
            (o.headers["ce_id"], o.headers["ce_recipient"])
            for o in self.sent
            if not o.headers["ce_type"].startswith("hub.")
        ]

    def rejections(self) -> list[dict[str, Any]]:
        return [json.loads(o.value) for o in self.sent if o.headers["ce_type"] == "hub.rejection"]

    def acceptances(self) -> list[Outgoing]:
        return [o for o in self.sent if o.headers["ce_type"] == "hub.acceptance"]


@pytest_asyncio.fixture
async def ledger(tmp_path: Path) -> AsyncIterator[SqliteState]:
    ledger = SqliteState(tmp_path / "ledger.sqlite", clock=lambda: NOW)
    yield ledger
    await ledger.close()


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


@pytest.fixture
def relay(
    catalogue: Catalogue, directory: PartnerDirectory, ledger: SqliteState, outbox: Outbox
) -> Relay:
    return Relay(Intake(catalogue, directory), ledger, outbox, clock=lambda: NOW)


async def _kinds(ledger: SqliteState) -> list[str]:
    """The delivery steps (a formal notice also opens a deadline: tests/test_deadlines.py)."""
    return [s.entry.kind for s in await ledger.entries() if not s.entry.kind.startswith("deadline")]


@pytest.mark.asyncio
async def test_a_duplicate_is_delivered_once_and_a_conflict_rejected(
    relay: Relay, outbox: Outbox, ledger: SqliteState
) -> None:
    first = record(LIMOGES, notice_id="n-1")
    report = await relay.process([first, record(LIMOGES, notice_id="n-1", offset=1)])
    assert (report.accepted, report.duplicates, report.delivered) == (1, 1, 2)
    again = await relay.process([record(LIMOGES, notice_id="n-1", offset=2)])
    assert again.duplicates == 1
    clash = await relay.process([record(SAINT_JUNIEN, notice_id="n-1", offset=3)])
    assert clash.rejected == 1
    assert outbox.deliveries() == [
        ("n-1", "departement/sdas"),
        ("n-1", "departement/mdd:87-limoges-nord"),
    ]
    [rejection] = outbox.rejections()
    assert rejection["refused"] == {
        "id": "n-1",
        "type": FORMAL_NOTICE,
        "topic": "hub.in.academie",
        "partition": 0,
        "offset": 3,
    }
    assert await _kinds(ledger) == ["accepted", "delivered", "delivered", "rejected"]
    assert (await ledger.verify()).ok


@pytest.mark.asyncio
async def test_a_rejection_for_a_header_not_utf8_names_the_records_id(
    relay: Relay, outbox: Outbox
) -> None:
    readable = record(LIMOGES, notice_id="n-enc", offset=4)
    odd = dataclasses.replace(readable, headers=(*readable.headers, ("ce_subject", b"\xff\xfe")))
    assert (await relay.process([odd])).rejected == 1
    [rejection] = outbox.rejections()
    assert rejection["refused"]["id"] == "n-enc"
    assert [r["code"] for r in rejection["reasons"]] == ["header.encoding"]


@pytest.mark.asyncio
async def test_rejections_go_to_the_sender_valid_and_without_values(
    relay: Relay, outbox: Outbox, catalogue: Catalogue
) -> None:
    canary = "Canary-Ginette-Lagarde"
    bad = {**LIMOGES, "child": {**LIMOGES["child"], "birth_date": canary}}
    await relay.process([record(bad, notice_id="n-2"), Record("hub.in.isg", 1, 5, None, b"x", ())])
    rejections = [o for o in outbox.sent if o.headers["ce_type"] == "hub.rejection"]
    assert [o.topic for o in rejections] == ["hub.out.academie", "hub.out.isg"]
    assert [o.headers["ce_recipient"] for o in rejections] == ["academie/dsden", "isg"]
    validator = catalogue.contracts["hub.rejection"].latest.validator
    for body in outbox.rejections():
        assert schema_reasons(validator, body) == []
    assert canary not in repr(outbox.sent)


@pytest.mark.asyncio
async def test_a_broker_failure_records_nothing_and_the_batch_is_decided_again(
    relay: Relay, outbox: Outbox, ledger: SqliteState
) -> None:
    outbox.down = True
    with pytest.raises(ConnectionError):
        await relay.process([record(LIMOGES, notice_id="n-3")])
    assert await _kinds(ledger) == []  # one commit, after the broker holds the records
    assert await ledger.kept_record("/academie/dsden", "n-3") is None
    outbox.down = False
    report = await relay.process([record(LIMOGES, notice_id="n-3")])
    assert (report.accepted, report.resumed, report.delivered) == (1, 0, 2)
    assert len(outbox.deliveries()) == 2
    assert await _kinds(ledger) == ["accepted", "delivered", "delivered"]
    assert await ledger.kept_record("/academie/dsden", "n-3") is not None


@pytest.mark.asyncio
async def test_a_state_failure_after_publishing_leaves_the_batch_to_be_read_again(
    catalogue: Catalogue,
    directory: PartnerDirectory,
    ledger: SqliteState,
    outbox: Outbox,
    tmp_path: Path,
) -> None:
    class Failing(SqliteState):
        async def commit(self, entries: Sequence[Entry], kept: Sequence[Kept] = ()) -> None:
            del entries, kept
            raise sqlite3.OperationalError("disk I/O error")

    failing = Failing(tmp_path / "ledger.sqlite", clock=lambda: NOW)
    with pytest.raises(sqlite3.OperationalError):
        await Relay(Intake(catalogue, directory), failing, outbox).process(
            [record(LIMOGES, notice_id="n-5")]
        )
    await failing.close()
    assert await _kinds(ledger) == []  # neither the decision nor the kept record
    assert await ledger.kept_record("/academie/dsden", "n-5") is None
    relay = Relay(Intake(catalogue, directory), ledger, outbox, clock=lambda: NOW)
    report = await relay.process([record(LIMOGES, notice_id="n-5")])
    assert (report.accepted, report.delivered) == (1, 2)
    assert await ledger.kept_record("/academie/dsden", "n-5") is not None


@pytest.mark.asyncio
async def test_only_the_offices_not_yet_served_are_resumed(
    relay: Relay,
    outbox: Outbox,
    ledger: SqliteState,
    catalogue: Catalogue,
    directory: PartnerDirectory,
) -> None:
    # A ledger holding a notice accepted but served to one office only (as an earlier hub,
    # which recorded decisions and deliveries in two commits, could leave it after a crash).
    notice = Intake(catalogue, directory).examine(record(LIMOGES, notice_id="n-4"), {})
    assert isinstance(notice, Admitted)
    [to_sdas] = [e for e in delivered(notice) if e.office == "departement/sdas"]
    await ledger.commit([accepted(notice), to_sdas])
    report = await relay.process([record(LIMOGES, notice_id="n-4")])
    assert (report.accepted, report.resumed) == (0, 1)
    assert outbox.deliveries() == [("n-4", "departement/mdd:87-limoges-nord")]


@pytest.mark.asyncio
async def test_deliveries_record_fields_sent_and_withheld(
    relay: Relay, ledger: SqliteState
) -> None:
    await relay.process([record(LIMOGES, notice_id="n-5")])
    delivered = {s.entry.office: s.entry.detail for s in await ledger.entries() if s.entry.office}
    mdd = delivered["departement/mdd:87-limoges-nord"]
    assert "dasen_reference" in mdd["fields_withheld"]
    assert "child.birth_date" in mdd["fields_sent"]
    assert delivered["departement/sdas"]["fields_withheld"] == []
    assert "Martin" not in json.dumps(delivered)


@pytest.mark.asyncio
async def test_an_answer_in_the_same_batch_as_its_notice_reaches_the_sender(
    relay: Relay, outbox: Outbox, ledger: SqliteState
) -> None:
    case = str(uuid.uuid4()).encode()
    ip = example("ip.transmission", "school-social-worker-serious-danger", major=2)
    ip_headers = ce_headers(
        notice_id="ip-7", source="/academie/service-social", contract="ip.transmission", major=2
    )
    retour_headers = ce_headers(
        notice_id="retour-7",
        source="/departement/crip",
        contract="ip.retour",
        **answering("ip-7", "/academie/service-social"),
    )
    await relay.process(
        [
            Record(
                "hub.in.departement",
                0,
                0,
                case,
                _json(example("ip.retour", "mesure-administrative-service-social")),
                tuple(retour_headers),
            ),
            Record("hub.in.academie", 0, 0, case, _json(ip), tuple(ip_headers)),
        ]
    )
    assert sorted(outbox.deliveries()) == [
        ("ip-7", "departement/crip"),
        ("ip-7", "departement/crip-astreinte"),  # serious and immediate danger: on call too
        ("retour-7", "academie/service-social"),
    ]
    [answer] = [
        s.entry
        for s in await ledger.entries()
        if s.entry.notice_id == "retour-7" and s.entry.kind == "accepted"
    ]
    assert (answer.detail["answers"], answer.detail["answers_source"]) == (
        "ip-7",
        "/academie/service-social",
    )
    [to_school] = [o for o in outbox.sent if o.headers["ce_id"] == "retour-7"]
    assert (to_school.headers["ce_causationid"], to_school.headers["ce_causationsource"]) == (
        "ip-7",
        "/academie/service-social",
    )


def _json(payload: dict[str, object]) -> bytes:
    return json.dumps(payload).encode()


@pytest.mark.asyncio
async def test_the_sender_gets_one_acceptance_per_notice_even_for_a_duplicate(
    relay: Relay, outbox: Outbox, catalogue: Catalogue
) -> None:
    await relay.process([record(LIMOGES, notice_id="n-8", key=CASE)])
    await relay.process([record(LIMOGES, notice_id="n-8", key=CASE, offset=1)])
    first, again = outbox.acceptances()
    assert first.headers == again.headers
    assert first.value == again.value
    assert first.topic == "hub.out.academie"
    assert first.headers["ce_recipient"] == "academie/dsden"
    assert first.headers["ce_causationid"] == "n-8"
    assert first.headers["ce_causationsource"] == "/academie/dsden"
    body = json.loads(first.value)
    assert body["accepted"] == {"id": "n-8", "type": FORMAL_NOTICE}
    assert body["case_id"] == CASE.decode()
    assert body["delivered_to"] == ["departement/mdd:87-limoges-nord", "departement/sdas"]
    validator = catalogue.contracts["hub.acceptance"].latest.validator
    assert schema_reasons(validator, body) == []
    assert len(outbox.deliveries()) == 2  # the duplicate is acknowledged, not delivered again


@pytest.mark.asyncio
async def test_a_refused_notice_gets_no_acceptance(relay: Relay, outbox: Outbox) -> None:
    await relay.process([record(LIMOGES, notice_id="n-9", source="/academie/service-social")])
    assert outbox.acceptances() == []
    assert len(outbox.rejections()) == 1


@pytest.mark.asyncio
async def test_a_receipt_is_recorded_against_the_notice_it_acknowledges(
    relay: Relay, ledger: SqliteState
) -> None:
    await relay.process([record(LIMOGES, notice_id="n-9", key=CASE)])
    at = "2026-11-23T10:00:00+01:00"
    receipt: dict[str, object] = {
        "notice_id": "n-9",
        "status": "refused",
        "reason_code": "wrong_office",
        "at": at,
    }
    headers = ce_headers(
        notice_id="r-9",
        source="/departement/sdas",
        contract="hub.receipt",
        **answering("n-9", "/academie/dsden"),
    )
    await relay.process([Record("hub.in.departement", 0, 1, CASE, _json(receipt), tuple(headers))])
    [entry] = [s.entry for s in await ledger.entries() if s.entry.kind == "receipted"]
    assert (entry.notice_id, entry.sender, entry.office, entry.contract) == (
        "n-9",
        "/academie/dsden",
        "departement/sdas",
        FORMAL_NOTICE,
    )
    assert entry.case_id == CASE.decode()
    assert entry.detail == {
        "status": "refused",
        "reason_code": "wrong_office",
        "at": "2026-11-23T10:00:00+01:00",
        "receipt_id": "r-9",
    }


@pytest.mark.asyncio
async def test_a_hub_that_cannot_record_sets_nothing_aside_and_tells_no_sender(
    catalogue: Catalogue, directory: PartnerDirectory, outbox: Outbox, tmp_path: Path
) -> None:
    class Unwritable(SqliteState):
        async def commit(self, entries: Sequence[Entry], kept: Sequence[Kept] = ()) -> None:
            del entries, kept
            raise sqlite3.OperationalError("disk I/O error")

    state = Unwritable(tmp_path / "state.sqlite", clock=lambda: NOW)
    relay = Relay(Intake(catalogue, directory), state, outbox, clock=lambda: NOW, tries=2)
    for _ in range(5):  # however often the batch is read again
        with pytest.raises(sqlite3.OperationalError):
            await relay.process([record(LIMOGES, notice_id="n-6")])
    assert outbox.rejections() == []
    await state.close()


def _routing_alerts(outbox: Outbox) -> list[tuple[str, str, str]]:
    return [
        (o.headers["ce_id"], o.headers["ce_recipient"], json.loads(o.value)["cause"])
        for o in outbox.sent
        if o.headers["ce_type"] == "hub.routing-alert"
    ]


def _wrong_office(notice_id: str, *, offset: int = 1) -> Record:
    """The MDD's receipt refusing `notice_id` as not its own."""
    receipt: dict[str, object] = {
        "notice_id": notice_id,
        "status": "refused",
        "reason_code": "wrong_office",
        "at": "2026-11-23T10:00:00+01:00",
    }
    headers = ce_headers(
        notice_id=f"r-{notice_id}",
        source="/departement/mdd:87-limoges-nord",
        contract="hub.receipt",
        **answering(notice_id, "/academie/dsden"),
    )
    return Record("hub.in.departement", 0, offset, CASE, _json(receipt), tuple(headers))


@pytest.mark.asyncio
async def test_an_unrouted_consumer_is_alerted_once_and_recorded(
    relay: Relay, outbox: Outbox, ledger: SqliteState
) -> None:
    elsewhere = {**LIMOGES, "address": {**LIMOGES["address"], "commune_insee": "23096"}}
    await relay.process([record(elsewhere, notice_id="n-20", key=CASE)])
    await relay.process([record(elsewhere, notice_id="n-20", key=CASE, offset=1)])  # duplicate
    [(alert_id, _, _), _] = alerts = _routing_alerts(outbox)
    assert alerts == [
        (alert_id, "departement/sdas", "unrouted"),
        (alert_id, "academie/dsden", "unrouted"),
    ]
    [entry] = [s.entry for s in await ledger.entries() if s.entry.kind == "routing-alerted"]
    assert (entry.notice_id, entry.case_id, entry.sender, entry.office) == (
        "n-20",
        CASE.decode(),
        "/academie/dsden",
        "departement/mdd",
    )
    assert entry.detail == {
        "cause": "unrouted",
        "receipt_id": None,
        "alert_id": alert_id,
        "offices": ["academie/dsden", "departement/sdas"],
    }
    assert (await ledger.verify()).ok


@pytest.mark.asyncio
async def test_a_receipt_refusing_as_wrong_office_alerts_sdas_and_the_sender_once(
    relay: Relay, outbox: Outbox, ledger: SqliteState
) -> None:
    await relay.process([record(LIMOGES, notice_id="n-21", key=CASE)])
    assert _routing_alerts(outbox) == []  # every consumer has its office
    await relay.process([_wrong_office("n-21")])
    await relay.process([_wrong_office("n-21", offset=2)])  # the same receipt again
    [(alert_id, _, _), _] = alerts = _routing_alerts(outbox)
    assert alerts == [
        (alert_id, "departement/sdas", "wrong_office"),
        (alert_id, "academie/dsden", "wrong_office"),
    ]
    assert {
        (o.headers["ce_causationid"], o.headers["ce_causationsource"])
        for o in outbox.sent
        if o.headers["ce_type"] == "hub.routing-alert"
    } == {("n-21", "/academie/dsden")}
    [entry] = [s.entry for s in await ledger.entries() if s.entry.kind == "routing-alerted"]
    assert (entry.notice_id, entry.office, entry.contract) == (
        "n-21",
        "departement/mdd:87-limoges-nord",
        FORMAL_NOTICE,
    )
    assert entry.detail["receipt_id"] == "r-n-21"


@pytest.mark.asyncio
async def test_a_batch_read_again_after_a_state_failure_alerts_under_the_same_id(
    catalogue: Catalogue, directory: PartnerDirectory, outbox: Outbox, tmp_path: Path
) -> None:
    class FailsOnce(SqliteState):
        fail_next = False

        async def commit(self, entries: Sequence[Entry], kept: Sequence[Kept] = ()) -> None:
            if self.fail_next:
                self.fail_next = False
                raise sqlite3.OperationalError("disk I/O error")
            await super().commit(entries, kept)

    state = FailsOnce(tmp_path / "state.sqlite", clock=lambda: NOW)
    relay = Relay(Intake(catalogue, directory), state, outbox, clock=lambda: NOW)
    await relay.process([record(LIMOGES, notice_id="n-22", key=CASE)])
    state.fail_next = True  # the receipt's batch is published, then its commit fails
    with pytest.raises(sqlite3.OperationalError):
        await relay.process([_wrong_office("n-22")])
    await relay.process([_wrong_office("n-22")])  # read again
    alerts = _routing_alerts(outbox)
    assert len(alerts) == 4  # two offices, twice: the broker held the first ones
    assert len({alert_id for alert_id, _, _ in alerts}) == 1  # under one id, dropped once seen
    entries = [s.entry for s in await state.entries() if s.entry.kind == "routing-alerted"]
    assert len(entries) == 1
    await state.close()


def _regularisation(payload: dict[str, Any], notice_id: str, offset: int) -> Record:
    headers = ce_headers(
        notice_id=notice_id,
        contract="instruction.regularisation",
        **answering("m-10", "/academie/dsden"),
    )
    return Record("hub.in.academie", 0, offset, CASE, _json(payload), tuple(headers))


@pytest.mark.asyncio
async def test_an_answer_is_compared_with_the_notice_as_the_vault_keeps_it(
    relay: Relay, outbox: Outbox, ledger: SqliteState
) -> None:
    await relay.process([record(LIMOGES, notice_id="m-10", key=CASE)])
    enrolled = example("instruction.regularisation", "limoges-enrolled")
    other_child = {**enrolled, "child": {**enrolled["child"], "first_names": "Noah"}}
    too_early = {**enrolled, "sent_on": "2026-10-01"}  # the formal notice was sent on 10-05
    await relay.process(
        [_regularisation(other_child, "r-1", 1), _regularisation(too_early, "r-2", 2)]
    )
    assert [[(r["code"], r["pointer"]) for r in b["reasons"]] for b in outbox.rejections()] == [
        [("answer.mismatch", "/child/first_names")],
        [("answer.mismatch", "/sent_on")],
    ]
    assert not [k for k in await _kinds_all(ledger) if k == "deadline-closed"]
    report = await relay.process([_regularisation(enrolled, "r-3", 3)])
    assert report.accepted == 1
    assert ("r-3", "departement/sdas") in outbox.deliveries()
    assert "deadline-closed" in await _kinds_all(ledger)


@pytest.mark.asyncio
async def test_an_answer_to_a_notice_of_an_erased_case_is_refused(
    relay: Relay, outbox: Outbox, ledger: SqliteState
) -> None:
    await relay.process([record(LIMOGES, notice_id="m-10", key=CASE)])
    assert await erase_case(ledger, CASE.decode(), "request", NOW)
    enrolled = example("instruction.regularisation", "limoges-enrolled")
    report = await relay.process([_regularisation(enrolled, "r-4", 1)])
    assert report.rejected == 1
    [rejection] = outbox.rejections()
    assert [(r["code"], r["pointer"]) for r in rejection["reasons"]] == [
        ("answer.case-erased", "ce_causationid")
    ]


async def _kinds_all(ledger: SqliteState) -> list[str]:
    return [s.entry.kind for s in await ledger.entries()]


# Answers through the relay: a notice is its source and id, looked up in the ledger or the batch.

IP_V2 = example("ip.transmission", "school-social-worker-serious-danger", major=2)
RETOUR_V2 = example("ip.retour", "mesure-administrative-service-social")  # answers IP_V2


def _ip(source: str, case: bytes, offset: int = 0) -> Record:
    """An IP `ip-7` from `source` (the school's social service and the ISG each send one)."""
    partner = source.split("/")[1]
    headers = ce_headers(notice_id="ip-7", source=source, contract="ip.transmission", major=2)
    return Record(f"hub.in.{partner}", 0, offset, case, _json(IP_V2), tuple(headers))


def _crip_feedback(notice_id: str, names: str, case: bytes, offset: int = 0) -> Record:
    """The CRIP's feedback on the IP `ip-7` of the source `names`."""
    headers = ce_headers(
        notice_id=notice_id,
        source="/departement/crip",
        contract="ip.retour",
        **answering("ip-7", names),
    )
    return Record("hub.in.departement", 0, offset, case, _json(RETOUR_V2), tuple(headers))


SCHOOL, ISG = "/academie/service-social", "/isg/isg"
ISG_CASE = b"7d2e4b1a-3c5f-4a6e-8b9d-0f1e2d3c4b5a"


@pytest.mark.asyncio
async def test_an_answer_reaches_the_sender_of_the_notice_it_names_where_two_share_an_id(
    relay: Relay, outbox: Outbox, ledger: SqliteState
) -> None:
    """The school's social service and the ISG each sent the CRIP an IP `ip-7`, in one case."""
    await relay.process([_ip(ISG, CASE), _ip(SCHOOL, CASE, offset=1)])
    await relay.process([_crip_feedback("retour-isg", ISG, CASE, offset=1)])
    await relay.process([_crip_feedback("retour-school", SCHOOL, CASE, offset=2)])
    assert [d for d in outbox.deliveries() if d[0].startswith("retour")] == [
        ("retour-isg", "isg/isg"),
        ("retour-school", "academie/service-social"),
    ]
    answered = {
        s.entry.notice_id: (s.entry.detail["answers"], s.entry.detail["answers_source"])
        for s in await ledger.entries()
        if s.entry.kind == "accepted" and s.entry.contract == "ip.retour"
    }
    assert answered == {"retour-isg": ("ip-7", ISG), "retour-school": ("ip-7", SCHOOL)}


@pytest.mark.asyncio
async def test_an_answer_to_a_notice_later_in_its_batch_is_matched_by_source_too(
    relay: Relay, outbox: Outbox
) -> None:
    """The ledger holds the ISG's `ip-7`; the batch brings the school's, after its feedback."""
    # The académie takes part in the case (its formal notice), the ISG opens its IP there.
    await relay.process([record(LIMOGES, notice_id="m-30", key=CASE), _ip(ISG, CASE, offset=1)])
    report = await relay.process(
        [_crip_feedback("retour-7", SCHOOL, CASE, offset=1), _ip(SCHOOL, CASE, offset=2)]
    )
    assert (report.accepted, report.rejected) == (2, 0)
    assert ("retour-7", "academie/service-social") in outbox.deliveries()
    assert ("retour-7", "isg/isg") not in outbox.deliveries()


@pytest.mark.asyncio
async def test_a_refused_answer_reads_the_same_whether_its_notice_exists_or_not(
    relay: Relay, outbox: Outbox
) -> None:
    """Another case's notice, another source's, or none: the CRIP learns nothing from which."""
    await relay.process([_ip(SCHOOL, CASE)])
    outbox.sent.clear()
    report = await relay.process(
        [
            _crip_feedback("retour-1", SCHOOL, ISG_CASE, offset=1),  # exists, in another case
            _crip_feedback("retour-2", ISG, CASE, offset=2),  # no ISG notice `ip-7`
            _crip_feedback("retour-3", "/caf/caf", ISG_CASE, offset=3),  # nothing at all
        ]
    )
    assert report.rejected == 3
    reasons = [body["reasons"] for body in outbox.rejections()]
    assert (
        reasons
        == [
            [
                {
                    "code": "answer.unknown-notice",
                    "detail": "no notice this office sent or received has this source and id "
                    "in this case",
                    "pointer": "ce_causationid",
                }
            ]
        ]
        * 3
    )


@pytest.mark.asyncio
async def test_a_keyless_notice_opens_the_case_the_hubs_key_derives(
    catalogue: Catalogue, directory: PartnerDirectory, ledger: SqliteState, outbox: Outbox
) -> None:
    key = bytes(range(32))
    relay = Relay(Intake(catalogue, directory, case_key=key), ledger, outbox, clock=lambda: NOW)
    await relay.process([record(LIMOGES, notice_id="n-30")])
    [acceptance] = outbox.acceptances()
    case_id = case_id_for(key, "/academie/dsden", "n-30")
    assert json.loads(acceptance.value)["case_id"] == case_id
    assert {o.key for o in outbox.sent} == {case_id.encode()}
    [entry] = [s.entry for s in await ledger.entries() if s.entry.kind == "accepted"]
    assert entry.case_id == case_id
