"""A contract's schema walked by a field path, and the values a field can hold."""

from __future__ import annotations

import pytest

from hub.catalogue.contracts import Catalogue
from hub.catalogue.projection import parse_path
from hub.catalogue.schemas import held_values, schema_at, schema_has_path, value_as_held

DECISION = "logement.decision-payeur"


def _field(catalogue: Catalogue, contract: str, path: str) -> object:
    latest = catalogue.contracts[contract].latest
    return schema_at(latest.schema, parse_path(path), catalogue.registry)


def test_a_path_is_followed_through_refs_and_array_items(catalogue: Catalogue) -> None:
    latest = catalogue.contracts["instruction.mise-en-demeure"].latest
    assert schema_has_path(latest.schema, parse_path("child.birth_date"), catalogue.registry)
    assert schema_has_path(latest.schema, parse_path("guardians[].last_name"), catalogue.registry)
    assert not schema_has_path(latest.schema, parse_path("guardians[].phone"), catalogue.registry)
    assert not schema_has_path(latest.schema, parse_path("child.nir"), catalogue.registry)


def test_the_values_a_field_holds_are_its_enum_its_constant_or_a_booleans_two(
    catalogue: Catalogue,
) -> None:
    assert held_values(_field(catalogue, DECISION, "payer.organisation")) == ("caf", "msa")
    assert held_values(_field(catalogue, "logement.avis", "acting.fsl")) == (True, False)
    assert held_values({"const": "x"}) == ("x",)
    assert held_values(_field(catalogue, DECISION, "payer.allocataire_number")) is None
    assert held_values(None) is None


@pytest.mark.parametrize(
    ("contract", "path", "text", "held"),
    [
        ("logement.avis", "acting.fsl", "true", True),
        (DECISION, "payer.organisation", "msa", "msa"),
        ("logement.orientation", "address.commune_insee", "87085", "87085"),  # a code: a string
        ("logement.avis", "acting.fsl", "yes", "yes"),  # held by none: left as written
    ],
)
def test_a_value_written_as_text_is_read_as_its_field_holds_it(
    catalogue: Catalogue, contract: str, path: str, text: str, held: object
) -> None:
    read = value_as_held(_field(catalogue, contract, path), text)
    assert read == held
    assert type(read) is type(held)


def test_a_number_is_read_as_one_for_an_integer_field() -> None:
    assert value_as_held({"type": "integer"}, "12") == 12
    assert value_as_held({"type": "integer"}, "-3") == -3
    assert value_as_held({"type": "integer"}, "douze") == "douze"
    assert value_as_held({"enum": [1, 2]}, "2") == 2
