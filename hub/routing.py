"""Routing: which offices receive a notice, and the projection each one gets.

Purpose binding: a notice goes only to the offices its contract names. An office kind with a
route (for example the MDD serving the family's commune) is resolved through the directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub.contracts import Consumer, Contract
from hub.directory import PartnerDirectory
from hub.projection import FieldPath, Projection, parse_path


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
        self._projections: dict[tuple[str, str], Projection] = {}
        self._paths: dict[str, FieldPath] = {}

    def recipients(
        self, contract: Contract, payload: dict[str, Any]
    ) -> tuple[list[Recipient], list[Unrouted]]:
        """The offices that receive this notice, and the consumers left without an office."""
        found: list[Recipient] = []
        unrouted: list[Unrouted] = []
        for consumer in contract.meta.consumers:
            projection = self._projection(contract, consumer)
            if consumer.route is None:
                found.append(Recipient(consumer.partner, consumer.office_name, projection))
                continue
            commune = _value_at(payload, self._route_path(consumer.route.commune))
            office = (
                self._directory.office_for_commune(consumer.partner, consumer.office_name, commune)
                if isinstance(commune, str)
                else None
            )
            if office is None:
                unrouted.append(Unrouted(consumer.office, "no office serves the commune"))
            else:
                found.append(Recipient(consumer.partner, office, projection))
        return found, unrouted

    def _route_path(self, text: str) -> FieldPath:
        path = self._paths.get(text)
        if path is None:
            path = self._paths[text] = parse_path(text)
        return path

    def _projection(self, contract: Contract, consumer: Consumer) -> Projection:
        key = (contract.id, consumer.office)
        if key not in self._projections:
            self._projections[key] = Projection.of(consumer.fields)
        return self._projections[key]


def _value_at(payload: dict[str, Any], path: FieldPath) -> Any:
    node: Any = payload
    for step in path:
        if not isinstance(node, dict):
            return None
        node = node.get(step.name)
    return node
