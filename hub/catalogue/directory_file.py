"""The partner directory's file as written: partners, offices, pins, agreements, and their checks.

Read by `hub.catalogue.directory`, which indexes it and answers the hub's questions. A legal
kind (`kind:`) is one of the recipient policy's (`hub.catalogue.policy`); the kind of offices an
office id begins with (`mdd` in `mdd:87-bellac`) is another thing, an office kind.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from hub.catalogue.agreements import Agreement
from hub.catalogue.policy import LEGAL_KIND

PARTNER_ID = re.compile(r"^[a-z][a-z0-9-]{1,31}$")
OFFICE_KIND = r"[a-z][a-z0-9-]{1,31}"  # the prefix of an office id, `mdd` in `mdd:87-bellac`
CODE = r"[A-Za-z0-9][A-Za-z0-9-]{0,63}"  # a UAI is upper case: `0870015U`
OFFICE_ID = re.compile(rf"^{OFFICE_KIND}(:{CODE})?$")
CODE_ID = re.compile(rf"^{CODE}$")
COMMUNE = re.compile(r"^(?:[0-9]{2}|2A|2B)[0-9]{3}$")
FIELD = re.compile(r"^[a-z_][a-z0-9_]*$")


class Pin(BaseModel):
    """The major of a contract an office reads, and the fields it knowingly goes without.

    Written `ip.transmission: 1`, or `ip.transmission: {major: 1, accepts_loss_of:
    [other_minors]}` when that major's migration drops fields the office is entitled to.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    major: StrictInt = Field(ge=1)
    accepts_loss_of: tuple[str, ...] = Field(
        default=(),
        description="Fields the migration to this major drops, acknowledged one by one.",
    )

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        return {"major": value} if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("accepts_loss_of")
    @classmethod
    def _field_names(cls, fields: tuple[str, ...]) -> tuple[str, ...]:
        bad = [name for name in fields if not FIELD.match(name)]
        if bad:
            raise ValueError(f"not top-level field names: {', '.join(bad)}")
        return fields


Pins = dict[str, Pin]


# `kind:` in the directory: one of the recipient policy's legal kinds (`hub.catalogue.policy`).
LegalKind = Annotated[str, StringConstraints(pattern=LEGAL_KIND.pattern)] | None


class OfficeEntry(BaseModel):
    """One office, or one kind of offices known by their codes, as written in the directory."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    legal_kind: LegalKind = Field(
        default=None,
        alias="kind",
        description="Its legal kind, when not its partner's (the FSL of the département).",
    )
    communes: tuple[str, ...] = ()
    code_pattern: str | None = Field(
        default=None,
        description="Every code matching it makes an office `<kind>:<code>` of this kind.",
    )
    consumes: Pins = Field(
        default_factory=dict,
        description="Contract id -> the major this office reads; wins over its partner's.",
    )

    @field_validator("communes")
    @classmethod
    def _communes_are_insee_codes(cls, communes: tuple[str, ...]) -> tuple[str, ...]:
        bad = [code for code in communes if not COMMUNE.match(code)]
        if bad:
            raise ValueError(f"not INSEE commune codes: {', '.join(bad)}")
        return communes

    @field_validator("code_pattern")
    @classmethod
    def _pattern_compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"code_pattern is not a regular expression: {error}") from error
        return pattern

    @model_validator(mode="after")
    def _a_kind_of_codes_serves_no_commune(self) -> OfficeEntry:
        if self.code_pattern is not None and self.communes:
            raise ValueError("a kind of offices known by their codes cannot serve communes")
        return self


class PartnerEntry(BaseModel):
    """One partner institution as written in the directory file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    legal_kind: LegalKind = Field(
        default=None,
        alias="kind",
        description="The legal kind of its offices, unless an office says its own.",
    )
    offices: dict[str, OfficeEntry] = Field(min_length=1)
    consumes: Pins = Field(
        default_factory=dict,
        description="Contract id -> the major version this partner's systems read.",
    )
    routes_by_hand: str | None = Field(
        default=None,
        description="The office that dispatches by hand a notice none of its offices takes.",
    )

    @field_validator("offices")
    @classmethod
    def _office_ids(cls, offices: dict[str, OfficeEntry]) -> dict[str, OfficeEntry]:
        bad = [office for office in offices if not OFFICE_ID.match(office)]
        if bad:
            raise ValueError(f"invalid office ids: {', '.join(bad)}")
        coded = [o for o, entry in offices.items() if entry.code_pattern is not None]
        for kind in coded:
            if ":" in kind:
                raise ValueError(f"{kind}: a kind known by codes is named without a code")
            listed = [o for o in offices if o.startswith(f"{kind}:")]
            if listed:
                raise ValueError(
                    f"{kind} is a kind known by codes; do not list {', '.join(listed)} too"
                )
        return offices

    @model_validator(mode="after")
    def _each_office_has_a_legal_kind(self) -> PartnerEntry:
        if self.legal_kind is None:
            bare = [o for o, entry in self.offices.items() if entry.legal_kind is None]
            if bare:
                raise ValueError(
                    f"offices {', '.join(bare)} have no legal kind: give `kind:` to the partner "
                    "or to each office (a kind of contracts/_policy/recipients.yaml)"
                )
        return self

    @model_validator(mode="after")
    def _routes_by_hand_is_an_office(self) -> PartnerEntry:
        office = self.offices.get(self.routes_by_hand or "")
        if self.routes_by_hand is not None and (office is None or office.code_pattern):
            raise ValueError(f"routes_by_hand: {self.routes_by_hand} is not one of its offices")
        return self


