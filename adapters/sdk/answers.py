"""What an answer names: the answered notice's source, id and case, from what the adapter holds.

A notice is its source and id: two senders may use one id, so an answer names both
(`ce_causationsource`, `ce_causationid`) and the answered notice's case as its key, or the hub
refuses it. An application names the id (`answers`) and, best, the source (`answers_from`, the
`from` of the notice it received). Without the source, the adapter takes the one notice it
holds under that id, received (inbox) or sent by itself (outbox); it never guesses between two,
nor names a notice it does not hold: the application is told to say which. Without a case id,
the answered notice's case is the one the inbox or the outbox knows.

A recall withdraws a notice of the recalling office's own: its source is that office's.

The refusals name the notice's id, never anything else the application gave.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.sdk.inbox import Inbox
from adapters.sdk.notices import InvalidNotice
from adapters.sdk.outbox import Outbox
from hub.core.recall import RECALL
from hub.wire.envelope import SOURCE
from hub.wire.reasons import Reason


@dataclass(frozen=True, slots=True)
class Answered:
    """The notice an answer names, and the case the answer goes in."""

    source: str
    notice_id: str
    case_id: str


def answered_notice(  # noqa: PLR0913 - what the adapter holds, then what the application named
    inbox: Inbox,
    outbox: Outbox,
    contract: str,
    notice_id: str | None,
    *,
    source: str | None = None,
    case_id: str | None = None,
) -> Answered:
    """The notice a `contract` notice answers: `notice_id` from `source`, in `case_id`.

    Either may be left out when the adapter can tell (see the module); `InvalidNotice` when it
    cannot: `answer.ambiguous` (more than one notice under that id: give `answers_from`),
    `answer.unknown-notice` (none), `answer.missing` (no case known: give `case_id`).
    """
    if not notice_id:
        detail = "answers_from names the source of a notice answered: give its id in answers"
        raise InvalidNotice(contract, [Reason("answer.missing", detail, "ce_causationid")])
    if source is not None and not SOURCE.match(source):
        detail = "answers_from must be the source of the notice answered: /<partner>/<office>"
        raise InvalidNotice(contract, [Reason("envelope.invalid", detail, "ce_causationsource")])
    sent = sent_from(outbox, notice_id)
    if source is None:
        held = inbox.sources_of(notice_id) | ({sent} if sent else set())
        if len(held) > 1:
            detail = (
                f"notices from more than one sender have the id {notice_id}: answers_from is "
                "needed, the `from` of the notice answered"
            )
            raise InvalidNotice(contract, [Reason("answer.ambiguous", detail, "ce_causationid")])
        if not held:
            detail = (
                f"this adapter received and sent no notice with the id {notice_id}: name it "
                "with answers_from and case_id"
            )
            raise InvalidNotice(
                contract, [Reason("answer.unknown-notice", detail, "ce_causationid")]
            )
        [source] = held
    case_id = case_id or inbox.case_of(source, notice_id)
    if case_id is None and source == sent:
        case_id = sent_case(outbox, notice_id)
    if case_id is None:
        detail = f"an answer goes in the case of the notice {notice_id}, unknown here: give case_id"
        raise InvalidNotice(contract, [Reason("answer.missing", detail, "key")])
    return Answered(source, notice_id, case_id)


def recalled_notice(
    outbox: Outbox,
    office: str,
    notice_id: str,
    *,
    source: str | None = None,
    case_id: str | None = None,
) -> Answered:
    """The notice the office `office` (its source) recalls: its own `notice_id`, in its case.

    `InvalidNotice` for another office's notice (`recall.unknown-notice`), or one whose case
    the outbox does not know and `case_id` does not give (`answer.missing`).
    """
    if source not in (None, office):
        detail = "a recall withdraws a notice of the recalling office's own: answers_from is it"
        raise InvalidNotice(RECALL, [Reason("recall.unknown-notice", detail, "ce_causationsource")])
    if case_id is None and sent_from(outbox, notice_id) == office:
        case_id = sent_case(outbox, notice_id)
    if case_id is None:
        detail = (
            f"this office sent no notice {notice_id} through this adapter: give the case_id "
            "of the notice recalled"
        )
        raise InvalidNotice(RECALL, [Reason("answer.missing", detail, "key")])
    return Answered(office, notice_id, case_id)


def sent_from(outbox: Outbox, notice_id: str) -> str | None:
    """The office (its source) that sent the notice `notice_id` through this adapter, if one did."""
    sent = outbox.sent(notice_id)
    return sent.headers["ce_source"] if sent else None


def sent_case(outbox: Outbox, notice_id: str) -> str | None:
    """The case of a notice this adapter sent: the hub's word, else the key it was sent with."""
    settlement = outbox.settlement(notice_id)
    if settlement and isinstance(case_id := settlement.outcome.get("case_id"), str):
        return case_id
    sent = outbox.sent(notice_id)
    return sent.key.decode() if sent and sent.key else None
