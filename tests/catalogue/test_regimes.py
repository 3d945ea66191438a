"""Dated rules checked across the catalogue: each fault planted in a copy, refused by its file.

Each fault is planted by editing one or two `contract.yaml` of a copy of the shipped catalogue
(their keys read and written with yaml), which `consistency()`, hence the hub at start and
`hub contracts check`, then refuses in one sentence naming the file and the fix. The copy is
the working folder, so the files are named as an operator finds them (`contracts/<id>/...`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from hub.catalogue.checks import consistency
from hub.catalogue.contracts import Catalogue, load_catalogue
from hub.catalogue.directory import load_directory
from hub.catalogue.regimes import regime_problems
from tests.commands import hub_command

Meta = dict[str, Any]
TEXT = "Décret n° 2026-84 du 12 février 2026, art. 3"
REGULARISATION = "instruction.regularisation"
REPORT = "instruction.signalement-parquet"
IP = "ip.transmission"


def _dated(start: date | None = None, end: date | None = None, text: str = TEXT) -> Meta:
    """An `in_force` mapping as contract.yaml writes it."""
    dates: Meta = {"from": start} if start else {}
    dates |= {"until": end} if end else {}
    return dates | ({"text": text} if text else {})


def _plant(copy: Path, contract: str, change: Callable[[Meta], None]) -> None:
    """Read a contract.yaml of the copy, change its keys, write it back."""
    path = copy / "contracts" / contract / "contract.yaml"
    meta = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(meta)
    path.write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _problems(copy: Path) -> list[str]:
    """What the hub at start (and `hub contracts check`) finds across the copy."""
    catalogue = load_catalogue(copy / "contracts")
    return consistency(catalogue, load_directory(copy / "directory.yaml"))


@pytest.fixture
def here(copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The copy of the contracts and directory, as the working folder."""
    monkeypatch.chdir(copy)
    return copy


def _set(**keys: Any) -> Callable[[Meta], None]:
    return lambda meta: meta.update(keys)


def _pair(copy: Path, first: Meta | None, second: Meta | None) -> None:
    """The regularisation and the report to the Parquet put in one group, with these dates."""
    for contract, dates in ((REGULARISATION, first), (REPORT, second)):
        keys = {"regime": "instruction.suites"} | ({"in_force": dates} if dates else {})
        _plant(copy, contract, _set(**keys))


def test_the_shipped_catalogue_has_no_fault_of_its_dates(catalogue: Catalogue) -> None:
    assert regime_problems(catalogue) == []


def test_a_gap_between_two_contracts_of_a_group_names_the_missing_days(here: Path) -> None:
    _pair(here, _dated(end=date(2026, 12, 31)), _dated(start=date(2027, 1, 3)))
    expected = (
        f"contracts/{REPORT}/contract.yaml: {REPORT} begins on 2027-01-03 and {REGULARISATION} "
        f"(contracts/{REGULARISATION}/contract.yaml) ends on 2026-12-31, in `regime: "
        "instruction.suites`: no rule of the group holds from 2027-01-01 to 2027-01-02 (a gap): "
        f"set {REPORT}'s `in_force.from` to 2027-01-01, or {REGULARISATION}'s `in_force.until` "
        "to 2027-01-02"
    )
    assert _problems(here) == [expected]


def test_an_overlap_names_the_days_both_hold(here: Path) -> None:
    _pair(here, _dated(end=date(2026, 12, 31)), _dated(start=date(2026, 12, 20)))
    problems = _problems(here)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"contracts/{REPORT}/contract.yaml: {REPORT} begins on ")
    assert problems[0].endswith(
        "both hold from 2026-12-20 to 2026-12-31 (an overlap): set "
        f"{REPORT}'s `in_force.from` to 2027-01-01, or {REGULARISATION}'s `in_force.until` to "
        "2026-12-19"
    )


