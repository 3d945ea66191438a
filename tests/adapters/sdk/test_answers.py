"""What an answer names, from the inbox and the outbox alone (no adapter, no broker)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.sdk.answers import Answered, answered_notice, recalled_notice
from adapters.sdk.inbox import Handling, Inbox
from adapters.sdk.notices import InvalidNotice
from adapters.sdk.outbox import Outbox
from hub.core.recall import RECALL
from hub.wire.envelope import Outgoing, write_record

SCHOOL, CAF, CRIP = "/academie/etablissement:0870015U", "/caf/caf", "/departement/crip"
RETOUR = "ip.retour"


@pytest.fixture
def held(tmp_path: Path) -> Iterator[tuple[Inbox, Outbox]]:
    """The CRIP's inbox and outbox: it received `ip-7` from the school and sent `own-1`."""
    inbox, outbox = Inbox(tmp_path / "inbox.sqlite"), Outbox(tmp_path / "outbox.sqlite")
    inbox.record(SCHOOL, "ip-7", "departement/crip", "c", Handling("processed"), case_id="k-1")
    outbox.put(_sent("own-1", CRIP, "k-sent"))
    yield inbox, outbox
    inbox.close()
    outbox.close()


def _sent(notice_id: str, source: str, key: str) -> Outgoing:
    return write_record(
        topic="hub.in.departement",
        key=key,
        event_id=notice_id,
        source=source,
        event_type=RETOUR,
        time="2026-11-23T09:00:00+01:00",
        dataschema="https://example.org/ip.retour/v1",
        data=b"{}",
    )


def _refusal(error: pytest.ExceptionInfo[InvalidNotice]) -> list[tuple[str, str | None]]:
    return [(r.code, r.pointer) for r in error.value.reasons]


def test_the_one_notice_held_under_an_id_is_the_one_answered_in_its_case(
    held: tuple[Inbox, Outbox],
) -> None:
    inbox, outbox = held
    assert answered_notice(inbox, outbox, RETOUR, "ip-7") == Answered(SCHOOL, "ip-7", "k-1")
    # Its own notice: the key it was sent with, until the hub's answer gives the case.
    assert answered_notice(inbox, outbox, RETOUR, "own-1") == Answered(CRIP, "own-1", "k-sent")
    outbox.settle("own-1", "accepted", {"case_id": "k-hub"})
    assert answered_notice(inbox, outbox, RETOUR, "own-1").case_id == "k-hub"
    given = answered_notice(inbox, outbox, RETOUR, "ip-7", source=SCHOOL, case_id="k-9")
    assert given == Answered(SCHOOL, "ip-7", "k-9")  # what the application says stands


@pytest.mark.parametrize("second", ["received", "sent"])
def test_two_notices_under_one_id_are_never_guessed_between(
    held: tuple[Inbox, Outbox], second: str
) -> None:
    inbox, outbox = held
    if second == "received":
        inbox.record(CAF, "ip-7", "departement/crip", "c", Handling("processed"), case_id="k-2")
    else:  # the CRIP's own notice under the id the school used
        outbox.put(_sent("ip-7", CRIP, "k-3"))
    with pytest.raises(InvalidNotice) as ambiguous:
        answered_notice(inbox, outbox, RETOUR, "ip-7")
    assert _refusal(ambiguous) == [("answer.ambiguous", "ce_causationid")]
    assert "ip-7" in str(ambiguous.value)
    assert SCHOOL not in str(ambiguous.value)
    assert answered_notice(inbox, outbox, RETOUR, "ip-7", source=SCHOOL).case_id == "k-1"


def test_an_unknown_notice_or_case_or_a_malformed_source_is_refused(
    held: tuple[Inbox, Outbox],
) -> None:
    inbox, outbox = held
    with pytest.raises(InvalidNotice) as unknown:
        answered_notice(inbox, outbox, RETOUR, "ip-8", case_id="k-1")
    assert _refusal(unknown) == [("answer.unknown-notice", "ce_causationid")]
    assert "k-1" not in str(unknown.value)
    with pytest.raises(InvalidNotice) as caseless:
        answered_notice(inbox, outbox, RETOUR, "ip-7", source=CAF)  # no CAF notice ip-7 here
    assert _refusal(caseless) == [("answer.missing", "key")]
    assert CAF not in str(caseless.value)
    with pytest.raises(InvalidNotice) as malformed:
        answered_notice(inbox, outbox, RETOUR, "ip-7", source="Zqx canari")
    assert _refusal(malformed) == [("envelope.invalid", "ce_causationsource")]
    assert "canari" not in str(malformed.value)
    with pytest.raises(InvalidNotice) as sourceonly:
        answered_notice(inbox, outbox, RETOUR, None, source=SCHOOL)
    assert _refusal(sourceonly) == [("answer.missing", "ce_causationid")]


def test_a_recall_names_its_own_offices_notice_in_the_case_it_was_sent_in(
    held: tuple[Inbox, Outbox],
) -> None:
    _, outbox = held
    assert recalled_notice(outbox, CRIP, "own-1") == Answered(CRIP, "own-1", "k-sent")
    assert recalled_notice(outbox, CRIP, "other", case_id="k-5") == Answered(CRIP, "other", "k-5")
    with pytest.raises(InvalidNotice) as foreign:
        recalled_notice(outbox, CRIP, "ip-7", source=SCHOOL, case_id="k-1")
    assert _refusal(foreign) == [("recall.unknown-notice", "ce_causationsource")]
    assert str(foreign.value).startswith(f"{RECALL}: ")
    with pytest.raises(InvalidNotice) as anothers:  # sent by another office of the partner
        recalled_notice(outbox, "/departement/sdas", "own-1")
    assert _refusal(anothers) == [("answer.missing", "key")]
