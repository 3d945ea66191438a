"""Checks of the contract catalogue as a whole, against itself and the partner directory.

Loading a catalogue already checks each contract on its own (schemas, `$id`s, projection
paths, migrations declared). These checks look across contracts and at the examples; the hub
runs the cheap ones at start, `hub contracts check` runs them all.
"""

from __future__ import annotations

from hub.catalogue.answerers import answerer_problems
from hub.catalogue.categories import category_problems
from hub.catalogue.contracts import Catalogue, Contract
from hub.catalogue.deadlines import deadline_problems
from hub.catalogue.directory import PartnerDirectory, PinnedBy
from hub.catalogue.entitlements import (
    CategoriesOf,
    entitlement_problems,
    kind_problems,
    line_problems,
    received_categories,
    undeclared_numbers,
)
from hub.catalogue.examples import Example, example_faults, examples, shown
from hub.catalogue.hub_contracts import ROUTING_ALERT
from hub.catalogue.meta import ANSWERED, RECIPIENTS, SENDER, Consumer, ContractMeta
from hub.catalogue.projection import parse_path
from hub.catalogue.recipients import (
    condition_problems,
    identifier_problems,
    owner_problems,
    receipt_problems,
)
from hub.catalogue.regimes import regime_problems
from hub.catalogue.schemas import schema_has_path
from hub.catalogue.versions import lost, unconvertible

HUB = "hub"


def consistency(
    catalogue: Catalogue,
    directory: PartnerDirectory,
    categories_of: CategoriesOf = received_categories,
) -> list[str]:
    """Faults across contracts and the directory; empty when the hub can run on them.

    `categories_of` reads the data category of each field a consumer receives, which the
    recipient policy judges (`hub.catalogue.entitlements`).
    """
    kinds = kind_problems(catalogue, directory)
    problems = list(kinds)
    for contract in catalogue.contracts.values():
        problems += _offices(contract.meta, directory)
        problems += _references(contract.meta, catalogue)
        problems += match_problems(contract, catalogue)
        problems += answerer_problems(contract, catalogue)
        problems += undeclared_losses(contract)
        problems += identifier_problems(contract, catalogue)
        problems += condition_problems(contract, catalogue)
        problems += owner_problems(contract, catalogue, directory)
    problems += _routing_by_hand(catalogue, directory)
    problems += receipt_problems(catalogue)
    problems += pin_problems(catalogue, directory)
    problems += deadline_problems(catalogue, directory)
    problems += regime_problems(catalogue)
    problems += category_problems(catalogue)
    problems += line_problems(catalogue)
    if not kinds:  # what an office may receive depends on its legal kind
        problems += entitlement_problems(catalogue, directory, categories_of)
    problems += undeclared_numbers(catalogue, categories_of)
    return problems


def _offices(meta: ContractMeta, directory: PartnerDirectory) -> list[str]:
    named = [("producer", p) for p in meta.producers if p != HUB]
    unnamed = (SENDER, ANSWERED, RECIPIENTS)
    taking = [("consumer", c.office) for c in meta.consumers if c.office not in unnamed]
    taking += [("alerted office", o) for d in meta.deadlines for o in d.alert if o != SENDER]
    problems = [
        f"{meta.id}: {role} {office} is not in the directory"
        for role, office in named + taking
        if not directory.knows(*office.split("/", 1))
    ]
    # Which member of a kind known by codes would receive? None can be chosen in advance.
    problems += [
        f"{meta.id}: {role} {office} is a kind of offices known by their codes, not an office: "
        "name an office, or `answered` for the office that sent the answered notice"
        for role, office in taking
        if office.split("/", 1)[1] in directory.coded_kinds(office.split("/", 1)[0])
    ]
    for office in (ANSWERED, RECIPIENTS):
        if any(c.office == office for c in meta.consumers) and not meta.answers:
            problems.append(f"{meta.id}: a consumer `{office}` needs `answers`")
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
    replacements = meta.retired.replaced_by if meta.retired else ()
    problems = [
        f"{meta.id}: refers to the unknown contract {other}"
        for other in referred + replacements
        if catalogue.get(other) is None
    ]
    for other in replacements:
        replacement = catalogue.get(other)
        if replacement is not None and replacement.meta.retired is not None:
            problems.append(f"{meta.id}: is replaced by {other}, which is retired too")
    return problems