def test_a_group_that_follows_on_day_by_day_passes(here: Path) -> None:
    _pair(here, _dated(end=date(2026, 12, 31)), _dated(start=date(2027, 1, 1)))
    assert _problems(here) == []


def test_a_member_of_a_group_without_its_dates_is_refused(here: Path) -> None:
    _pair(here, _dated(end=date(2026, 12, 31)), None)
    expected = (
        f"contracts/{REPORT}/contract.yaml: {REPORT} is in `regime: instruction.suites` but has "
        "no `in_force`: say from and until which day it holds and the text that says so "
        "(`in_force: {from: ..., until: ..., text: ...}`), or remove its `regime`"
    )
    assert _problems(here) == [expected]


def test_a_group_of_one_is_refused(here: Path) -> None:
    _plant(here, REPORT, _set(regime="instruction.suites", in_force=_dated(end=date(2026, 12, 31))))
    expected = (
        f"contracts/{REPORT}/contract.yaml: {REPORT} is the only rule of `regime: "
        "instruction.suites`, which names rules that replace one another on dated days: give "
        "the same `regime` to the rule it replaces or that replaces it, or remove its `regime`"
    )
    assert _problems(here) == [expected]


def _two_ages(meta: Meta) -> None:
    """The age scope twice in one group, the second with no first day."""
    age = meta["scopes"][0]
    meta["scopes"] = [
        age | {"regime": "age-limit", "in_force": _dated(end=date(2026, 8, 31))},
        age | {"under": 18, "regime": "age-limit", "in_force": _dated(end=date(2027, 8, 31))},
    ]


def test_a_scope_of_a_group_after_the_first_needs_its_first_day(here: Path) -> None:
    _plant(here, "instruction.mise-en-demeure", _two_ages)
    expected = (
        "contracts/instruction.mise-en-demeure/contract.yaml: scope `age` (scopes entry 2) "
        "follows scope `age` (scopes entry 1) in `regime: age-limit` but has no "
        "`in_force.from`: only the first rule of a group may have none; set it to 2026-09-01, "
        "the day after scope `age` (scopes entry 1) ends"
    )
    assert _problems(here) == [expected]


def _two_outcomes(meta: Meta) -> None:
    """The convocation's deadline twice in one group, the second starting too early."""
    outcome = meta["deadlines"][0] | {"regime": "outcome-delay"}
    meta["deadlines"] = [
        outcome | {"in_force": _dated(end=date(2026, 12, 31))},
        outcome | {"period": "P2M", "in_force": _dated(start=date(2026, 12, 31))},
    ]


def test_deadlines_of_a_group_sharing_a_day_are_refused(here: Path) -> None:
    _plant(here, "absenteisme.convocation", _two_outcomes)
    expected = (
        "contracts/absenteisme.convocation/contract.yaml: deadline `outcome` (deadlines entry 2) "
        "begins on 2026-12-31 and deadline `outcome` (deadlines entry 1) ends on 2026-12-31, in "
        "`regime: outcome-delay`: both hold on 2026-12-31 (an overlap): set deadline `outcome` "
        "(deadlines entry 2)'s `in_force.from` to 2027-01-01, or deadline `outcome` (deadlines "
        "entry 1)'s `in_force.until` to 2026-12-30"
    )
    assert _problems(here) == [expected]


def _untexted_consumer(meta: Meta) -> None:
    meta["consumers"][0]["in_force"] = _dated(start=date(2027, 1, 1), text="")
    dated = {"office": "departement/crip", "in_force": _dated(start=date(2026, 1, 1))}
    meta["producers"] = [dated]  # a date with its text: nothing to say


def test_a_date_without_its_text_is_refused(here: Path) -> None:
    _plant(here, "ip.retour", _untexted_consumer)
    expected = (
        "contracts/ip.retour/contract.yaml: the `in_force` of the consumer answered (consumers "
        "entry 1) says from 2027-01-01 but names no text: add the text that sets its dates, "
        "`text: <the act>, art. <n>` (as `text: Décret n° 2026-84 du 12 février 2026, art. 3`)"
    )
    assert _problems(here) == [expected]


