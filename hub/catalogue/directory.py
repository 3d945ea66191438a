"""The partner directory: which partners exist, their offices, and the communes each office serves.

The directory is configuration, loaded from a YAML file; the hub's code names no partner.

An office is listed by its id (`crip`, `mdd:87-limoges-nord`), or a whole kind of offices is
declared by the pattern of its members' codes (`etablissement` with the UAI's pattern: every
school head is the office `etablissement:<UAI>`, none listed one by one). A partner, or one of
its offices, may pin the major version of a contract it reads (`consumes`); the office's pin
wins over its partner's. `agreements` sets the periods of the deadlines the partners agree on
in this département, by contract and deadline name (`hub.catalogue.agreements`).

Each office has a legal kind (`kind:` on its partner, the default for its offices, or on the
office itself): what the law lets it receive, from the recipient policy's kinds
(`hub.catalogue.policy`). It is not the kind of offices an office id begins with (`mdd` in
`mdd:87-bellac`), which only says how offices are named and routed: in code the one is a
`legal_kind`, the other an office kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from hub.catalogue.periods import check_period

PARTNER_ID = re.compile(r"^[a-z][a-z0-9-]{1,31}$")
OFFICE_KIND = r"[a-z][a-z0-9-]{1,31}"  # the prefix of an office id, `mdd` in `mdd:87-bellac`
CODE = r"[A-Za-z0-9][A-Za-z0-9-]{0,63}"  # a UAI is upper case: `0870015U`
OFFICE_ID = re.compile(rf"^{OFFICE_KIND}(:{CODE})?$")
LEGAL_KIND = r"^[a-z][a-z0-9-]{1,63}$"  # a kind of the recipient policy: `child-protection`
CODE_ID = re.compile(rf"^{CODE}$")
COMMUNE = re.compile(r"^(?:[0-9]{2}|2A|2B)[0-9]{3}$")
FIELD = re.compile(r"^[a-z_][a-z0-9_]*$")


class DirectoryError(ValueError):
    """The directory file is missing or does not describe a consistent set of partners."""


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


class OfficeEntry(BaseModel):
    """One office, or one kind of offices known by their codes, as written in the directory."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    legal_kind: str | None = Field(
        default=None,
        alias="kind",
        pattern=LEGAL_KIND,
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
    legal_kind: str | None = Field(
        default=None,
        alias="kind",
        pattern=LEGAL_KIND,
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
    agreements: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="Contract id -> deadline -> the period agreed here, for an agreement's.",
    )

    @field_validator("agreements")
    @classmethod
    def _agreed_periods_are_read(
        cls, agreements: dict[str, dict[str, str]]
    ) -> dict[str, dict[str, str]]:
        for contract, periods in agreements.items():
            for name, period in periods.items():
                try:
                    check_period(period)
                except ValueError as error:
                    raise ValueError(f"agreements: {contract} {name}: {error}") from error
        return agreements

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


@dataclass(frozen=True, slots=True)
class PinnedBy:
    """A pin that applies to an office, and who declared it (`partner` or `partner/office`)."""

    holder: str
    contract: str
    pin: Pin


