"""Entitlements: no office receives a category of data its legal kind may not.

Each consumer entry of a contract delivers some leaf fields, each of a data category, to the
offices it can reach: a named office; every office of an office kind it routes to
(`departement/mdd`); for `answered`, every producer of the contracts it answers; for `sender`,
every producer of the contract (of any contract, for the hub's own records); for `recipients`,
every office the answered contracts reach. Each of those offices has a legal kind in the
partner directory, and the recipient policy (`hub.catalogue.policy`) says which categories each
legal kind may receive. A category no line grants to the office's kind is refused, whatever the
consumer's `when`, `route` or `shared_with`: a condition chooses which notices go, never what a
kind of office may know.

A number of a partner's files (a leaf of the category `partner-file-number`) is carried only
by a contract that declares it in `identifiers`, where who may receive it is checked
(`hub.catalogue.recipients`).

The categories come from the schemas (`x-category` on each leaf field), read by an injected
function, `CategoriesOf`; `received_categories` is the one the hub runs on.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping

from hub.catalogue.categories import declared_categories, received
from hub.catalogue.category_file import PARTNER_FILE_NUMBER
from hub.catalogue.contracts import Catalogue, Contract
from hub.catalogue.directory import PartnerDirectory
from hub.catalogue.examples import shown
from hub.catalogue.meta import RECIPIENTS, SENDER, Consumer
from hub.catalogue.policy import POLICY_FILE
from hub.catalogue.recipients import receivers

# The leaf fields (`guardians[].last_name`) that some field paths (a consumer's `fields`)
# deliver of a contract, in any live major, each with its data category.
CategoriesOf = Callable[[Catalogue, Contract, tuple[str, ...]], Mapping[str, str]]


def received_categories(
    catalogue: Catalogue, contract: Contract, fields: tuple[str, ...]
) -> dict[str, str]:
    """The leaf fields that `fields` deliver of `contract`, each with its data category.

    Over every live major; a leaf with no category is left out here (`category_problems`
    names it).
    """
    found: dict[str, str] = {}
    for version in contract.versions.values():
        declared = declared_categories(version, catalogue.registry)
        leaves = {path: str(c) for path, c in declared.items() if c is not None}
        found.update(received(leaves, fields))
    return found


def policy_file(catalogue: Catalogue) -> str:
    """The recipient policy's file, as its reader finds it."""
    root = next(iter(catalogue.contracts.values())).folder.parent
    return shown(root / POLICY_FILE)


def kind_problems(catalogue: Catalogue, directory: PartnerDirectory) -> list[str]:
    """Offices of the directory whose legal kind the recipient policy does not define."""
    where = shown(directory.path) if directory.path else "the partner directory"
    known = ", ".join(catalogue.policy.kinds)
    return [
        f"{where}: {office} is of the legal kind {kind}, which {policy_file(catalogue)} does not "
        f"define: give it one of {known} (`kind:` on the partner or the office)"
        for office, kind in directory.legal_kinds().items()
        if kind not in catalogue.policy.kinds
    ]


def line_problems(catalogue: Catalogue) -> list[str]:
    """Policy lines naming flows (`contracts`) that no contract of the catalogue is."""
    return [
        f"{policy_file(catalogue)}: line {line.id} names the flow {flow}, which no contract "
        f"of the catalogue matches: name contract ids, or a family as `family.*`"
        for line in catalogue.policy.lines
        for flow in line.contracts
        if not any(fnmatch.fnmatchcase(c, flow) for c in catalogue.contracts)
    ]


def entitlement_problems(
    catalogue: Catalogue,
    directory: PartnerDirectory,
    categories_of: CategoriesOf = received_categories,
) -> list[str]:
    """Consumers that would deliver a category to an office whose legal kind may not receive it.

    Each fault names the contract's file, the consumer, the fields and their category, the
    offices and their legal kind, and the policy lines that grant the category (or that none
    does). A category the policy does not know is a fault too.
    """
    problems: list[str] = []
    for contract in catalogue.contracts.values():
        for consumer in contract.meta.consumers:
            received = categories_of(catalogue, contract, consumer.fields)
            by_kind: dict[str, list[str]] = {}
            for office in sorted(reached_offices(catalogue, directory, contract, consumer)):
                by_kind.setdefault(directory.kind_of(*office.split("/", 1)), []).append(office)
            for kind, offices in by_kind.items():
                problems += [
                    _refused(
                        catalogue,
                        contract,
                        consumer,
                        fields=fields,
                        category=category,
                        offices=offices,
                        kind=kind,
                    )
                    for category, fields in _by_category(received).items()
                    if category in catalogue.categories
                    and not catalogue.policy.allows(kind, category, contract.id)
                ]
    return problems


