"""Who receives a contract: each receiving office can receipt it, none gets another's files.

Three traps an integrator falls into when connecting a partner: an office named a consumer
but not a producer of `hub.receipt` has each of its receipts refused (`sender.not-producer`),
so its deliveries are sent again forever; an office added as a consumer to a contract carrying
another partner's identifiers, with no condition binding it to its own files, receives all of
that partner's files.

A condition binds a consumer to its own files only when it selects the notices by whose files
they are: `answered` and `sender` (the notice's own parties: the intake refuses a payer naming
another payer's files, `identifier.foreign`), or a `when` on the field the identifier's
`owner_in` names, whose `in` is the consumer's own partner alone (or its office's code, when no
other owner has that name). Any other condition (`when` on another field or value, a `route`
by commune, `recipients`) chooses some notices, not whose files they are: the consumer counts
as receiving every notice, and needs `shared_with`. A `when` naming a value its field cannot hold
never delivers anything (the faults propose no such one).

"""

from __future__ import annotations

import json

from hub.catalogue.contracts import Catalogue, Contract
from hub.catalogue.directory import PartnerDirectory
from hub.catalogue.examples import shown
from hub.catalogue.hub_contracts import RECEIPT
from hub.catalogue.identifiers import Identifier
from hub.catalogue.meta import ANSWERED, RECIPIENTS, SENDER, Consumer
from hub.catalogue.policy import RecipientPolicy
from hub.catalogue.projection import parse_path
from hub.catalogue.schemas import held_values, schema_at

HUB = "hub"
PARTIES = (SENDER, ANSWERED)  # the notice's own parties: bound to their own files


def receipt_problems(catalogue: Catalogue) -> list[str]:
    """Offices receiving a contract that `hub.receipt` answers, yet not among its producers."""
    receipt = catalogue.get(RECEIPT)
    if receipt is None:
        return []
    where = shown(receipt.folder / "contract.yaml")
    receiving: dict[str, set[str]] = {}
    for answered in receipt.meta.answers:
        contract = catalogue.get(answered)
        for consumer in contract.meta.consumers if contract else ():
            for office in receivers(catalogue, contract, consumer) if contract else ():
                receiving.setdefault(office, set()).add(answered)
    return [
        f"{where}: {office} receives {', '.join(sorted(contracts))} but is not a producer of "
        f"{RECEIPT}: each of its receipts would be refused as sender.not-producer and each "
        f"delivery sent again; add `- {office}` to `producers` in {where}"
        for office, contracts in sorted(receiving.items())
        if not receipt.meta.produced_by(*office.split("/", 1))
    ]


def receivers(catalogue: Catalogue, contract: Contract, consumer: Consumer) -> list[str]:
    """The offices (or kinds) a consumer may be: `answered` is a sender of what it answers.

    `sender` is a producer of the contract (none for the hub's own records); `recipients` is
    left out (each office the answered notice reached, checked there).
    """
    if consumer.office == ANSWERED:
        answered = [catalogue.get(other) for other in contract.meta.answers]
        return [p for a in answered if a is not None for p in a.meta.producers if p != HUB]
    if consumer.office == SENDER:
        return [p for p in contract.meta.producers if p != HUB]
    if consumer.office == RECIPIENTS:  # consumers of the answered notice, checked there
        return []
    return [consumer.office]


def condition_problems(contract: Contract, catalogue: Catalogue) -> list[str]:
    """`when` values of consumers that their field's schema cannot hold: they never deliver."""
    where = shown(contract.folder / "contract.yaml")
    problems = []
    for consumer in contract.meta.consumers:
        if consumer.when is None:
            continue
        held = held_values(_field_schema(contract, catalogue, consumer.when.field))
        if held is None:
            continue
        shown_held = ", ".join(_literal(v) for v in held)
        problems += [
            f"{where}: consumer {consumer.office} receives {contract.id} when "
            f"{consumer.when.field} is {_literal(value)}, which it can never be (it holds "
            f"{shown_held}): name only values it holds in that `when`, or let the schema hold "
            f"{_literal(value)} first (a value added to an enum is a new major)"
            for value in consumer.when.values
            if not any(value == h and type(value) is type(h) for h in held)
        ]
    return problems