class Territory(BaseModel):
    """The département the hub serves."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    code: str


class DirectoryFile(BaseModel):
    """The whole directory file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    territory: Territory
    partners: dict[str, PartnerEntry] = Field(min_length=1)
    agreements: dict[str, dict[str, Agreement]] = Field(
        default_factory=dict,
        description="Contract id -> deadline -> its periods here (`hub.catalogue.agreements`).",
    )

    @field_validator("agreements", mode="before")
    @classmethod
    def _agreed_periods_are_read(cls, agreements: Any) -> Any:
        """Each agreement read, a fault naming its contract and deadline, then what is wrong."""
        if not isinstance(agreements, dict):
            return agreements
        read: dict[Any, Any] = {}
        for contract, periods in agreements.items():
            if not isinstance(periods, dict):
                raise ValueError(  # noqa: TRY004 - pydantic reports a ValueError as the fault
                    f"agreements: {contract}: write its deadlines and their periods, "
                    "`{urgent_receipt: PT12H}`"
                )
            read[contract] = {}
            for name, agreement in periods.items():
                try:
                    read[contract][name] = Agreement.model_validate(agreement)
                except ValidationError as error:
                    faults = "; ".join(_fault(f) for f in error.errors())
                    raise ValueError(f"agreements: {contract} {name}: {faults}") from error
        return read

    @field_validator("partners")
    @classmethod
    def _partner_ids(cls, partners: dict[str, PartnerEntry]) -> dict[str, PartnerEntry]:
        bad = [partner for partner in partners if not PARTNER_ID.match(partner)]
        if bad:
            raise ValueError(f"invalid partner ids: {', '.join(bad)}")
        return partners

    @model_validator(mode="after")
    def _one_office_per_commune_and_kind(self) -> DirectoryFile:
        for partner_id, partner in self.partners.items():
            served: dict[tuple[str, str], str] = {}
            for office_id, office in partner.offices.items():
                kind = office_id.split(":", 1)[0]
                for commune in office.communes:
                    other = served.setdefault((kind, commune), office_id)
                    if other != office_id:
                        raise ValueError(
                            f"{partner_id}: commune {commune} is served by both "
                            f"{other} and {office_id}"
                        )
        return self


def _fault(fault: Any) -> str:
    """One fault of an agreement: where in it (`by_age 1, under`), and what is wrong."""
    words: list[str] = []
    for part in fault["loc"]:
        if isinstance(part, int) and words:
            words[-1] += f" {part + 1}"
        else:
            words.append(str(part))
    message = str(fault["msg"]).removeprefix("Value error, ")
    if fault["type"] == "extra_forbidden":
        keys = "`under` and `period`" if len(words) > 1 else "`period`, `by_age` or both"
        message = f"not a key it has: write {keys}"
    return f"{', '.join(words)}: {message}" if words else message
