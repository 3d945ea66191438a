"""The schema walk over every leaf: the nearest declaration of an annotation, `$ref`s followed."""

from typing import Any

import pytest
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from hub.catalogue.meta import ContractError
from hub.catalogue.schemas import Declared, Placed, declarations, leaf_annotations

BASE = "https://partner-hub.example/contracts"
SHARED = f"{BASE}/_definitions/v1/schema.json"
NOTICE = f"{BASE}/toy/v1/schema.json"
DEFS = "../../_definitions/v1/schema.json#/$defs"
KEYWORD = "x-note"  # any annotation: the walk reads the keyword it is given

DEFINITIONS: dict[str, Any] = {
    "$id": SHARED,
    "$defs": {
        "name": {"type": "string"},
        "person": {
            "type": "object",
            "properties": {
                "last_name": {"$ref": "#/$defs/name"},
                "birth_date": {"type": "string", KEYWORD: "inner"},
            },
        },
    },
}


def _leaves(properties: dict[str, Any]) -> dict[str, Declared | None]:
    schema = {"$id": NOTICE, "type": "object", "properties": properties}
    registry: Registry[Any] = Registry().with_resources(
        [
            (SHARED, DRAFT202012.create_resource(DEFINITIONS)),
            (NOTICE, DRAFT202012.create_resource(schema)),
        ]
    )
    return leaf_annotations(schema, registry, KEYWORD)


def test_a_leaf_takes_its_own_declaration_else_the_nearest_above() -> None:
    leaves = _leaves(
        {
            "sent_on": {"type": "string", KEYWORD: "own"},
            "service": {
                "type": "object",
                KEYWORD: "above",
                "properties": {
                    "name": {"type": "string"},
                    "code": {"type": "string", KEYWORD: "nearer"},
                    "phone": {"type": "object", "properties": {"number": {"type": "string"}}},
                },
            },
            "bare": {"type": "integer"},
        }
    )
    assert leaves == {
        "sent_on": Declared("own", "sent_on"),
        "service.name": Declared("above", "service"),
        "service.code": Declared("nearer", "service.code"),
        "service.phone.number": Declared("above", "service"),
        "bare": None,
    }


def test_a_declaration_beside_a_ref_covers_the_definition_unless_a_leaf_inside_declares() -> None:
    leaves = _leaves({"child": {"$ref": f"{DEFS}/person", KEYWORD: "outer"}})
    assert leaves == {
        "child.last_name": Declared("outer", "child"),
        "child.birth_date": Declared("inner", "child.birth_date"),
    }


def test_arrays_of_objects_are_walked_and_arrays_of_scalars_are_leaves() -> None:
    leaves = _leaves(
        {
            "guardians": {"type": "array", KEYWORD: "people", "items": {"$ref": f"{DEFS}/person"}},
            "measures": {"type": "array", KEYWORD: "codes", "items": {"enum": ["a", "b"]}},
            "facts": {
                "type": "array",
                "items": {"type": "object", "properties": {"on": {"type": "string"}}},
            },
        }
    )
    assert leaves == {
        "guardians[].last_name": Declared("people", "guardians"),
        "guardians[].birth_date": Declared("inner", "guardians[].birth_date"),
        "measures": Declared("codes", "measures"),
        "facts[].on": None,
    }


def test_only_property_nodes_are_read() -> None:
    leaves = _leaves(
        {
            "facts": {
                "type": "array",
                "items": {
                    "type": "object",
                    KEYWORD: "on the items",
                    "properties": {"on": {"type": "string"}},
                },
            },
        }
    )
    assert leaves == {"facts[].on": None}


def test_declarations_say_which_places_the_walk_reads() -> None:
    schema = {
        "$id": NOTICE,
        KEYWORD: "root",
        "properties": {
            "a": {KEYWORD: "read", "items": {KEYWORD: "items", "properties": {"b": {KEYWORD: "x"}}}}
        },
        "$defs": {"d": {KEYWORD: "definition", "properties": {"e": {KEYWORD: "y"}}}},
        "if": {"properties": {"a": {KEYWORD: "condition"}}},
    }
    assert declarations(schema, KEYWORD) == [
        Placed("/", "root", read=False),
        Placed("/$defs/d", "definition", read=False),
        Placed("/$defs/d/properties/e", "y", read=True),
        Placed("/if/properties/a", "condition", read=False),
        Placed("/properties/a", "read", read=True),
        Placed("/properties/a/items", "items", read=False),
        Placed("/properties/a/items/properties/b", "x", read=True),
    ]


def test_a_schema_that_contains_itself_is_refused() -> None:
    looping = {"type": "object", "properties": {"next": {"$ref": "#/$defs/node"}}}
    schema = {
        "$id": NOTICE,
        "$defs": {"node": looping},
        "properties": {"head": {"$ref": "#/$defs/node"}},
    }
    registry: Registry[Any] = Registry().with_resource(NOTICE, DRAFT202012.create_resource(schema))
    with pytest.raises(ContractError, match=r"the schema of head\.next contains itself"):
        leaf_annotations(schema, registry, KEYWORD)
