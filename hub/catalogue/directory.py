"""The partner directory: which partners exist, their offices, and the communes each office serves.

The directory is configuration, loaded from a YAML file; the hub's code names no partner.

An office is listed by its id (`crip`, `mdd:87-limoges-nord`), or a whole kind of offices is
declared by the pattern of its members' codes (`etablissement` with the UAI's pattern: every
school head is the office `etablissement:<UAI>`, none listed one by one). A partner, or one of
its offices, may pin the major version of a contract it reads (`consumes`); the office's pin
wins over its partner's. `agreements` sets this département's periods for the contracts'
deadlines, by contract and deadline name (`hub.catalogue.agreements`): any period for one the
partners agree on, a shorter one only for one the law sets, whose period is a maximum, and
periods by age where the deadline names whose birth date counts.

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

import yaml
from pydantic import ValidationError

from hub.catalogue.directory_file import CODE_ID, DirectoryFile, Pin


class DirectoryError(ValueError):
    """The directory file is missing or does not describe a consistent set of partners."""


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
