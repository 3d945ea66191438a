from pathlib import Path

import pytest

from hub.catalogue.versions import MigrationError, Step, convert, load_steps

STEPS = (
    Step.model_validate({"from": 2, "to": 1, "remove": ["other_minors"]}),
    Step.model_validate({"from": 1, "to": 2, "add": {"other_minors": []}}),
    Step.model_validate({"from": 3, "to": 2, "remove": ["signature"]}),
)


def test_a_step_down_removes_and_a_step_up_adds_defaults() -> None:
    v2 = {"child": "c", "other_minors": [{"first_names": "A"}]}
    assert convert(v2, 2, 1, STEPS) == {"child": "c"}
    assert convert({"child": "c"}, 1, 2, STEPS) == {"child": "c", "other_minors": []}


def test_steps_chain_across_majors_and_leave_the_input_alone() -> None:
    v3 = {"child": "c", "other_minors": [], "signature": "s"}
    assert convert(v3, 3, 1, STEPS) == {"child": "c"}
    assert v3 == {"child": "c", "other_minors": [], "signature": "s"}


def test_added_defaults_are_fresh_copies() -> None:
    first = convert({}, 1, 2, STEPS)
    first["other_minors"].append("x")
    assert convert({}, 1, 2, STEPS) == {"other_minors": []}


def test_a_missing_step_is_a_clear_error() -> None:
    with pytest.raises(MigrationError, match="no migration from v2 to v3"):
        convert({}, 1, 3, STEPS)


def test_a_migrations_file_must_join_adjacent_majors(tmp_path: Path) -> None:
    path = tmp_path / "migrations.yaml"
    path.write_text("- {from: 3, to: 1, remove: [x]}\n")
    with pytest.raises(MigrationError, match="adjacent majors, not 3->1"):
        load_steps(path)
    assert load_steps(tmp_path / "absent.yaml") == ()
