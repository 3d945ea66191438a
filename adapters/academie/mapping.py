"""The DSDEN's exports as contract payloads (pure functions, no I/O).

Exports come as CSV, the way académie tools write them (`;` separators, French column names,
dates as dd/mm/yyyy, UTF-8 or Windows-1252: formal notices, absenteeism warnings), or as JSON
already shaped as contract payloads (any contract the DSDEN sends).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from adapters.sdk import Exported, ExportError, decode

FORMAL_NOTICE = "instruction.mise-en-demeure"
WARNING = "absenteisme.avertissement"
HALF_DAYS = "Demi-journées non justifiées"
DATE = re.compile(r"^\d{2}/\d{2}/\d{4}$")
REASONS = {
    "aucun établissement connu": "no_known_school",
    "instruction en famille non déclarée": "home_education_not_declared",
    "instruction en famille refusée": "home_education_refused",
    "radiation des effectifs": "removed_from_school_roll",
}
CLASS_LEVELS = {
    "ps": "petite_section",
    "ms": "moyenne_section",
    "gs": "grande_section",
    "cp": "cp",
    "ce1": "ce1",
    "ce2": "ce2",
    "cm1": "cm1",
    "cm2": "cm2",
    "6e": "sixieme",
    "5e": "cinquieme",
    "4e": "quatrieme",
    "3e": "troisieme",
    "2nde": "seconde",
    "1re": "premiere",
    "tle": "terminale",
    "cap 1": "cap_1",
    "cap 2": "cap_2",
    "autre": "other",
}
MEASURES = {
    "famille contactée": "family_contacted",
    "entretien avec le chef d'établissement": "family_meeting_with_school_head",
    "équipe éducative": "educational_team_meeting",
    "référent absentéisme désigné": "attendance_referent_appointed",
    "assistant de service social saisi": "school_social_worker_involved",
    "accompagnement personnalisé": "personalised_support",
    "médiation scolaire": "school_mediation",
}
RELATIONSHIPS = {"mère": "mother", "père": "father", "tuteur": "legal_guardian", "autre": "other"}
REQUIRED_COLUMNS = (
    "Référence DASEN",
    "Date d'envoi",
    "Motif",
    "Nom élève",
    "Prénoms élève",
    "Date de naissance",
    "Nom responsable 1",
    "Prénom responsable 1",
    "Lien responsable 1",
    "Adresse",
    "Code postal",
    "Commune",
    "Code INSEE",
)
WARNING_COLUMNS = (
    "Référence DASEN",
    "Date d'envoi",
    "UAI établissement",
    "Niveau",
    "Nom élève",
    "Prénoms élève",
    "Date de naissance",
    "Nom responsable 1",
    "Prénom responsable 1",
    "Lien responsable 1",
    "Adresse",
    "Code postal",
    "Commune",
    "Code INSEE",
    HALF_DAYS,
    "Période du",
    "Période au",
)


def academie_csv(raw: bytes) -> list[Exported]:
    """A DSDEN CSV export, told by its columns: formal notices or absenteeism warnings."""
    try:
        header = next(csv.reader(io.StringIO(decode(raw)), delimiter=";"), [])
        if HALF_DAYS in header:
            return warnings_csv(raw)
        if "Motif" in header:
            return formal_notices_csv(raw)
    except csv.Error:  # a stray carriage return, a quote left open...: said, never quoted
        raise ExportError(
            ["the export is not readable as CSV (a line break or a quote inside a cell?)"]
        ) from None
    return _refuse_unknown_csv()


def formal_notices_csv(raw: bytes) -> list[Exported]:
    """The formal notices of a CSV export; every fault of every row, or the rows."""
    return _rows(raw, FORMAL_NOTICE, REQUIRED_COLUMNS, _formal_notice)


def warnings_csv(raw: bytes) -> list[Exported]:
    """The absenteeism warnings of a CSV export (one pupil a line)."""
    return _rows(raw, WARNING, WARNING_COLUMNS, _warning)


def _refuse_unknown_csv() -> list[Exported]:
    expected = f"formal notices (with 'Motif') or absenteeism warnings (with '{HALF_DAYS}')"
    raise ExportError([f"unknown CSV export: expected the columns of {expected}"])


def _rows(
    raw: bytes,
    contract: str,
    columns: tuple[str, ...],
    payload: Callable[[dict[str, str]], dict[str, Any]],
) -> list[Exported]:
    reader = csv.DictReader(io.StringIO(decode(raw)), delimiter=";")
    missing = [c for c in columns if c not in (reader.fieldnames or [])]
    if missing:
        raise ExportError([f"missing columns: {', '.join(missing)}"])
    rows: list[Exported] = []
    problems: list[str] = []
    for number, line in enumerate(reader, start=2):  # line 1 holds the column names
        try:
            rows.append(Exported(number, contract, "dsden", payload(line)))
        except ExportError as error:
            problems += [f"line {number}: {p}" for p in error.problems]
    if problems:
        raise ExportError(problems)
    if not rows:
        raise ExportError(["the export holds no line"])
    return rows


def _formal_notice(line: dict[str, str]) -> dict[str, Any]:
    value = _cells(line)
    problems: list[str] = []
    payload: dict[str, Any] = {
        "dasen_reference": value["Référence DASEN"],
        "sent_on": _date(value, "Date d'envoi", problems),
        "reason": _choice(value, "Motif", REASONS, problems),
        "child": _child(value, problems),
        "guardians": _guardians(value, problems),
        "address": _address(value),
    }
    if value.get("Date de notification"):
        payload["notified_on"] = _date(value, "Date de notification", problems)
    if value.get("UAI dernier établissement"):
        payload["last_known_school_uai"] = value["UAI dernier établissement"]
    if problems:
        raise ExportError(problems)
    return payload


def _warning(line: dict[str, str]) -> dict[str, Any]:
    value = _cells(line)
    problems: list[str] = []
    payload: dict[str, Any] = {
        "dasen_reference": value["Référence DASEN"],
        "sent_on": _date(value, "Date d'envoi", problems),
        "pupil": _child(value, problems),
        "school_uai": value["UAI établissement"],
        "class_level": _choice(value, "Niveau", CLASS_LEVELS, problems),
        "guardians": _guardians(value, problems),
        "address": _address(value),
        "unjustified_half_days": _count(value, HALF_DAYS, problems),
        "period": {
            "from": _date(value, "Période du", problems),
            "to": _date(value, "Période au", problems),
        },
    }
    if value.get("Mesures prises"):
        payload["measures_taken"] = [
            _choice({"Mesures prises": m.strip()}, "Mesures prises", MEASURES, problems)
            for m in value["Mesures prises"].split(",")
        ]
    if problems:
        raise ExportError(problems)
    return payload


def _cells(line: dict[str, str]) -> dict[str, str]:
    return {k: (v or "").strip() for k, v in line.items() if k}


def _child(value: dict[str, str], problems: list[str]) -> dict[str, Any]:
    child = {
        "last_name": value["Nom élève"],
        "first_names": value["Prénoms élève"],
        "birth_date": _date(value, "Date de naissance", problems),
    }
    if value.get("Sexe"):
        child["sex"] = value["Sexe"]
    return child


def _guardians(value: dict[str, str], problems: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "last_name": value[f"Nom responsable {n}"],
            "first_name": value.get(f"Prénom responsable {n}", ""),
            "relationship": _choice(value, f"Lien responsable {n}", RELATIONSHIPS, problems),
        }
        for n in (1, 2)
        if value.get(f"Nom responsable {n}")
    ]


def _address(value: dict[str, str]) -> dict[str, Any]:
    address = {
        "line1": value["Adresse"],
        "postcode": value["Code postal"],
        "commune_name": value["Commune"],
        "commune_insee": value["Code INSEE"],
    }
    if value.get("Complément adresse"):
        address["line2"] = value["Complément adresse"]
    return address


def _count(value: dict[str, str], column: str, problems: list[str]) -> int:
    text = value.get(column, "")
    if text.isascii() and text.isdigit():  # "²" is a digit to Python, not to int()
        return int(text)
    problems.append(f"column '{column}' is not a whole number")
    return 0


def _date(value: dict[str, str], column: str, problems: list[str]) -> str:
    text = value.get(column, "")
    if DATE.match(text):
        try:
            return datetime.strptime(text, "%d/%m/%Y").date().isoformat()  # noqa: DTZ007 - a date
        except ValueError:
            pass
    problems.append(f"column '{column}' is not a date dd/mm/yyyy")
    return ""


def _choice(value: dict[str, str], column: str, known: dict[str, str], problems: list[str]) -> str:
    found = known.get(value.get(column, "").lower())
    if found is None:
        problems.append(f"column '{column}' must be one of: {', '.join(known)}")
        return ""
    return found
