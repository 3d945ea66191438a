"""The DSDEN's exports as contract payloads (pure functions, no I/O).

Exports come as CSV, the way académie tools write them (`;` separators, French column names,
dates as dd/mm/yyyy, UTF-8 or Windows-1252), or as JSON already shaped as contract payloads.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from typing import Any

from adapters.sdk.files import Exported, ExportError, decode

FORMAL_NOTICE = "instruction.mise-en-demeure"
DATE = re.compile(r"^\d{2}/\d{2}/\d{4}$")
REASONS = {
    "aucun établissement connu": "no_known_school",
    "instruction en famille non déclarée": "home_education_not_declared",
    "instruction en famille refusée": "home_education_refused",
    "radiation des effectifs": "removed_from_school_roll",
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


def formal_notices_csv(raw: bytes) -> list[Exported]:
    """The formal notices of a CSV export; every fault of every row, or the rows."""
    reader = csv.DictReader(io.StringIO(decode(raw)), delimiter=";")
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ExportError([f"missing columns: {', '.join(missing)}"])
    rows: list[Exported] = []
    problems: list[str] = []
    for number, line in enumerate(reader, start=2):  # line 1 holds the column names
        try:
            rows.append(Exported(number, FORMAL_NOTICE, "dsden", _formal_notice(line)))
        except ExportError as error:
            problems += [f"line {number}: {p}" for p in error.problems]
    if problems:
        raise ExportError(problems)
    if not rows:
        raise ExportError(["the export holds no line"])
    return rows


def _formal_notice(line: dict[str, str]) -> dict[str, Any]:
    value = {k: (v or "").strip() for k, v in line.items() if k}
    problems: list[str] = []
    payload: dict[str, Any] = {
        "dasen_reference": value["Référence DASEN"],
        "sent_on": _date(value, "Date d'envoi", problems),
        "reason": _choice(value, "Motif", REASONS, problems),
        "child": {
            "last_name": value["Nom élève"],
            "first_names": value["Prénoms élève"],
            "birth_date": _date(value, "Date de naissance", problems),
        },
        "guardians": [],
        "address": {
            "line1": value["Adresse"],
            "postcode": value["Code postal"],
            "commune_name": value["Commune"],
            "commune_insee": value["Code INSEE"],
        },
    }
    if value.get("Date de notification"):
        payload["notified_on"] = _date(value, "Date de notification", problems)
    if value.get("Sexe"):
        payload["child"]["sex"] = value["Sexe"]
    if value.get("Complément adresse"):
        payload["address"]["line2"] = value["Complément adresse"]
    if value.get("UAI dernier établissement"):
        payload["last_known_school_uai"] = value["UAI dernier établissement"]
    for n in (1, 2):
        if value.get(f"Nom responsable {n}"):
            payload["guardians"].append(
                {
                    "last_name": value[f"Nom responsable {n}"],
                    "first_name": value.get(f"Prénom responsable {n}", ""),
                    "relationship": _choice(
                        value, f"Lien responsable {n}", RELATIONSHIPS, problems
                    ),
                }
            )
    if problems:
        raise ExportError(problems)
    return payload


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