def _dated_outcome(meta: Meta) -> None:
    meta["in_force"] = _dated(date(2026, 9, 1), date(2027, 8, 31))
    meta["scopes"][0]["in_force"] = _dated(start=date(2026, 9, 1))  # never ends: outside
    meta["consumers"][0]["in_force"] = _dated(date(2026, 10, 1), date(2027, 6, 30))  # within


def test_a_scope_dated_outside_its_contract_is_refused(here: Path) -> None:
    _plant(here, "absenteisme.issue-convocation", _dated_outcome)
    expected = (
        "contracts/absenteisme.issue-convocation/contract.yaml: scope `orientation` (scopes "
        "entry 1) is in force from 2026-09-01, outside the days of absenteisme.issue-convocation "
        "(from 2026-09-01 until 2027-08-31): give it `from` and `until` within them, or no "
        "dates (it then holds whenever the contract does)"
    )
    assert _problems(here) == [expected]


def _retired_orientation(last: date) -> Callable[[Meta], None]:
    retired = {
        "announced_on": date(2026, 10, 1),
        "last_accepted_on": last,
        "replaced_by": [IP],
        "why": "planted",
    }
    return _set(in_force=_dated(end=date(2026, 12, 31)), retired=retired)


def test_a_retirement_before_the_flows_longest_deadline_has_run_is_refused(here: Path) -> None:
    _plant(here, "isg.orientation", _retired_orientation(date(2027, 1, 2)))
    expected = (
        "contracts/isg.orientation/contract.yaml: `retired.last_accepted_on` is 2027-01-02, "
        "before 2027-01-03: its rules end on 2026-12-31 (its `in_force.until`), and the flow's "
        "longest deadline, `urgent_receipt` of isg.orientation (PT72H), opened that day runs "
        "until then; a file opened on their last day would see its notices refused: set it to "
        "2027-01-03 or later"
    )
    assert _problems(here) == [expected]


def test_a_retirement_once_its_last_file_has_run_passes(here: Path) -> None:
    # PT72H counts as three whole days: the last accepted day may be the third after the end.
    _plant(here, "isg.orientation", _retired_orientation(date(2027, 1, 3)))
    assert _problems(here) == []


def _longer_answer(meta: Meta) -> None:
    """The IP's feedback given a deadline of its own, longer than the IP's."""
    meta["deadlines"] = [
        {
            "name": "appeal",
            "opens_on": "accepted",
            "period": "P6M",
            "basis": "agreement",
            "closed_by": ["hub.receipt"],
            "alert": ["departement/crip"],
            "description": "planted",
        }
    ]


def test_the_deadlines_of_the_answers_count_and_a_majors_own_end(here: Path) -> None:
    _plant(here, "ip.retour", _longer_answer)
    retired = {
        "announced_on": date(2026, 10, 1),
        "last_accepted_on": date(2027, 3, 31),  # the IP's own P3M, not its feedback's P6M
        "replaced_by": 2,
        "why": "planted",
    }
    _plant(
        here, IP, _set(majors={1: {"in_force": _dated(end=date(2026, 12, 31)), "retired": retired}})
    )
    assert (
        f"contracts/{IP}/contract.yaml: `majors.1.retired.last_accepted_on` is 2027-03-31, "
        "before 2027-06-30: its rules end on 2026-12-31 (`majors.1.in_force.until`), and the "
        "flow's longest deadline, `appeal` of ip.retour (P6M), opened that day runs until then; "
        "a file opened on their last day would see its notices refused: set it to 2027-06-30 or "
        "later"
    ) in _problems(here)


def _retire_major(
    replaced_by: int, *, also: dict[int, Meta] | None = None
) -> Callable[[Meta], None]:
    retired = {
        "announced_on": date(2026, 10, 1),
        "last_accepted_on": date(2027, 6, 30),
        "replaced_by": replaced_by,
        "why": "planted",
    }
    return _set(majors={1: {"retired": retired}} | (also or {}))


