import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from hub.catalogue.contracts import Catalogue
from hub.catalogue.versions import (
    MigrationError,
    Step,
    chain,
    convert,
    load_steps,
    lost,
    unconvertible,
)
from tests.conftest import example

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


def test_a_step_declares_as_lost_only_fields_it_removes(tmp_path: Path) -> None:
    path = tmp_path / "migrations.yaml"
    path.write_text("- {from: 2, to: 1, remove: [other_minors], lost: [other_minors, facts]}\n")
    with pytest.raises(MigrationError, match="lost names facts, which the step does not remove"):
        load_steps(path)


def test_the_losses_between_two_majors_are_those_of_the_steps_between() -> None:
    steps = (
        Step.model_validate({"from": 3, "to": 2, "remove": ["signature"]}),
        Step.model_validate(
            {"from": 2, "to": 1, "remove": ["other_minors"], "lost": ["other_minors"]}
        ),
        Step.model_validate({"from": 1, "to": 2, "add": {"other_minors": []}}),
        Step.model_validate({"from": 2, "to": 3, "add": {"signature": ""}}),
    )
    assert lost(3, 1, steps) == ("other_minors",)
    assert lost(3, 2, steps) == ()
    assert lost(1, 3, steps) == ()
    assert [(s.source, s.target) for s in chain(3, 1, steps)] == [(3, 2), (2, 1)]


def test_a_step_declared_impossible_is_never_taken_and_says_why(tmp_path: Path) -> None:
    path = tmp_path / "migrations.yaml"
    path.write_text(
        "- {from: 1, to: 2}\n"
        "- {from: 2, to: 1, impossible: v1 cannot say that steps are under way}\n"
    )
    steps = load_steps(path)
    assert convert({"outcome": "care"}, 1, 2, steps) == {"outcome": "care"}
    with pytest.raises(MigrationError, match="v2 cannot be converted to v1: v1 cannot say that"):
        convert({"outcome": "steps_under_way"}, 2, 1, steps)
    assert unconvertible(2, 1, steps) == (
        "v2 cannot be converted to v1: v1 cannot say that steps are under way"
    )
    assert unconvertible(1, 2, steps) is None
    assert unconvertible(1, 3, steps) == "no migration from v2 to v3"


def test_an_impossible_step_converts_nothing(tmp_path: Path) -> None:
    path = tmp_path / "migrations.yaml"
    path.write_text("- {from: 2, to: 1, remove: [steps], impossible: v1 has no steps}\n")
    with pytest.raises(MigrationError, match="is impossible: it says why, and neither removes"):
        load_steps(path)


SUPPORT = ["accept_social_support", "accept_educational_support"]
SPLIT = Step.model_validate(
    {"from": 1, "to": 2, "split": {"commitments": {"support_commitments": SUPPORT}}}
)


def test_a_split_moves_the_listed_values_to_the_target_array_in_their_order() -> None:
    v1 = {
        "held_on": "2026-03-26",
        "commitments": [
            "accept_educational_support",
            "ensure_regular_attendance",
            "accept_social_support",
            "justify_absences_promptly",
        ],
    }
    assert SPLIT.apply(v1) == {
        "held_on": "2026-03-26",
        "commitments": ["ensure_regular_attendance", "justify_absences_promptly"],
        "support_commitments": ["accept_educational_support", "accept_social_support"],
    }
    assert v1["commitments"][0] == "accept_educational_support"  # the input is left alone


def test_a_split_makes_no_target_when_nothing_moves_and_keeps_an_emptied_source() -> None:
    school_only = {"commitments": ["ensure_regular_attendance"]}
    assert SPLIT.apply(school_only) == school_only
    assert SPLIT.apply({"commitments": ["accept_social_support"]}) == {
        "commitments": [],
        "support_commitments": ["accept_social_support"],
    }
    assert SPLIT.apply({"held_on": "2026-03-26"}) == {"held_on": "2026-03-26"}
    assert SPLIT.apply({"commitments": "not an array"}) == {"commitments": "not an array"}