def _literal(value: object) -> str:
    """A value as contract.yaml writes it (`true`, `12`, `msa`)."""
    return json.dumps(value) if not isinstance(value, str) else value


def identifier_problems(contract: Contract, catalogue: Catalogue) -> list[str]:
    """Consumers bound to no owner that receive another partner's numbers, unacknowledged.

    Also an identifier naming a field no live major defines, an acknowledgement of an office
    that is not such a consumer, and one whose `basis` is neither one of the contract's
    `legal_basis` nor a recipient policy line.
    """
    where = shown(contract.folder / "contract.yaml")
    problems: list[str] = []
    for identifier in contract.meta.identifiers:
        paths = [identifier.field] + ([identifier.owner_in] if identifier.owner_in else [])
        undefined = [p for p in paths if _field_schema(contract, catalogue, p) is None]
        problems += [
            f"{where}: `identifiers` names {path}, which no version of {contract.id} defines: "
            "correct the path"
            for path in undefined
        ]
        if undefined:
            continue
        unbound = {c.office: c for c in contract.meta.consumers if not binds(c, identifier)}
        namable = _namable(contract, catalogue, identifier)
        problems += [
            _unacknowledged(where, contract, identifier, consumer, namable)
            for office, consumer in sorted(unbound.items())
            if identifier.owner_set != {consumer.partner} and office not in identifier.shared_with
        ]
        problems += [
            f"{where}: `identifiers` {identifier.field} shares every number with {office}, "
            f"which is not a consumer of {contract.id} bound to no owner: remove it from "
            "`shared_with`"
            for office in sorted(identifier.shared_with)
            if office not in unbound
        ]
        problems += _bases(where, contract, identifier, catalogue.policy)
    return problems


def binds(consumer: Consumer, identifier: Identifier) -> bool:
    """Whether a consumer's condition lets it receive only its own partner's numbers."""
    if consumer.office in PARTIES:
        return True
    when = consumer.when
    if when is None or identifier.owner_in is None or when.field != identifier.owner_in:
        return False
    code = consumer.office_name.rsplit(":", 1)[-1]
    others = identifier.owner_set - {consumer.partner}
    return when.values in ((consumer.partner,), (code,)) and when.values[0] not in others


def _bases(
    where: str, contract: Contract, identifier: Identifier, policy: RecipientPolicy
) -> list[str]:
    """Acknowledgements whose basis is neither the contract's law nor a policy line."""
    known = set(contract.meta.legal_basis) | policy.line_ids
    return [
        f"{where}: `identifiers` {identifier.field} shares every number with {office} on the "
        f"basis {sharing.basis!r}, which is neither one of the `legal_basis` of {contract.id} "
        f"nor a line of the recipient policy: name one of them ({', '.join(sorted(known))})"
        for office, sharing in sorted(identifier.shared_with.items())
        if sharing.basis not in known
    ]


def _field_schema(contract: Contract, catalogue: Catalogue, path: str) -> object | None:
    """The schema of `path` in the latest major that defines it."""
    for _, version in sorted(contract.versions.items(), reverse=True):
        found: object | None = schema_at(version.schema, parse_path(path), catalogue.registry)
        if found is not None:
            return found
    return None