def lines_for(
    catalogue: Catalogue, directory: PartnerDirectory, contract: Contract, consumer: Consumer
) -> list[str]:
    """The ids of the policy lines that let a consumer's offices receive what it receives.

    For each legal kind among the offices it reaches and each category it delivers, the line
    granting it (one naming the contract's flow first); in the policy file's order. A category
    no line grants is left out (`entitlement_problems` names it).
    """
    categories = set(received_categories(catalogue, contract, consumer.fields).values())
    kinds = {
        directory.kind_of(*office.split("/", 1))
        for office in reached_offices(catalogue, directory, contract, consumer)
    }
    used = {
        lines[0].id
        for k in kinds
        for c in categories
        if (lines := catalogue.policy.granting(c, contract.id, k))
    }
    return [line.id for line in catalogue.policy.lines if line.id in used]


def undeclared_numbers(
    catalogue: Catalogue, categories_of: CategoriesOf = received_categories
) -> list[str]:
    """Numbers of a partner's files a contract carries without declaring them in `identifiers`."""
    problems = []
    for contract in catalogue.contracts.values():
        every = tuple(
            dict.fromkeys(
                n for v in contract.versions.values() for n in v.schema.get("properties", {})
            )
        )
        declared = {identifier.field for identifier in contract.meta.identifiers}
        where = shown(contract.folder / "contract.yaml")
        problems += [
            f"{where}: {field} is a number of a partner's files ({PARTNER_FILE_NUMBER}), which "
            f"`identifiers` does not declare: add it there with its owner (`owner`, or "
            f"`owner_in` and `owners`), so that who receives it is checked"
            for field, category in sorted(categories_of(catalogue, contract, every).items())
            if category == PARTNER_FILE_NUMBER and field not in declared
        ]
    return problems


def reached_offices(
    catalogue: Catalogue,
    directory: PartnerDirectory,
    contract: Contract,
    consumer: Consumer,
    seen: frozenset[str] = frozenset(),
) -> set[str]:
    """Every office of the directory (`partner/office`) a consumer entry can deliver to.

    A kind known by codes (`academie/etablissement`) stands for each of its offices; a name the
    directory lacks reaches nothing here (`consistency` names it).
    """
    if consumer.office == RECIPIENTS:
        seen |= {contract.id}
        answered = [catalogue.get(a) for a in contract.meta.answers if a not in seen]
        return {
            office
            for other in answered
            if other is not None
            for each in other.meta.consumers
            for office in reached_offices(catalogue, directory, other, each, seen)
        }
    names = receivers(catalogue, contract, consumer)
    if consumer.office == SENDER and not names:  # the hub's own record: whoever sent to it
        return set(_every_office(directory))
    return {office for name in names for office in _offices_named(directory, name)}


def _offices_named(directory: PartnerDirectory, name: str) -> list[str]:
    """The offices `partner/name` stands for: itself, or each office of that office kind."""
    partner, _, office = name.partition("/")
    entries = directory.entries(partner)
    if office in entries:
        return [name]
    return [f"{partner}/{o}" for o in entries if o.split(":", 1)[0] == office]


def _every_office(directory: PartnerDirectory) -> list[str]:
    return [f"{p}/{o}" for p in directory.partners for o in directory.entries(p)]


def _by_category(received: Mapping[str, str]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for field, category in sorted(received.items()):
        grouped.setdefault(category, []).append(field)
    return grouped


def _refused(  # noqa: PLR0913 - one fault says all of these
    catalogue: Catalogue,
    contract: Contract,
    consumer: Consumer,
    *,
    fields: list[str],
    category: str,
    offices: list[str],
    kind: str,
) -> str:
    where = shown(contract.folder / "contract.yaml")
    policy = policy_file(catalogue)
    lines = catalogue.policy.granting(category, contract.id)
    granted = (
        "; ".join(f"{line.id} grants it to {', '.join(line.kinds)}" for line in lines)
        if lines
        else "no line grants it to any kind"
    )
    return (
        f"{where}: consumer {consumer.office} of {contract.id} would deliver "
        f"{', '.join(fields)} ({category}) to {', '.join(offices)}, of the legal kind {kind}, "
        f"which no line of {policy} lets receive {category} ({granted}); its `when`, `route` or "
        f"`shared_with` change nothing. Remove those fields from its `fields`, or, if the law "
        f"lets {kind} receive {category}, add that line to {policy} with its basis"
    )