def test_majors_naming_a_version_that_is_not_live_are_refused(here: Path) -> None:
    _plant(here, IP, _retire_major(4, also={5: {}}))
    where = f"contracts/{IP}/contract.yaml"
    assert _problems(here) == [
        (
            f"{where}: `majors` names v5, which is not a live version (no folder "
            f"contracts/{IP}/v5; live: v1, v2, v3): correct the number, or remove its entry"
        ),
        (
            f"{where}: `majors.1.retired.replaced_by` names v4, which is not live (live: v1, v2, "
            "v3): name the live major its senders send instead"
        ),
    ]


def test_a_major_replaced_by_a_retired_one_is_refused(here: Path) -> None:
    _plant(here, IP, _retire_major(1))
    expected = (
        f"contracts/{IP}/contract.yaml: `majors.1.retired.replaced_by` names v1, which is the "
        "retired major itself: name a live major that is not retired"
    )
    assert _problems(here) == [expected]


def test_majors_retired_for_one_another_are_refused(here: Path) -> None:
    retired = {"announced_on": date(2026, 10, 1), "last_accepted_on": date(2027, 6, 30)}
    both = {
        1: {"retired": retired | {"replaced_by": 2, "why": "planted"}},
        2: {"retired": retired | {"replaced_by": 1, "why": "planted"}},
    }
    _plant(here, IP, _set(majors=both))
    where = f"contracts/{IP}/contract.yaml"
    assert _problems(here) == [
        f"{where}: `majors.{n}.retired.replaced_by` names v{other}, which is retired too "
        f"(`majors.{other}.retired`): name a live major that is not retired"
        for n, other in ((1, 2), (2, 1))
    ]


def test_the_deadlines_of_the_notice_it_answers_count(here: Path) -> None:
    retired = {
        "announced_on": date(2026, 10, 1),
        "last_accepted_on": date(2027, 1, 31),
        "replaced_by": [IP],
        "why": "planted",
    }
    _plant(here, "ip.retour", _set(in_force=_dated(end=date(2026, 12, 31)), retired=retired))
    expected = (
        "contracts/ip.retour/contract.yaml: `retired.last_accepted_on` is 2027-01-31, before "
        "2027-03-31: its rules end on 2026-12-31 (its `in_force.until`), and the flow's longest "
        f"deadline, `feedback` of {IP} (P3M), opened that day runs until then; a file opened on "
        "their last day would see its notices refused: set it to 2027-03-31 or later"
    )
    assert _problems(here) == [expected]


def test_hub_contracts_check_refuses_each_fault_with_its_file_and_fix(copy: Path) -> None:
    _pair(copy, _dated(end=date(2026, 12, 31)), _dated(start=date(2027, 1, 3)))
    _plant(copy, "ip.retour", _untexted_consumer)
    _plant(copy, "absenteisme.issue-convocation", _dated_outcome)
    _plant(copy, "isg.orientation", _retired_orientation(date(2027, 1, 2)))
    _plant(copy, IP, _retire_major(4))
    checked = hub_command("contracts", "check", root=copy)
    assert checked.returncode == 1
    faults = checked.stdout.splitlines()
    expected = {
        f"contracts/{REPORT}/contract.yaml": "(a gap): set ",
        "contracts/ip.retour/contract.yaml": "names no text: add the text that sets its dates",
        "contracts/absenteisme.issue-convocation/contract.yaml": "outside the days of ",
        "contracts/isg.orientation/contract.yaml": "set it to 2027-01-03 or later",
        f"contracts/{IP}/contract.yaml": "name the live major its senders send instead",
    }
    for where, fix in expected.items():
        assert any(f.startswith(f"contracts: {where}: ") and fix in f for f in faults), faults
    assert faults[-1] == f"contracts BROKEN: {len(expected)} faults"