def match_problems(contract: Contract, catalogue: Catalogue) -> list[str]:
    """Match rules naming a contract it does not answer, or a field either side lacks."""
    where = shown(contract.folder / "contract.yaml")
    problems = []
    for other, match in contract.meta.matches.items():
        answered = catalogue.get(other)
        if other not in contract.meta.answers or answered is None:
            problems.append(
                f"{where}: `matches` names {other}, which {contract.id} does not answer: add it "
                "to `answers`, or remove its rules"
            )
            continue
        # The answer as sent, in each of its majors; the answered notice as the intake reads it,
        # converted to its latest major.
        latest = max(answered.versions)
        sides = (
            ("answer", contract, "answer", sorted(contract.versions.items())),
            ("answered notice", answered, "answered", [(latest, answered.versions[latest])]),
        )
        for what, side, attribute, versions in sides:
            for pair in match.pairs:
                field = getattr(pair, attribute)
                problems += [
                    f"{where}: `matches.{other}` names {field} of the {what}, which v{major} of "
                    f"{side.id} does not define: correct the path in `{attribute}`"
                    for major, version in versions
                    if not schema_has_path(version.schema, parse_path(field), catalogue.registry)
                ]
    return problems


def example_problems(catalogue: Catalogue) -> list[str]:
    """Examples that do not pass or fail as labelled, and migrations that break valid ones."""
    problems: list[str] = []
    for contract in catalogue.contracts.values():
        found = examples(contract)
        for major in contract.versions:
            mine = [e for e in found if e.major == major]
            if not any(e.valid for e in mine) or not any(not e.valid for e in mine):
                problems.append(f"{contract.id} v{major}: needs valid and invalid examples")
        problems += _unshown_scopes(contract, found)
        problems += _unmatched_examples(contract, catalogue, found)
        for example in found:
            problems += example_faults(contract, example)
            if example.valid:
                problems += _migrated(contract, example)
    return problems


def _unshown_scopes(contract: Contract, found: list[Example]) -> list[str]:
    """Scopes no invalid example of a major they hold for shows refusing."""
    named = {(e.major, e.rule) for e in found if not e.valid}
    return [
        f"{contract.folder / 'contract.yaml'}: scope `{scope.rule}` has no invalid example: "
        f"add one whose $comment names {scope.code}"
        for scope in contract.meta.scopes
        if scope.qualifies is None  # it refuses nothing: what it says is shown by the ledger
        if not any((major, scope.code) in named for major in scope.majors or contract.versions)
    ]


def _unmatched_examples(
    contract: Contract, catalogue: Catalogue, found: list[Example]
) -> list[str]:
    """Valid answers that match no valid example of a contract they answer (`matches`)."""
    problems = []
    for other, match in contract.meta.matches.items():
        answered = catalogue.get(other)
        if answered is None or other not in contract.meta.answers:
            continue  # named by `match_problems`
        latest = max(answered.versions)
        theirs = [
            answered.convert(e.payload, e.major, latest) for e in examples(answered) if e.valid
        ]
        problems += [
            f"{contract.id} {example.path.name}: matches no valid example of {other}: make it "
            f"answer one of them (`matches` in {shown(contract.folder / 'contract.yaml')})"
            for example in found
            if example.valid and not any(match.agrees(example.payload, t) for t in theirs)
        ]
    return problems


def _migrated(contract: Contract, example: Example) -> list[str]:
    problems = []
    for major, version in contract.versions.items():
        if major == example.major or unconvertible(example.major, major, contract.migrations):
            continue  # a step declared impossible: no office reads that major (`pin_problems`)
        converted = contract.convert(example.payload, example.major, major)
        if not version.accepts(converted):
            problems.append(
                f"{contract.id} {example.path.name}: v{example.major} to v{major} is not valid"
            )
    return problems


def undeclared_losses(contract: Contract) -> list[str]:
    """Migration steps that remove a field some office is entitled to, not declared lost."""
    where = shown(contract.folder / "migrations.yaml")
    return [
        f"{where}: {contract.id} v{step.source} to v{step.target} removes {name}, which "
        f"{_office_of(consumer)} is entitled to (its projection names it): declare the loss, "
        f"`lost: [{name}]` in the step {{from: {step.source}, to: {step.target}}}"
        for step in contract.migrations
        for name in step.remove
        if name not in step.lost and name not in step.moved
        for consumer in contract.meta.consumers
        if name in _entitled(consumer)
    ]