class PartnerDirectory:
    """Partners, their offices and, per office kind, which office serves which commune."""

    def __init__(self, source: DirectoryFile, path: Path | None = None) -> None:
        """Index a parsed directory file (`path`: the file it came from, named in faults)."""
        self.territory = source.territory
        self.path = path
        # The periods this département's partners agreed, by contract and deadline name.
        self.agreements = source.agreements
        self._partners = source.partners
        self._by_commune: dict[tuple[str, str, str], str] = {}
        self._codes: dict[tuple[str, str], re.Pattern[str]] = {}
        for partner_id, partner in source.partners.items():
            for office_id, office in partner.offices.items():
                kind = office_id.split(":", 1)[0]
                for commune in office.communes:
                    self._by_commune[partner_id, kind, commune] = office_id
                if office.code_pattern is not None:
                    self._codes[partner_id, office_id] = re.compile(office.code_pattern)

    @property
    def partners(self) -> tuple[str, ...]:
        """Every partner id, in file order."""
        return tuple(self._partners)

    def offices(self, partner: str) -> tuple[str, ...]:
        """The offices listed for one partner (empty for an unknown partner).

        A kind known by codes is no office itself, and its members are not listed: see
        `entries`.
        """
        entry = self._partners.get(partner)
        if entry is None:
            return ()
        return tuple(o for o in entry.offices if (partner, o) not in self._codes)

    def entries(self, partner: str) -> tuple[str, ...]:
        """The offices listed for one partner and its kinds of offices known by codes."""
        entry = self._partners.get(partner)
        return tuple(entry.offices) if entry else ()

    def coded_kinds(self, partner: str) -> tuple[str, ...]:
        """The kinds of `partner`'s offices known by a code (`etablissement`)."""
        return tuple(kind for p, kind in self._codes if p == partner)

    def has_office(self, partner: str, office: str) -> bool:
        """Whether `partner` has an office called `office` (listed, or a code of its kind)."""
        # A kind known by codes is in the file, but only its members are offices.
        return self._entry_of(partner, office) is not None and (partner, office) not in self._codes

    def knows(self, partner: str, name: str) -> bool:
        """Whether `partner/name` names an office, a kind of listed offices or of coded ones."""
        return (
            self.has_office(partner, name)
            or (partner, name) in self._codes
            or any(o.split(":", 1)[0] == name for o in self.offices(partner))
        )

    def pinned(self, partner: str, office: str, contract: str) -> PinnedBy | None:
        """The pin on `contract` that applies to an office (or a kind known by codes).

        The office's own pin (for `etablissement:0870015U`, its kind's), else its partner's.
        """
        entry = self._partners.get(partner)
        office_entry = self._entry_of(partner, office)
        if entry is None or office_entry is None:
            return None
        own = entry.offices[office_entry].consumes.get(contract)
        if own is not None:
            return PinnedBy(f"{partner}/{office_entry}", contract, own)
        shared = entry.consumes.get(contract)
        return PinnedBy(partner, contract, shared) if shared is not None else None

    def consumed_major(self, partner: str, contract: str, office: str | None = None) -> int | None:
        """The major of `contract` that `office` (else any office of `partner`) reads, if pinned."""
        if office is not None:
            pinned = self.pinned(partner, office, contract)
            return pinned.pin.major if pinned else None
        entry = self._partners.get(partner)
        shared = entry.consumes.get(contract) if entry else None
        return shared.major if shared else None

    def pins(self) -> list[PinnedBy]:
        """Every pin as written: each partner's, then its offices' own."""
        found = []
        for partner_id, partner in self._partners.items():
            found += [PinnedBy(partner_id, c, p) for c, p in partner.consumes.items()]
            for office_id, office in partner.offices.items():
                holder = f"{partner_id}/{office_id}"
                found += [PinnedBy(holder, c, p) for c, p in office.consumes.items()]
        return found

    def declared_versions(self) -> dict[str, dict[str, int]]:
        """Every declared major: `partner` or `partner/office` -> contract -> major."""
        declared: dict[str, dict[str, int]] = {}
        for pinned in self.pins():
            declared.setdefault(pinned.holder, {})[pinned.contract] = pinned.pin.major
        return declared

    def kind_of(self, partner: str, office: str) -> str:
        """The legal kind of an office (a member of a kind known by codes: its kind's).

        Raise `DirectoryError` for an office the directory does not have.
        """
        entry = self._partners.get(partner)
        office_entry = self._entry_of(partner, office)
        if entry is None or office_entry is None:
            raise DirectoryError(f"{partner}/{office} is not an office of the directory")
        kind = entry.offices[office_entry].legal_kind or entry.legal_kind
        if kind is None:  # refused when the file is read
            raise DirectoryError(f"{partner}/{office} has no legal kind")
        return kind

    def legal_kinds(self) -> dict[str, str]:
        """Every entry of the file (`partner/office`) and its legal kind, in file order."""
        return {
            f"{partner}/{office}": self.kind_of(partner, office)
            for partner in self._partners
            for office in self.entries(partner)
        }

    def routes_by_hand(self, partner: str) -> str | None:
        """The office of `partner` that dispatches by hand what none of its offices takes."""
        entry = self._partners.get(partner)
        return entry.routes_by_hand if entry else None

    def office_for_commune(self, partner: str, kind: str, commune: str) -> str | None:
        """The office of `kind` (e.g. `mdd`) at `partner` that serves `commune`, if any."""
        return self._by_commune.get((partner, kind, commune))

    def _entry_of(self, partner: str, office: str) -> str | None:
        """The directory entry that stands for `office`: its own, or its coded kind's."""
        entry = self._partners.get(partner)
        if entry is None:
            return None
        if office in entry.offices:
            return office
        kind, _, code = office.partition(":")
        pattern = self._codes.get((partner, kind))
        if pattern is None or not CODE_ID.match(code) or not pattern.fullmatch(code):
            return None
        return kind


def load_directory(path: Path) -> PartnerDirectory:
    """Read and check a directory file; raise `DirectoryError` with the reason when it is wrong."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise DirectoryError(f"cannot read the partner directory {path}: {error}") from error
    except yaml.YAMLError as error:
        raise DirectoryError(f"the partner directory {path} is not valid YAML: {error}") from error
    try:
        return PartnerDirectory(DirectoryFile.model_validate(raw), path)
    except ValidationError as error:
        raise DirectoryError(f"the partner directory {path} is inconsistent: {error}") from error
