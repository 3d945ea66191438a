"""Whether the catalogue's valid examples reach each recipient that depends on the payload.

A consumer with a `when`, or routed by commune, receives only the notices that meet its
condition or name a commune an office serves. If no valid example of its contract does, nothing
shows it receiving: the conformance kit has nothing to deliver to it, and says only that the
partner receives no contract. `hub contracts check` refuses such a consumer, judged through the
hub's own routing (`Router.reaches`), and the kit names it when it has nothing to deliver.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from hub.catalogue.contracts import Catalogue, Contract
from hub.catalogue.directory import PartnerDirectory
from hub.catalogue.examples import examples, shown
from hub.catalogue.meta import Consumer
from hub.core.routing import Router


@dataclass(frozen=True, slots=True)
class Unreached:
    """A consumer that no valid example of its contract's latest major reaches."""

    contract: Contract
    consumer: Consumer
    directory: str  # the partner directory's file, which says which office serves a commune

    def __str__(self) -> str:
        """What is wrong, in which file, and what to add."""
        major = self.contract.latest.major
        folder = shown(self.contract.folder / f"v{major}" / "examples" / "valid")
        needs = []
        if self.consumer.when:
            values = ", ".join(
                v if isinstance(v, str) else json.dumps(v) for v in self.consumer.when.values
            )
            needs.append(f"whose {self.consumer.when.field} is one of [{values}]")
        if self.consumer.route:
            needs.append(
                f"whose {self.consumer.route.commune} is a commune an office of "
                f"{self.consumer.office} serves ({self.directory})"
            )
        return (
            f"{folder}: no valid example of {self.contract.id} v{major} reaches its consumer "
            f"{self.consumer.office}, which receives it only {self._on()}: the conformance kit "
            f"would have nothing of it to deliver to {self.consumer.office}; add a valid example "
            f"there {' and '.join(needs)}"
        )

    def _on(self) -> str:
        parts = []
        if self.consumer.when:
            parts.append(f"when {self.consumer.when.field} is one of its `when` values")
        if self.consumer.route:
            parts.append(f"through an office serving the commune at {self.consumer.route.commune}")
        return " and ".join(parts)


def unreached(
    catalogue: Catalogue, directory: PartnerDirectory, partner: str | None = None
) -> list[Unreached]:
    """The conditional or routed consumers (of `partner`, if given) no valid example reaches.

    The examples are those of each contract's latest major, the ones the conformance kit plays.
    """
    router = Router(directory)
    where = shown(directory.path) if directory.path else "the partner directory"
    found = []
    for contract in sorted(catalogue.contracts.values(), key=lambda c: c.id):
        latest = contract.latest.major
        payloads = [e.payload for e in examples(contract) if e.valid and e.major == latest]
        found += [
            Unreached(contract, consumer, where)
            for consumer in contract.meta.consumers
            if (consumer.when or consumer.route)
            and partner in (None, consumer.partner)
            and not any(router.reaches(consumer, payload) for payload in payloads)
        ]
    return found
