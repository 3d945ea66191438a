"""Checks of the contract catalogue as a whole, against itself and the partner directory.

Loading a catalogue already checks each contract on its own (schemas, `$id`s, projection
paths, migrations declared). These checks look across contracts and at the examples; the hub
runs the cheap ones at start, `hub contracts check` runs them all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hub.catalogue.contracts import ANSWERED, SENDER, Catalogue, Contract, ContractMeta
from hub.catalogue.directory import PartnerDirectory
from hub.catalogue.validation import rule_code, schema_reasons

HUB = "hub"
ROUTING_ALERT = "hub.routing-alert"  # its consumers are the offices that route by hand


@dataclass(frozen=True, slots=True)
class Example:
    """One example payload of a contract version, and what it is meant to show."""

    contract: str
    major: int
    path: Path
    payload: dict[str, Any]
    valid: bool
    rule: str | None  # for an invalid example: the schema keyword its `$comment` names


def examples(contract: Contract) -> list[Example]:
    """Every example of every live major of a contract."""
    found = []
    for major in sorted(contract.versions):
        for kind in ("valid", "invalid"):
            folder = contract.folder / f"v{major}" / "examples" / kind
            for path in sorted(folder.glob("*.json")):
                payload = json.loads(path.read_text(encoding="utf-8"))
                comment = payload.pop("$comment", None)
                rule = comment.split(":", 1)[0].strip() if isinstance(comment, str) else None
                found.append(Example(contract.id, major, path, payload, kind == "valid", rule))
    return found


def consistency(catalogue: Catalogue, directory: PartnerDirectory) -> list[str]:
    """Faults across contracts and the directory; empty when the hub can run on them."""
    problems: list[str] = []
    for contract in catalogue.contracts.values():
        problems += _offices(contract.meta, directory)
        problems += _references(contract.meta, catalogue)
    problems += _routing_by_hand(catalogue, directory)
    for partner, declared in directory.declared_versions().items():
        for contract_id, major in declared.items():
            pinned = catalogue.get(contract_id)
            if pinned is None or major not in pinned.versions:
                problems.append(f"{partner} reads {contract_id} v{major}, which is not live")
    return problems


def _offices(meta: ContractMeta, directory: PartnerDirectory) -> list[str]:
    named = [("producer", p) for p in meta.producers if p != HUB]
    named += [("consumer", c.office) for c in meta.consumers if c.office not in (SENDER, ANSWERED)]
    named += [("alerted office", o) for d in meta.deadlines for o in d.alert if o != SENDER]
    problems = [
        f"{meta.id}: {role} {office} is not in the directory"
        for role, office in named
        if not _names_offices(directory, office)
    ]
    if any(c.office == ANSWERED for c in meta.consumers) and not meta.answers:
        problems.append(f"{meta.id}: an `answered` consumer needs `answers`")
    return problems


def _routing_by_hand(catalogue: Catalogue, directory: PartnerDirectory) -> list[str]:
    """The offices that route by hand and the named consumers of the routing alert agree."""
    alert = catalogue.get(ROUTING_ALERT)
    if alert is None:
        return []
    named = {c.office for c in alert.meta.consumers} - {SENDER, ANSWERED}
    routing = {
        f"{partner}/{office}"
        for partner in directory.partners
        if (office := directory.routes_by_hand(partner))
    }
    return [
        f"{ROUTING_ALERT}: {office} routes by hand but is not one of its consumers"
        for office in sorted(routing - named)
    ] + [
        f"{ROUTING_ALERT}: {office} is a consumer but routes nothing by hand"
        for office in sorted(named - routing)
    ]


def _references(meta: ContractMeta, catalogue: Catalogue) -> list[str]:
    referred = meta.answers + tuple(c for d in meta.deadlines for c in d.closed_by)
    return [
        f"{meta.id}: refers to the unknown contract {other}"
        for other in referred
        if catalogue.get(other) is None
    ]


def example_problems(catalogue: Catalogue) -> list[str]:
    """Examples that do not pass or fail as labelled, and migrations that break valid ones."""
    problems: list[str] = []
    for contract in catalogue.contracts.values():
        found = examples(contract)
        for major in contract.versions:
            mine = [e for e in found if e.major == major]
            if not any(e.valid for e in mine) or not any(not e.valid for e in mine):
                problems.append(f"{contract.id} v{major}: needs valid and invalid examples")
        for example in found:
            problems += _labelled(contract, example)
            if example.valid:
                problems += _migrated(contract, example)
    return problems


def _labelled(contract: Contract, example: Example) -> list[str]:
    version = contract.versions[example.major]
    reasons = schema_reasons(version.validator, example.payload)
    where = f"{contract.id} {example.path.name}"
    if version.accepts(example.payload) != (not reasons):
        return [f"{where}: the two validators disagree"]
    if example.valid:
        return [f"{where}: labelled valid, fails {reasons[0].code}"] if reasons else []
    if not reasons:
        return [f"{where}: labelled invalid, passes"]
    expected = rule_code(example.rule or "")
    codes = sorted({r.code for r in reasons})
    if codes != [expected]:
        return [f"{where}: $comment names {example.rule}, fails {', '.join(codes)}"]
    return []


def _migrated(contract: Contract, example: Example) -> list[str]:
    problems = []
    for major, version in contract.versions.items():
        if major == example.major:
            continue
        converted = contract.convert(example.payload, example.major, major)
        if not version.accepts(converted):
            problems.append(
                f"{contract.id} {example.path.name}: v{example.major} to v{major} is not valid"
            )
    return problems


def _names_offices(directory: PartnerDirectory, address: str) -> bool:
    partner, _, office = address.partition("/")
    return directory.has_office(partner, office) or any(
        o.split(":", 1)[0] == office for o in directory.offices(partner)
    )
