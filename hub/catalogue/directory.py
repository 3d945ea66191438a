"""The partner directory: which partners exist, their offices, and the communes each office serves.

The directory is configuration, loaded from a YAML file; the hub's code names no partner.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

PARTNER_ID = re.compile(r"^[a-z][a-z0-9-]{1,31}$")
OFFICE_ID = re.compile(r"^[a-z][a-z0-9-]{1,31}(:[a-z0-9][a-z0-9-]{0,63})?$")
COMMUNE = re.compile(r"^(?:[0-9]{2}|2A|2B)[0-9]{3}$")


class DirectoryError(ValueError):
    """The directory file is missing or does not describe a consistent set of partners."""


class OfficeEntry(BaseModel):
    """One office as written in the directory file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    communes: tuple[str, ...] = ()

    @field_validator("communes")
    @classmethod
    def _communes_are_insee_codes(cls, communes: tuple[str, ...]) -> tuple[str, ...]:
        bad = [code for code in communes if not COMMUNE.match(code)]
        if bad:
            raise ValueError(f"not INSEE commune codes: {', '.join(bad)}")
        return communes


class PartnerEntry(BaseModel):
    """One partner institution as written in the directory file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    offices: dict[str, OfficeEntry] = Field(min_length=1)
    consumes: dict[str, int] = Field(
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
        return offices

    @model_validator(mode="after")
    def _routes_by_hand_is_an_office(self) -> PartnerEntry:
        if self.routes_by_hand is not None and self.routes_by_hand not in self.offices:
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


class PartnerDirectory:
    """Partners, their offices and, per office kind, which office serves which commune."""

    def __init__(self, source: DirectoryFile) -> None:
        """Index a parsed directory file."""
        self.territory = source.territory
        self._partners = source.partners
        self._by_commune: dict[tuple[str, str, str], str] = {}
        for partner_id, partner in source.partners.items():
            for office_id, office in partner.offices.items():
                kind = office_id.split(":", 1)[0]
                for commune in office.communes:
                    self._by_commune[partner_id, kind, commune] = office_id

    @property
    def partners(self) -> tuple[str, ...]:
        """Every partner id, in file order."""
        return tuple(self._partners)

    def offices(self, partner: str) -> tuple[str, ...]:
        """The offices of one partner (empty for an unknown partner)."""
        entry = self._partners.get(partner)
        return tuple(entry.offices) if entry else ()

    def has_office(self, partner: str, office: str) -> bool:
        """Whether `partner` has an office called `office`."""
        entry = self._partners.get(partner)
        return entry is not None and office in entry.offices

    def consumed_major(self, partner: str, contract: str) -> int | None:
        """The major version of `contract` that `partner` declared it reads, if any."""
        entry = self._partners.get(partner)
        return entry.consumes.get(contract) if entry else None

    def declared_versions(self) -> dict[str, dict[str, int]]:
        """Every partner's declared versions (partner -> contract -> major)."""
        return {p: dict(e.consumes) for p, e in self._partners.items() if e.consumes}

    def routes_by_hand(self, partner: str) -> str | None:
        """The office of `partner` that dispatches by hand what none of its offices takes."""
        entry = self._partners.get(partner)
        return entry.routes_by_hand if entry else None

    def office_for_commune(self, partner: str, kind: str, commune: str) -> str | None:
        """The office of `kind` (e.g. `mdd`) at `partner` that serves `commune`, if any."""
        return self._by_commune.get((partner, kind, commune))


def load_directory(path: Path) -> PartnerDirectory:
    """Read and check a directory file; raise `DirectoryError` with the reason when it is wrong."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise DirectoryError(f"cannot read the partner directory {path}: {error}") from error
    except yaml.YAMLError as error:
        raise DirectoryError(f"the partner directory {path} is not valid YAML: {error}") from error
    try:
        return PartnerDirectory(DirectoryFile.model_validate(raw))
    except ValidationError as error:
        raise DirectoryError(f"the partner directory {path} is inconsistent: {error}") from error
