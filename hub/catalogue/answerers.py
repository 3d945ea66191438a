"""Answerers: an office answering a notice is compared only on what it received of it.

The intake refuses an answer that does not match the notice it answers (`answer.mismatch`,
`hub.catalogue.matches`). An office that answers a notice but does not receive a field the
answer is compared on would learn that field one refusal at a time: it sends a guess, and the
hub says whether the guess was right. So every office that produces an answering contract must
receive, in each notice it may answer, every field the answer is compared on there.

An office receives a notice through a consumer entry naming it or its kind (routed or not),
through `answered` when it sent what the notice answers, through `recipients` when it received
that, and through `sender` whatever it sent. An office that sends the answered notice itself,
and receives none, answers only its own: it knows what it wrote.
"""

from __future__ import annotations

from hub.catalogue.contracts import Catalogue, Contract
from hub.catalogue.examples import shown
from hub.catalogue.meta import ANSWERED, RECIPIENTS, SENDER, Consumer
from hub.catalogue.projection import parse_path

HUB = "hub"


def answerer_problems(contract: Contract, catalogue: Catalogue) -> list[str]:
    """Fields an answer is compared on that one of its producers does not receive.

    For each contract `contract` declares `matches` for, each producer office, each consumer
    entry of the answered contract that can deliver to that office, and each field of the
    answered notice the match compares (`same`, and the answered side of `not_before`), the
    entry must name the field or an object holding it. Match rules naming a contract that is
    not answered, or a field either side lacks, are `match_problems`.
    """
    where = shown(contract.folder / "contract.yaml")
    problems: list[str] = []
    for other, match in contract.meta.matches.items():
        answered = catalogue.get(other)
        if answered is None or other not in contract.meta.answers:
            continue
        compared = list(dict.fromkeys(pair.answered for pair in match.pairs))
        answered_at = shown(answered.folder / "contract.yaml")
        for office in (p for p in contract.meta.producers if p != HUB):
            for consumer in delivering(catalogue, answered, office):
                problems += [
                    f"{where}: {office} produces {contract.id}, whose `matches.{other}` compares "
                    f"{field} of the answered notice, but it receives {other} without {field} "
                    f"(consumer `{consumer.office}`): each answer.mismatch would tell it whether "
                    f"a guess was right. Grant {field} to that consumer in {answered_at}, or drop "
                    f"it from `matches.{other}`"
                    for field in compared
                    if not grants(consumer, field)
                ]
    return problems


def delivering(catalogue: Catalogue, contract: Contract, office: str) -> list[Consumer]:
    """The consumer entries of `contract` that can deliver its notices to `office`.

    `office` is `partner/office` or `partner/kind` (every office of the kind).
    """
    return _delivering(catalogue, contract, office, frozenset())


def _delivering(
    catalogue: Catalogue, contract: Contract, office: str, seen: frozenset[str]
) -> list[Consumer]:
    seen |= {contract.id}
    answered = [
        known
        for other in contract.meta.answers
        if other not in seen and (known := catalogue.get(other)) is not None
    ]
    found = []
    for consumer in contract.meta.consumers:
        if consumer.office == SENDER:  # the sender of what the notice is about: any producer
            reaches = True
        elif consumer.office == ANSWERED:
            reaches = any(
                _same_office(producer, office)
                for other in answered
                for producer in other.meta.producers
                if producer != HUB
            )
        elif consumer.office == RECIPIENTS:
            reaches = any(_delivering(catalogue, other, office, seen) for other in answered)
        else:
            reaches = _same_office(consumer.office, office)
        if reaches:
            found.append(consumer)
    return found


def _same_office(named: str, office: str) -> bool:
    """Whether two `partner/office` names can be one office: the same, or one is the other's kind.

    `departement/mdd` (a kind, routed) and `departement/mdd:87-bellac` can; two MDDs cannot.
    """
    partner, _, name = named.partition("/")
    other_partner, _, other = office.partition("/")
    return partner == other_partner and (
        name == other or name.split(":", 1)[0] == other or other.split(":", 1)[0] == name
    )


def grants(consumer: Consumer, field: str) -> bool:
    """Whether a consumer's projection delivers `field` (a dotted path naming one value).

    Naming the field delivers it, and so does naming an object that holds it.
    """
    wanted = parse_path(field)
    return any(
        wanted[: len(path)] == path for path in (parse_path(name) for name in consumer.fields)
    )
