"""Routing: which offices receive a notice, and the projection each one gets.

Purpose binding: a notice goes only to the offices its contract names. An office kind with a
route (for example the MDD serving the family's commune) is resolved through the directory;
`answered` is the office that sent the notice this one answers, `recipients` every office it
was delivered to (a recall reaches them all); a consumer with a condition receives the notice
only when the payload meets it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hub.catalogue.contracts import Contract
from hub.catalogue.directory import PartnerDirectory
from hub.catalogue.in_force import Calendar
from hub.catalogue.meta import ANSWERED, RECIPIENTS, Consumer
from hub.catalogue.projection import FieldPath, Projection, parse_path


@dataclass(frozen=True, slots=True)
class NoticeKey:
    """What makes a notice unique (CloudEvents: `source` + `id`)."""

    source: str
    id: str


@dataclass(frozen=True, slots=True)
class Origin:
    """An accepted notice, as a notice answering it needs to know it."""

    notice_id: str
    source: str
    contract: str
    case_id: str
    recipients: frozenset[str] = frozenset()
    recalled_by: str | None = None  # the id of the recall that withdrew it, once recalled
    # Its payload as the hub sealed it, read from the vault for an answer whose contract
    # declares `matches` (None: not read, or its case erased). Never shown, never compared.
    content: dict[str, Any] | None = field(default=None, compare=False, repr=False)
    major: int | None = None  # the major it was sent in (None: not known to the caller)

    @property
    def address(self) -> tuple[str, str]:
        """The (partner, office) that sent it."""
        partner, office = self.source.strip("/").split("/", 1)
        return partner, office

    @property
    def parties(self) -> list[str]:
        """The offices that may answer it: its recipients, then its sender."""
        return [*sorted(self.recipients), "/".join(self.address)]


@dataclass(frozen=True, slots=True)
class Recipient:
    """One office that receives a notice, with what it may see."""

    partner: str
    office: str
    projection: Projection

    @property
    def address(self) -> str:
        """The office as `partner/office`, as written in the recipient header."""
        return f"{self.partner}/{self.office}"


@dataclass(frozen=True, slots=True)
class Unrouted:
    """A routed consumer for which no office could be found (recorded, never guessed)."""

    consumer: str
    cause: str


class Router:
    """Resolves a contract's consumers to offices, with projections compiled once."""

    def __init__(self, directory: PartnerDirectory) -> None:
        """Route through `directory`."""
        self._directory = directory
        self._projections: dict[tuple[str, int], Projection] = {}
        self._paths: dict[str, FieldPath] = {}

    def recipients(
        self,
        contract: Contract,
        payload: dict[str, Any],
        answered: Origin | None = None,
        calendar: Calendar | None = None,
    ) -> tuple[list[Recipient], list[Unrouted]]:
        """The offices that receive this notice, and the consumers left without an office.

        A dated consumer receives it only when in force for the notice's file (`calendar`).
        """
        found: list[Recipient] = []
        unrouted: list[Unrouted] = []
        for index, consumer in enumerate(contract.meta.consumers):
            if not self._meets(consumer, payload):
                continue
            if calendar is not None and not calendar.applies(consumer.in_force):
                continue
            projection = self._projection(contract, index)
            if consumer.office == ANSWERED:
                if answered is None:
                    unrouted.append(Unrouted(consumer.office, "the notice answers no notice"))
                else:
                    found.append(Recipient(*answered.address, projection))
            elif consumer.office == RECIPIENTS:
                for address in sorted(answered.recipients if answered else ()):
                    partner, name = address.split("/", 1)
                    found.append(Recipient(partner, name, projection))
            elif consumer.route is None:
                found.append(Recipient(consumer.partner, consumer.office_name, projection))
            else:
                office = self._by_commune(consumer, self._value(payload, consumer.route.commune))
                if office is None:
                    unrouted.append(Unrouted(consumer.office, "no office serves the commune"))
                else:
                    found.append(Recipient(consumer.partner, office, projection))
        return found, unrouted

    def reaches(self, consumer: Consumer, payload: dict[str, Any]) -> bool:
        """Whether a notice with this payload reaches a consumer named in advance or routed.

        Its condition is met and, when it is routed, an office serves the commune. The office
        that sent an answered notice, or received it, is the notice's to say: only its
        condition is judged.
        """
        if not self._meets(consumer, payload):
            return False
        if consumer.route is None or consumer.office in (ANSWERED, RECIPIENTS):
            return True
        return self._by_commune(consumer, self._value(payload, consumer.route.commune)) is not None

    def _meets(self, consumer: Consumer, payload: dict[str, Any]) -> bool:
        return (
            not consumer.when or self._value(payload, consumer.when.field) in consumer.when.values
        )

    def _by_commune(self, consumer: Consumer, commune: Any) -> str | None:
        if not isinstance(commune, str):
            return None
        return self._directory.office_for_commune(consumer.partner, consumer.office_name, commune)

    def _value(self, payload: dict[str, Any], text: str) -> Any:
        path = self._paths.get(text)
        if path is None:
            path = self._paths[text] = parse_path(text)
        node: Any = payload
        for step in path:
            if not isinstance(node, dict):
                return None
            node = node.get(step.name)
        return node

    def _projection(self, contract: Contract, index: int) -> Projection:
        key = (contract.id, index)
        if key not in self._projections:
            self._projections[key] = Projection(contract.meta.consumers[index].fields)
        return self._projections[key]