def owner_problems(
    contract: Contract, catalogue: Catalogue, directory: PartnerDirectory
) -> list[str]:
    """Owners that are not partners of the directory, or that the `owner_in` field disagrees on.

    With `owner_in`, `owners` are the partners whose numbers the field can hold: each is one
    the field can name, and each partner of the directory the field can name is one of them
    (else the intake would let it name another as the owner, `foreign_reasons`).
    """
    where = shown(contract.folder / "contract.yaml")
    problems: list[str] = []
    for identifier in contract.meta.identifiers:
        owners = (identifier.owner,) if identifier.owner else identifier.owners
        key = "owner" if identifier.owner else "owners"
        problems += [
            f"{where}: `identifiers` {identifier.field} names {partner} in `{key}`, which is not "
            f"a partner of the directory: correct it, or add the partner (`hub partner add`)"
            for partner in owners
            if partner not in directory.partners
        ]
        if identifier.owner_in is None:
            continue
        schema = _field_schema(contract, catalogue, identifier.owner_in)
        values = schema.get("enum") if isinstance(schema, dict) else None
        if not isinstance(values, list):
            continue
        named = {str(v) for v in values}
        problems += [
            f"{where}: `identifiers` {identifier.field} names {partner} in `owners`, which "
            f"{identifier.owner_in} cannot name: remove it from `owners`"
            for partner in owners
            if partner not in named
        ]
        problems += [
            f"{where}: `identifiers` {identifier.field}: {identifier.owner_in} can name the "
            f"partner {partner}, which is not in `owners`: add it to `owners`"
            for partner in sorted(named - set(owners))
            if partner in directory.partners
        ]
    return problems


def _namable(contract: Contract, catalogue: Catalogue, identifier: Identifier) -> tuple[str, ...]:
    """The partners the `owner_in` field can name, as its schema lists them (none: any)."""
    if identifier.owner_in is None:
        return ()
    values = held_values(_field_schema(contract, catalogue, identifier.owner_in))
    return tuple(str(v) for v in values) if values is not None else ()


def _unacknowledged(
    where: str,
    contract: Contract,
    identifier: Identifier,
    consumer: Consumer,
    namable: tuple[str, ...],  # whom `owner_in` can name (none: any)
) -> str:
    office, partner = consumer.office, consumer.partner
    owners = ", ".join(sorted(identifier.owner_set))
    whose = (
        f"a number of {identifier.owner}'s files"
        if identifier.owner
        else f"a number of the files of the partner {identifier.owner_in} names ({owners})"
    )
    if consumer.when is not None:
        unbound = f"its `when` on {consumer.when.field} does not bind it to its own files"
    elif consumer.route is not None:
        unbound = "its route picks an office by commune, not by whose files they are"
    else:
        unbound = "it receives every notice"
    acknowledge = (
        f"acknowledge it by name under the identifier {identifier.field}: `shared_with: "
        f"{{{office}: {{basis: <a legal_basis of the contract or a policy line>, why: <why>}}}}`"
    )
    said = (
        f"{where}: {office} receives notices of {contract.id}, which carries "
        f"{identifier.field}, {whose}, and {unbound}: it would receive files that are not its "
        "own. "
    )
    if identifier.owner_in is None:
        return (
            f"{said}Bind it to its own (`answered` or `sender`, the notice's own parties), or, "
            f"if it is entitled to every one, {acknowledge}"
        )
    if namable and partner not in namable:
        # A `when` naming it could never hold: no notice's owner_in can be it.
        return (
            f"{said}{identifier.owner_in} can name only {', '.join(namable)}, not {partner}, "
            f"so no `when` on it can keep {partner} to its own files. If it is entitled to "
            f"every one, {acknowledge}. If numbers of {partner}'s own files are to travel in "
            f"{contract.id}, its schema must first let {identifier.owner_in} name {partner} (a "
            f"value added to its enum: a new major, `hub contracts check` holds each major "
            f"FULL compatible), with {partner} added to `owners`; then give that consumer "
            f"`when: {{field: {identifier.owner_in}, in: [{partner}]}}`"
        )
    return (
        f"{said}Bind it to its own (`when: {{field: {identifier.owner_in}, in: [{partner}]}}` "
        f"on that consumer), or, if it is entitled to every one, {acknowledge}"
    )
