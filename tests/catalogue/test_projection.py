import pytest

from hub.catalogue.projection import Projection, Step, leaf_paths, parse_path

PAYLOAD = {
    "child": {"last_name": "Martin", "birth_date": "2015-03-14"},
    "guardians": [
        {"last_name": "Martin", "first_name": "Sophie", "phone": "0600000000"},
        {"last_name": "Durand", "first_name": "Karim"},
    ],
    "reference": "R-1",
}


def test_parse_path_reads_objects_and_arrays() -> None:
    assert parse_path("guardians[].last_name") == (Step("guardians", each=True), Step("last_name"))


@pytest.mark.parametrize("bad", ["", "a..b", "A", "a[]]", "a.b-c", "a b"])
def test_parse_path_refuses_malformed_paths(bad: str) -> None:
    with pytest.raises(ValueError, match="malformed field path"):
        parse_path(bad)


def test_a_named_object_is_kept_whole_and_the_rest_withheld() -> None:
    assert Projection(("child",)).apply(PAYLOAD) == {"child": PAYLOAD["child"]}


def test_array_items_keep_only_the_named_fields() -> None:
    projected = Projection(("guardians[].last_name",)).apply(PAYLOAD)
    assert projected == {"guardians": [{"last_name": "Martin"}, {"last_name": "Durand"}]}


def test_whole_value_wins_over_a_narrower_path_in_any_order() -> None:
    wide_first = Projection(("child", "child.last_name")).apply(PAYLOAD)
    narrow_first = Projection(("child.last_name", "child")).apply(PAYLOAD)
    assert wide_first == narrow_first == {"child": PAYLOAD["child"]}


def test_absent_fields_are_skipped_and_input_is_untouched() -> None:
    before = repr(PAYLOAD)
    assert Projection(("missing", "reference")).apply(PAYLOAD) == {"reference": "R-1"}
    assert repr(PAYLOAD) == before


def test_leaf_paths_name_every_field_in_projection_syntax() -> None:
    assert leaf_paths(PAYLOAD) == {
        "child.last_name",
        "child.birth_date",
        "guardians[].last_name",
        "guardians[].first_name",
        "guardians[].phone",
        "reference",
    }


@pytest.mark.parametrize(
    "paths",
    [("child",), ("guardians[].last_name", "reference"), ("guardians",), ("child.birth_date",)],
)
def test_split_agrees_with_what_apply_delivers(paths: tuple[str, ...]) -> None:
    projection = Projection(paths)
    leaves = frozenset(leaf_paths(PAYLOAD))
    sent, withheld = projection.split(leaves)
    assert set(sent) == leaf_paths(projection.apply(PAYLOAD))
    assert set(withheld) == leaves - set(sent)
    assert projection.split(leaves) == (sent, withheld)
