"""The options of `hub partner add`: its offices, what each sends, what each receives and when."""

from __future__ import annotations

from dataclasses import dataclass

from hub.catalogue.meta import ANSWERED


class PartnerError(ValueError):
    """The partner cannot be added as asked; the message says what to change."""


@dataclass(frozen=True, slots=True)
class Receiving:
    """A contract an office receives: the fields it sees, or as the office that asked.

    `when`: only the notices whose field (a path) has one of the values, as a consumer's `when`.
    """

    contract: str
    office: str
    fields: tuple[str, ...] = ()
    answered: bool = False
    when: tuple[str, tuple[str, ...]] | None = None


def office_option(text: str) -> tuple[str, str]:
    """`--office msa="MSA du Limousin"`: an office id and its name."""
    office, sep, name = text.partition("=")
    if not sep or not name.strip():
        raise PartnerError(f"--office {text!r}: write OFFICE=NAME, e.g. msa='MSA du Limousin'")
    return office.strip(), name.strip()


def sends_option(text: str) -> tuple[str, str]:
    """`--sends logement.demande-avis:msa`: a contract and the office that sends it."""
    contract, sep, office = text.partition(":")
    if not sep or not contract or not office:
        raise PartnerError(f"--sends {text!r}: write CONTRACT:OFFICE")
    return contract, office


WHEN = " when "  # `--receives "logement.avis:msa=payer,avis when payer.organisation=msa"`


def receives_option(text: str) -> Receiving:
    """`--receives CONTRACT:OFFICE=FIELD,FIELD...`, or `=answered` for the office that asked.

    Either may end with ` when FIELD=VALUE,VALUE...`: only the notices whose field has one of
    the values, each typed later as the field holds it (`true` a boolean, `87085` a string).
    """
    receiving, _, condition = text.partition(WHEN)
    target, sep, fields = receiving.strip().partition("=")
    contract, colon, office = target.partition(":")
    if not sep or not colon or not contract or not office or not fields:
        raise PartnerError(
            f"--receives {text!r}: write CONTRACT:OFFICE=FIELD,FIELD,... (the fields it sees) "
            "or CONTRACT:OFFICE=answered (as the office whose notice it answers), then if need "
            "be ' when FIELD=VALUE,...' (only the notices whose field has one of the values)"
        )
    when = _condition(text, condition) if condition else None
    if fields == ANSWERED:
        if when is not None:
            raise PartnerError(f"--receives {text!r}: =answered takes no condition")
        return Receiving(contract, office, answered=True)
    listed = tuple(f.strip() for f in fields.split(",") if f.strip())
    return Receiving(contract, office, listed, when=when)


def _condition(text: str, condition: str) -> tuple[str, tuple[str, ...]]:
    field, sep, listed = condition.strip().partition("=")
    values = tuple(v.strip() for v in listed.split(",") if v.strip())
    if not sep or not field.strip() or not values:
        raise PartnerError(f"--receives {text!r}: write the condition as when FIELD=VALUE,...")
    return field.strip(), values
