from pathlib import Path

import pytest

from adapters.academie.mapping import MEASURES, academie_csv, formal_notices_csv
from adapters.sdk.files import ExportError, notices_json
from hub.catalogue.contracts import Catalogue

EXPORT = Path(__file__).parent / "mises-en-demeure-2026-11.csv"
WARNINGS = Path(__file__).parent / "avertissements-absenteisme-2026-11.csv"


def test_a_dsden_csv_export_becomes_valid_formal_notices(catalogue: Catalogue) -> None:
    rows = formal_notices_csv(EXPORT.read_bytes())  # Windows-1252, as académie tools write it
    assert [(r.line, r.contract, r.office) for r in rows] == [
        (2, "instruction.mise-en-demeure", "dsden"),
        (3, "instruction.mise-en-demeure", "dsden"),
    ]
    first, second = (r.payload for r in rows)
    assert first["child"] == {
        "last_name": "Lefèvre",
        "first_names": "Maëlys Anne",
        "birth_date": "2014-04-12",
        "sex": "F",
    }
    assert first["address"]["line2"] == "Bât. B"
    assert (first["notified_on"], first["reason"]) == ("2026-11-06", "no_known_school")
    assert [g["relationship"] for g in second["guardians"]] == ["father", "mother"]
    assert "notified_on" not in second
    assert "last_known_school_uai" not in second
    version = catalogue.contracts["instruction.mise-en-demeure"].latest
    assert all(version.accepts(r.payload) for r in rows)


def test_every_fault_is_reported_with_its_line_and_column() -> None:
    text = EXPORT.read_bytes().decode("cp1252")
    text = text.replace("12/04/2014", "31/02/2014").replace("Père", "Parrain")
    with pytest.raises(ExportError) as error:
        formal_notices_csv(text.encode("utf-8"))
    assert error.value.problems == [
        "line 2: column 'Date de naissance' is not a date dd/mm/yyyy",
        "line 3: column 'Lien responsable 1' must be one of: mère, père, tuteur, autre",
    ]


def test_a_csv_without_the_expected_columns_is_refused_whole() -> None:
    with pytest.raises(ExportError, match="missing columns: Référence DASEN"):
        formal_notices_csv("Nom;Prénom\nMartin;Léa\n".encode())


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"{", "not JSON"),
        (b"[]", "expected an object"),
        (b'{"contract": "x", "notices": [{}]}', "contract and office must be given"),
        (b'{"contract": "x", "office": "y", "notices": []}', "non-empty list"),
    ],
)
def test_a_malformed_json_export_says_why(raw: bytes, problem: str) -> None:
    with pytest.raises(ExportError, match=problem):
        notices_json(raw)


def test_a_dsden_csv_of_absenteeism_warnings_becomes_valid_warnings(catalogue: Catalogue) -> None:
    rows = academie_csv(WARNINGS.read_bytes())  # told from formal notices by its columns
    assert [(r.line, r.contract) for r in rows] == [
        (2, "absenteisme.avertissement"),
        (3, "absenteisme.avertissement"),
    ]
    first, second = (r.payload for r in rows)
    assert (first["class_level"], second["class_level"]) == ("quatrieme", "ce2")
    assert first["unjustified_half_days"] == 6
    assert first["period"] == {"from": "2026-10-05", "to": "2026-10-31"}
    assert first["measures_taken"] == ["family_contacted", "attendance_referent_appointed"]
    assert first["pupil"]["first_names"] == "Hugo"
    assert "measures_taken" not in second
    assert [g["relationship"] for g in first["guardians"]] == ["mother", "father"]
    version = catalogue.contracts["absenteisme.avertissement"].latest
    assert all(version.accepts(r.payload) for r in rows)


def test_a_warning_line_with_faults_names_each_one() -> None:
    text = WARNINGS.read_bytes().decode("cp1252")
    text = text.replace(";6;", ";six;").replace("Famille contactée", "Lettre envoyée")
    with pytest.raises(ExportError) as error:
        academie_csv(text.encode("utf-8"))
    assert error.value.problems == [
        "line 2: column 'Demi-journées non justifiées' is not a whole number",
        "line 2: column 'Mesures prises' must be one of: " + ", ".join(MEASURES),
    ]


def test_a_csv_of_another_kind_is_refused_saying_which_kinds_are_known() -> None:
    with pytest.raises(ExportError, match="unknown CSV export: expected the columns of formal"):
        academie_csv("Nom;Prénom\nMartin;Léa\n".encode())