def test_a_split_walks_dotted_paths_and_adds_to_a_target_once() -> None:
    step = Step.model_validate(
        {"from": 1, "to": 2, "split": {"outcome.kinds": {"outcome.support": ["a", {"b": 1}]}}}
    )
    v1 = {"outcome": {"kinds": ["a", "c", {"b": 1}], "support": ["a"]}}
    assert step.apply(v1) == {"outcome": {"kinds": ["c"], "support": ["a", {"b": 1}]}}
    assert v1 == {"outcome": {"kinds": ["a", "c", {"b": 1}], "support": ["a"]}}


def test_a_split_chains_with_the_other_operations_of_its_step() -> None:
    steps = (
        SPLIT,
        Step.model_validate(
            {"from": 2, "to": 1, "remove": ["support_commitments"], "lost": ["support_commitments"]}
        ),
    )
    v1 = {"commitments": ["ensure_regular_attendance", "accept_social_support"]}
    v2 = convert(v1, 1, 2, steps)
    assert v2 == {
        "commitments": ["ensure_regular_attendance"],
        "support_commitments": ["accept_social_support"],
    }
    assert convert(v2, 2, 1, steps) == {"commitments": ["ensure_regular_attendance"]}
    assert lost(2, 1, steps) == ("support_commitments",)


@pytest.mark.parametrize(
    ("split", "fault"),
    [
        ({"commitments": {"commitments": ["a"]}}, "moves values of commitments to commitments"),
        ({"commitments": {"support": []}}, "moves no value of commitments to support: name some"),
        (
            {"commitments": {"support": ["a"], "other": ["b", "a"]}},
            "names 'a' of commitments twice, for both support and other",
        ),
        ({"commitments": {"support": ["a", "a"]}}, "names 'a' of commitments twice, for support"),
    ],
)
def test_a_split_moves_each_value_to_one_other_array(
    tmp_path: Path, split: dict[str, Any], fault: str
) -> None:
    path = tmp_path / "migrations.yaml"
    path.write_text(yaml.safe_dump([{"from": 1, "to": 2, "split": split}], sort_keys=False))
    with pytest.raises(MigrationError, match=re.escape(f"step 1->2: split {fault}")):
        load_steps(path)


# The shipped steps of ip.transmission: v3 records whether the Parquet was alerted.
IP = "ip.transmission"


def test_a_v2_ip_read_as_v3_says_the_parquet_alert_is_not_stated(catalogue: Catalogue) -> None:
    contract = catalogue.contracts[IP]
    urgent = example(IP, "school-social-worker-serious-danger", major=2)
    up = contract.convert(urgent, 2, 3)
    assert up == urgent | {"parquet_alert": {"alerted_by": "not_stated"}}
    assert contract.versions[3].accepts(up)  # not_stated needs no date, channel or court
    from_v1 = contract.convert(example(IP, "college-limoges-bruises"), 1, 3)
    assert (from_v1["other_minors"], from_v1["parquet_alert"]) == ([], {"alerted_by": "not_stated"})
    assert contract.versions[3].accepts(from_v1)


def test_a_v3_ip_read_as_v2_loses_its_parquet_alert_and_says_so(catalogue: Catalogue) -> None:
    contract = catalogue.contracts[IP]
    urgent = example(IP, "school-social-worker-serious-danger", major=3)
    assert urgent["parquet_alert"]["alerted_by"] == "sender"
    down = contract.convert(urgent, 3, 2)
    assert down == {k: v for k, v in urgent.items() if k != "parquet_alert"}
    assert contract.versions[2].accepts(down)
    assert lost(3, 2, contract.migrations) == ("parquet_alert",)
    assert lost(3, 1, contract.migrations) == ("parquet_alert", "other_minors")
    assert lost(2, 3, contract.migrations) == ()
