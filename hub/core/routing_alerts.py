"""Routing alerts: a notice left with no office to take it, told to a person.

A delivery refused by the office it reached as not its own (`wrong_office`) or outside its
territory, and a routed consumer for which no office was found (`unrouted`), each call for a
`hub.routing-alert` to the office that routes by hand for that partner (the directory's
`routes_by_hand`) and to the notice's sender: ids, office names and codes, never a value.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory
from hub.catalogue.meta import SENDER
from hub.catalogue.projection import Projection
from hub.core.intake import Admitted
from hub.core.outgoing import ROUTING_ALERT, hub_record, is_receipt
from hub.core.recall import RECALL
from hub.core.routing import Recipient
from hub.wire.envelope import (
    CAUSATION_HEADER,
    CAUSATION_SOURCE_HEADER,
    RECIPIENT_HEADER,
    Outgoing,
)
from hub.wire.topics import outbound

ROUTING_ALERT_NAMESPACE = uuid.UUID("c6b2deaa-ddef-4a5f-b656-0e924cfd8511")
# A receipt's reason codes that leave a notice with no office: someone must route it by hand.
NOT_OURS = ("wrong_office", "outside_territory")
UNROUTED = "unrouted"  # the cause of a routing alert for a consumer no office was found for


@dataclass(frozen=True, slots=True)
class RoutingAlert:
    """A notice left with no office to take it, and the offices told so. Ids and codes only."""

    event_id: str
    notice_id: str
    case_id: str
    contract: str
    sender: str  # the notice's sender, `partner/office`
    office: str  # the office that refused it, or the consumer no office was found for
    cause: str  # a refusing receipt's reason code, or `unrouted`
    receipt_id: str | None
    recipients: tuple[Recipient, ...]

    def payload(self, now: str) -> dict[str, Any]:
        """The `hub.routing-alert` payload, before each office's projection."""
        body = {
            "notice_id": self.notice_id,
            "case_id": self.case_id,
            "contract": self.contract,
            "sender": self.sender,
            "office": self.office,
            "cause": self.cause,
            "alerted_at": now,
        }
        return body | ({"receipt_id": self.receipt_id} if self.receipt_id else {})


class ManualRouting:
    """Who is told that a notice has no office: the office routing by hand, and the sender.

    The office that routes by hand for a partner is the directory's (`routes_by_hand`); what
    each office sees is the `hub.routing-alert` contract's. Without that contract, no alert.
    """

    def __init__(self, catalogue: Catalogue, directory: PartnerDirectory) -> None:
        """Alert through `directory`'s offices, with the routing alert's projections."""
        contract = catalogue.get(ROUTING_ALERT)
        consumers = contract.meta.consumers if contract else ()
        self._views = {c.office: Projection(c.fields) for c in consumers}
        self._directory = directory

    def alerts(self, notice: Admitted) -> list[RoutingAlert]:
        """The routing alerts a newly accepted notice calls for.

        A receipt refusing a delivery as not the office's own or outside its territory calls
        for one; a notice, one per consumer no office was found for. Each alert's id is fixed
        (the receipt's identity, or the notice's and the consumer's), so a batch decided again
        after a crash sends it again under the same id.
        """
        if is_receipt(notice):
            return self._refused(notice)
        env = notice.envelope
        return [
            self._alert(
                str(uuid.uuid5(ROUTING_ALERT_NAMESPACE, f"{env.source}/{env.id}/{u.consumer}")),
                notice_id=env.id,
                case_id=notice.case_id,
                contract=notice.contract.id,
                sender=env.sender,
                office=u.consumer,
                cause=UNROUTED,
            )
            # An `answered` consumer names no partner; a checked catalogue never leaves one
            # unrouted (it needs `answers`, and the intake a notice answered).
            for u in notice.unrouted
            if "/" in u.consumer
        ]

    def _refused(self, receipt: Admitted) -> list[RoutingAlert]:
        origin, env = receipt.answered, receipt.envelope
        code = receipt.payload.get("reason_code")
        if origin is None or receipt.payload.get("status") != "refused" or code not in NOT_OURS:
            return []
        if origin.contract == RECALL:  # a recall withdraws a notice: nothing to route by hand
            return []
        sender = "/".join(origin.address)
        if env.sender == sender:  # a sender's word on its own notice refuses no delivery
            return []
        return [
            self._alert(
                str(uuid.uuid5(ROUTING_ALERT_NAMESPACE, f"{env.source}/{env.id}")),
                notice_id=origin.notice_id,
                case_id=origin.case_id,
                contract=origin.contract,
                sender=sender,
                office=env.sender,
                cause=str(code),
                receipt_id=env.id,
            )
        ]

    def _alert(  # noqa: PLR0913 - keyword-only, one per field of the alert
        self,
        event_id: str,
        *,
        notice_id: str,
        case_id: str,
        contract: str,
        sender: str,
        office: str,
        cause: str,
        receipt_id: str | None = None,
    ) -> RoutingAlert:
        partner = office.split("/", 1)[0]
        found: dict[str, Recipient] = {}
        by_hand = self._directory.routes_by_hand(partner)
        if by_hand and (view := self._views.get(f"{partner}/{by_hand}")):
            found[f"{partner}/{by_hand}"] = Recipient(partner, by_hand, view)
        if view := self._views.get(SENDER):
            sender_partner, sender_office = sender.split("/", 1)
            found.setdefault(sender, Recipient(sender_partner, sender_office, view))
        return RoutingAlert(
            event_id,
            notice_id,
            case_id,
            contract,
            sender,
            office,
            cause,
            receipt_id,
            tuple(found.values()),
        )


def routing_alert_records(alert: RoutingAlert, now: str) -> list[Outgoing]:
    """The `hub.routing-alert` to each office told, as it may see it, under one id."""
    payload = alert.payload(now)
    return [
        hub_record(
            ROUTING_ALERT,
            topic=outbound(recipient.partner),
            key=alert.case_id,
            event_id=alert.event_id,
            time=now,
            body=recipient.projection.apply(payload),
            extra={
                RECIPIENT_HEADER: recipient.address,
                CAUSATION_HEADER: alert.notice_id,
                CAUSATION_SOURCE_HEADER: f"/{alert.sender}",
            },
        )
        for recipient in alert.recipients
    ]
