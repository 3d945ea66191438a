from pathlib import Path

import pytest

from hub.catalogue.contracts import Catalogue
from hub.catalogue.versions import MigrationError, Step, chain, convert, load_steps, lost
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