def pin_problems(catalogue: Catalogue, directory: PartnerDirectory) -> list[str]:
    """Faults of the directory's pins (`consumes`), each naming the file and what to change.

    A pin to a major that is not live, or that the latest cannot be converted to (a step
    declared `impossible`); a pin to a major whose migration from the latest loses
    a field an office reading through it is entitled to, unless the pin acknowledges that field
    by name; an acknowledgement of a loss that no office reading through the pin suffers.
    """
    where = shown(directory.path) if directory.path else "the partner directory"
    problems: list[str] = []
    live: list[PinnedBy] = []
    for pinned in directory.pins():
        contract = catalogue.get(pinned.contract)
        if contract is None or pinned.pin.major not in contract.versions:
            major = pinned.pin.major
            problems.append(f"{pinned.holder} reads {pinned.contract} v{major}, which is not live")
        elif why := unconvertible(max(contract.versions), pinned.pin.major, contract.migrations):
            problems.append(
                f"{where}: {pinned.holder} reads {pinned.contract} v{pinned.pin.major}, which "
                f"the latest major cannot be converted to ({why}): remove or raise the pin"
            )
        else:
            live.append(pinned)
    suffered: set[tuple[str, str, str]] = set()
    for partner in directory.partners:
        for entry in directory.entries(partner):
            for contract in catalogue.contracts.values():
                applying = directory.pinned(partner, entry, contract.id)
                if applying is None or applying not in live:
                    continue
                for name in _losses(catalogue, contract, partner, entry, applying.pin.major):
                    suffered.add((applying.holder, contract.id, name))
                    if name not in applying.pin.accepts_loss_of:
                        office = f"{partner}/{entry}"
                        problems.append(_unacknowledged(where, office, contract, applying, name))
    problems += [
        f"{where}: {pinned.holder} acknowledges the loss of {name} in {pinned.contract} "
        f"v{pinned.pin.major}, which no office reading through this pin suffers: remove it "
        "from accepts_loss_of"
        for pinned in live
        for name in pinned.pin.accepts_loss_of
        if (pinned.holder, pinned.contract, name) not in suffered
    ]
    return problems


def _losses(
    catalogue: Catalogue, contract: Contract, partner: str, entry: str, major: int
) -> list[str]:
    """The fields an office is entitled to that the migration from the latest to `major` loses."""
    dropped = lost(max(contract.versions), major, contract.migrations)
    reaching = [
        c for c in contract.meta.consumers if _reaches(catalogue, contract, c, partner, entry)
    ]
    return [name for name in dropped if any(name in _entitled(c) for c in reaching)]


def _unacknowledged(
    where: str, office: str, contract: Contract, pinned: PinnedBy, name: str
) -> str:
    # `office` may be a kind known by codes (`academie/etablissement`): each of its offices.
    major, latest = pinned.pin.major, max(contract.versions)
    by = "" if pinned.holder == office else f" (pinned by {pinned.holder})"
    return (
        f"{where}: {office} reads {contract.id} v{major}{by}, and the migration from v{latest} "
        f"to v{major} loses {name}, which {office} is entitled to (its projection names it): "
        f"let it read v{latest} (remove or raise the pin), or acknowledge the loss by name in "
        f"that pin: `{contract.id}: {{major: {major}, accepts_loss_of: [{name}]}}`"
    )


def _reaches(
    catalogue: Catalogue, contract: Contract, consumer: Consumer, partner: str, entry: str
) -> bool:
    """Whether a consumer of `contract` can be this office (or an office of this coded kind)."""
    if consumer.office in (SENDER, RECIPIENTS):  # any office may have received the notice
        return True
    if consumer.office == ANSWERED:
        answered = [catalogue.get(other) for other in contract.meta.answers]
        return any(a.meta.produced_by(partner, entry) for a in answered if a is not None)
    return consumer.partner == partner and consumer.office_name in (entry, entry.split(":", 1)[0])


def _entitled(consumer: Consumer) -> set[str]:
    """The top-level fields a consumer's projection names, wholly or in part."""
    return {parse_path(field)[0].name for field in consumer.fields}


def _office_of(consumer: Consumer) -> str:
    return {
        ANSWERED: "the office that sent the answered notice",
        SENDER: "the sender of a refused record",
        RECIPIENTS: "the offices that received the answered notice",
    }.get(consumer.office, consumer.office)
