"""Deadlines in the catalogue, checked; the periods a département's agreements set, applied."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from hub.catalogue.agreements import AgePeriod
from hub.catalogue.checks import consistency
from hub.catalogue.contracts import Catalogue, load_catalogue
from hub.catalogue.deadlines import agreed, agreement_problems, deadline_line, deadline_problems
from hub.catalogue.directory import DirectoryError, PartnerDirectory, load_directory
from hub.catalogue.meta import ContractError, Deadline
from tests.commands import hub_command
from tests.conftest import DIRECTORY, FORMAL_NOTICE, edit

IP = "ip.transmission"


def _agree(root: Path, agreements: str) -> PartnerDirectory:
    with (root / "directory.yaml").open("a", encoding="utf-8") as file:
        file.write(f"agreements:\n{agreements}")
    return load_directory(root / "directory.yaml")


def _deadlines(catalogue: Catalogue, contract: str) -> tuple[Deadline, ...]:
    return catalogue.contracts[contract].meta.deadlines


def _check(root: Path) -> subprocess.CompletedProcess[str]:
    """`hub contracts check` as an operator runs it, on this copy (files named from there)."""
    return hub_command("contracts", "check", root=root)


def test_the_shipped_deadlines_pass(catalogue: Catalogue, directory: PartnerDirectory) -> None:
    assert deadline_problems(catalogue, directory) == []


def test_every_deadline_says_whether_the_law_or_an_agreement_sets_it(catalogue: Catalogue) -> None:
    deadlines = {(c.id, d.name): d for c in catalogue.contracts.values() for d in c.meta.deadlines}
    laws = {key for key, d in deadlines.items() if d.basis == "law"}
    assert laws == {
        (FORMAL_NOTICE, "enrolment"),
        (IP, "feedback"),
        (IP, "evaluation"),
        ("logement.demande-diagnostic", "hearing"),
        ("logement.decision-payeur", "plan_check"),
    }
    assert all(deadlines[key].article for key in laws)
    assert deadlines[IP, "evaluation"].article == "CASF, art. D226-2-4"
    # The sender's feedback rests on L226-5 as the 2022 law amended it, not on the evaluation's.
    feedback = deadlines[IP, "feedback"].article or ""
    assert "L226-5" in feedback
    assert "2022-140" in feedback
    assert "D226-2-4" not in feedback
    urgent = deadlines[IP, "urgent_receipt"]
    assert (urgent.basis, urgent.period, urgent.closed_by, urgent.closed_from) == (
        "agreement",
        "PT24H",
        ("hub.receipt",),
        ("departement/crip", "departement/crip-astreinte"),  # both receive it at once
    )
    assert urgent.alert == ("departement/crip-astreinte", "sender")
    assert deadlines["isg.orientation", "urgent_receipt"].period == "PT72H"
    # Six weeks are the tenant's time to pay after a commandement: a diagnosis anchored on
    # them is the partners' agreement, which a département may set otherwise.
    commandement = deadlines["logement.demande-diagnostic", "commandement"]
    assert (commandement.basis, commandement.period) == ("agreement", "P6W")
    plan = deadlines["logement.decision-payeur", "plan_check"]
    assert (plan.period, plan.article) == (
        "P6M",
        "Code de la construction et de l'habitation, art. R824-19",
    )
    assert plan.in_force is not None
    assert str(plan.in_force.until) == "2026-12-31"


def test_a_deadline_unit_the_hub_cannot_read_stops_the_check(copy: Path) -> None:
    edit(copy / "contracts" / FORMAL_NOTICE / "contract.yaml", "period: P15D", "period: P2W3X")
    with pytest.raises(ContractError, match="the unit 'X' cannot be read"):
        load_catalogue(copy / "contracts")
    checked = _check(copy)
    assert checked.returncode == 1
    assert "contracts BROKEN" in checked.stdout
    assert "P2W3X" in checked.stdout


def test_an_agreement_naming_no_deadline_stops_the_check(copy: Path) -> None:
    directory = _agree(copy, f"  {IP}: {{urgent_receit: PT12H}}\n")
    [problem] = agreement_problems(load_catalogue(copy / "contracts"), directory)
    assert problem == (
        f"{copy / 'directory.yaml'}: agreements: {IP} has no deadline urgent_receit (its "
        "deadlines: feedback, evaluation, urgent_receipt)"
    )
    checked = _check(copy)
    assert checked.returncode == 1
    assert "has no deadline urgent_receit" in checked.stdout


def test_a_law_s_period_is_shortened_by_agreement_never_lengthened(copy: Path) -> None:
    directory = _agree(
        copy,
        f"  {IP}: {{evaluation: P2M, feedback: P1M}}\n  {FORMAL_NOTICE}: {{enrolment: P10D}}\n",
    )
    catalogue = load_catalogue(copy / "contracts")
    assert agreement_problems(catalogue, directory) == []
    deadlines = {
        (c, d.name): d.period for c in (IP, FORMAL_NOTICE) for d in _deadlines(catalogue, c)
    }
    assert {
        (c, d.name): d.period
        for c in (IP, FORMAL_NOTICE)
        for d in _deadlines(agreed(catalogue, directory), c)
    } == deadlines | {
        (IP, "evaluation"): "P2M",
        (IP, "feedback"): "P1M",
        (FORMAL_NOTICE, "enrolment"): "P10D",
    }


def test_an_agreement_lengthening_a_law_s_period_is_refused_naming_both(copy: Path) -> None:
    directory = _agree(copy, f"  {IP}: {{evaluation: P4M, feedback: P90D}}\n")
    catalogue = load_catalogue(copy / "contracts")
    where = f"{copy / 'directory.yaml'}: agreements: {IP}"
    assert agreement_problems(catalogue, directory) == [
        (
            f"{where} evaluation: the agreed period P4M ends later than the law's P3M (CASF, art. "
            "D226-2-4) on some start days (2028-01-01, for one): a law's period is a maximum, "
            "which an agreement may only shorten"
        ),
        # Three months are 89 days from 31 January: 90 days are a day too many.
        (
            f"{where} feedback: the agreed period P90D ends later than the law's P3M (CASF, art. "
            "L226-5 (rédaction issue de la loi n° 2022-140 du 7 février 2022)) on some start "
            "days (2029-01-31, for one): a law's period is a maximum, which an agreement may only "
            "shorten"
        ),
    ]
    # The hub could not start on it; were `agreed` called anyway, the law's periods stand.
    periods = {d.name: d.period for d in _deadlines(agreed(catalogue, directory), IP)}
    assert (periods["evaluation"], periods["feedback"]) == ("P3M", "P3M")


def test_a_period_by_age_obeys_the_law_and_needs_the_deadline_to_name_an_age(copy: Path) -> None:
    directory = _agree(
        copy,
        f"  {IP}:\n"
        "    evaluation:\n"
        "      {period: P2M, by_age: [{under: 2, period: P1M}, {under: 6, period: P4M}]}\n"
        "    urgent_receipt: {by_age: [{under: 2, period: PT6H}]}\n",
    )
    catalogue = load_catalogue(copy / "contracts")
    where = f"{copy / 'directory.yaml'}: agreements: {IP}"
    contract = copy / "contracts" / IP / "contract.yaml"
    assert agreement_problems(catalogue, directory) == [
        (
            f"{where} evaluation: the agreed period P4M (under 6) ends later than the law's P3M "
            "(CASF, art. D226-2-4) on some start days (2028-01-01, for one): a law's period is a "
            "maximum, which an agreement may only shorten"
        ),
        (
            f"{where} urgent_receipt: `by_age` gives periods by age, and the deadline names no "
            f"birth date to take an age from (no `age:` in {contract}): give a plain period"
        ),
    ]
    [evaluation] = [d for d in _deadlines(agreed(catalogue, directory), IP) if d.by_age]
    assert evaluation.name == "evaluation"
    assert (evaluation.period, evaluation.by_age) == ("P2M", (AgePeriod(under=2, period="P1M"),))


def test_a_notice_s_own_date_and_an_unknown_contract_have_nothing_to_set(copy: Path) -> None:
    directory = _agree(
        copy,
        "  logement.demande-avis: {answer: P1M}\n  nothing.here: {any: P1D}\n",
    )
    where = f"{copy / 'directory.yaml'}: agreements"
    assert consistency(load_catalogue(copy / "contracts"), directory) == [
        (
            f"{where}: logement.demande-avis answer is due on a date its notice carries: it has no "
            "period to set"
        ),
        f"{where}: nothing.here is no contract of the catalogue",
    ]


def test_the_check_accepts_a_shorter_evaluation_and_refuses_a_longer_one(copy: Path) -> None:
    shipped = (copy / "directory.yaml").read_text(encoding="utf-8")
    _agree(copy, f"  {IP}:\n    evaluation: {{period: P2M, by_age: [{{under: 2, period: P1M}}]}}\n")
    accepted = _check(copy)
    assert accepted.returncode == 0, accepted.stdout
    assert accepted.stdout.startswith("contracts ok: ")
    (copy / "directory.yaml").write_text(shipped, encoding="utf-8")
    _agree(copy, f"  {IP}: {{evaluation: P90D}}\n")
    refused = _check(copy)
    assert refused.returncode == 1
    assert refused.stdout.splitlines() == [
        (
            f"contracts: directory.yaml: agreements: {IP} evaluation: the agreed period "
            "P90D ends later than the law's P3M (CASF, art. D226-2-4) on some start days "
            "(2029-01-31, for one): a law's period is a maximum, which an agreement may only "
            "shorten"
        ),
        "contracts BROKEN: 1 faults",
    ]


def test_periods_by_age_are_the_departement_s_not_a_contract_s(copy: Path) -> None:
    path = copy / "contracts" / IP / "contract.yaml"
    edit(path, "    age: child.birth_date\n", "    by_age: [{under: 2, period: P1M}]\n")
    with pytest.raises(ContractError, match="periods by age are a département's: write them"):
        load_catalogue(copy / "contracts")


def test_an_age_read_from_a_field_no_schema_defines_is_refused(copy: Path) -> None:
    edit(copy / "contracts" / IP / "contract.yaml", "age: child.birth_date", "age: child.born_on")
    problems = deadline_problems(
        load_catalogue(copy / "contracts"), load_directory(copy / "directory.yaml")
    )
    contract = copy / "contracts" / IP / "contract.yaml"
    assert problems == [
        (
            f"{contract}: deadline evaluation: `age` names child.born_on, which no version of the "
            "schema defines"
        )
    ]


def test_an_unreadable_agreed_period_is_refused_with_the_directory(copy: Path) -> None:
    with pytest.raises(DirectoryError, match=r"ip\.transmission urgent_receipt: .*'X'"):
        _agree(copy, f"  {IP}: {{urgent_receipt: P2W3X}}\n")


@pytest.mark.parametrize(
    ("agreement", "fault"),
    [
        ("{by_age: [{under: 0, period: P1M}]}", "by_age 1, under: Input should be greater"),
        ("{by_age: [{under: 2, period: P1X}]}", "by_age 1, period: 'P1X': the unit 'X'"),
        (
            "{by_age: [{under: 2, perod: P1M}]}",
            (
                "by_age 1, period: Field required; by_age 1, perod: not a key it has: write "
                "`under` and `period`"
            ),
        ),
        ("{perod: P1M}", "perod: not a key it has: write `period`, `by_age` or both"),
        ("{}", "give a `period`, a `by_age` list, or both"),
    ],
)
def test_an_agreement_the_hub_cannot_read_is_refused_saying_where(
    copy: Path, agreement: str, fault: str
) -> None:
    with pytest.raises(DirectoryError, match=f"agreements: {IP} evaluation: {re.escape(fault)}"):
        _agree(copy, f"  {IP}: {{evaluation: {agreement}}}\n")


def test_an_agreed_period_replaces_the_agreement_s_own_and_nothing_else(copy: Path) -> None:
    directory = _agree(copy, f"  {IP}: {{urgent_receipt: PT12H}}\n")
    catalogue = load_catalogue(copy / "contracts")
    assert agreement_problems(catalogue, directory) == []
    periods = {d.name: d.period for d in agreed(catalogue, directory).contracts[IP].meta.deadlines}
    assert periods == {"feedback": "P3M", "evaluation": "P3M", "urgent_receipt": "PT12H"}
    assert {d.name: d.period for d in catalogue.contracts[IP].meta.deadlines}[
        "urgent_receipt"
    ] == "PT24H"  # the catalogue itself is left as it is
    assert agreed(catalogue, load_directory(DIRECTORY)) is catalogue  # no agreements


def test_a_deadline_alerting_an_office_the_alert_contract_keeps_out_is_refused(
    copy: Path,
) -> None:
    edit(
        copy / "contracts" / FORMAL_NOTICE / "contract.yaml",
        "alert: [academie/dsden, departement/sdas]",
        "alert: [academie/dsden, departement/sdas, departement/crip]",
    )
    problems = deadline_problems(
        load_catalogue(copy / "contracts"), load_directory(copy / "directory.yaml")
    )
    [problem] = problems
    assert problem == (
        f"{FORMAL_NOTICE}: deadline enrolment alerts departement/crip, which hub.deadline-alert "
        f"does not let be told about {FORMAL_NOTICE}: add it to that consumer's `when`, or a "
        f"consumer `{{office: departement/crip, when: {{field: contract, in: [{FORMAL_NOTICE}]}}}}`"
    )


def test_a_deadline_naming_a_field_or_an_office_nobody_has_is_refused(copy: Path) -> None:
    deadline = "name: urgent_receipt\n    when:\n      field: urgency"
    edit(copy / "contracts" / IP / "contract.yaml", deadline, deadline.replace("cy", "ce"))
    edit(
        copy / "contracts" / IP / "contract.yaml",
        "closed_from: [departement/crip,",
        "closed_from: [departement/cellule,",
    )
    problems = deadline_problems(
        load_catalogue(copy / "contracts"), load_directory(copy / "directory.yaml")
    )
    assert len(problems) == 2
    assert "deadline urgent_receipt: `when` names urgence, which no version" in problems[0]
    assert problems[1] == (
        f"{IP}: deadline urgent_receipt is closed from departement/cellule, which is not in the "
        "directory"
    )


def test_the_catalogue_shows_each_deadline_s_basis_term_and_closing(catalogue: Catalogue) -> None:
    lines = {d.name: deadline_line(d) for d in catalogue.contracts[IP].meta.deadlines}
    assert lines["urgent_receipt"].startswith(
        "- Deadline `urgent_receipt` (partners' agreement: a département sets its own period, "
        "directory `agreements`): PT24H from the hub's acceptance, when `urgency` in "
        "serious_immediate_danger; closed by hub.receipt from departement/crip, "
        "departement/crip-astreinte; alerts departement/crip-astreinte, sender. "
    )
    assert lines["evaluation"].startswith(
        "- Deadline `evaluation` (law: CASF, art. D226-2-4; a maximum, which a département may "
        "shorten, never lengthen, in its directory `agreements`, also by age from "
        "`child.birth_date`): P3M from the hub's acceptance;"
    )
    assert lines["feedback"].startswith(
        "- Deadline `feedback` (law: CASF, art. L226-5 (rédaction issue de la loi n° 2022-140 du "
        "7 février 2022); a maximum, which a département may shorten, never lengthen, in its "
        "directory `agreements`): P3M from `sent_on`;"
    )
    review = catalogue.contracts["logement.decision-payeur"].meta.deadlines[0]
    assert deadline_line(review).startswith(
        "- Deadline `review` (partners' agreement: due on the notice's own date): from "
        "`decided_on` to the end of `review_on`; closed by logement.decision-payeur, or a later "
        "one in its case; alerts sender, ccapex/ccapex."
    )
    hearing = catalogue.contracts["logement.demande-diagnostic"].meta.deadlines[2]
    assert "from `sent_on` until `procedure.hearing_on` begins" in deadline_line(hearing)


def test_a_departement_sets_its_own_term_for_a_diagnosis_at_the_commandement(copy: Path) -> None:
    # The six weeks are the tenant's time to pay, not the law's deadline for the diagnosis.
    request = "logement.demande-diagnostic"
    directory = _agree(copy, f"  {request}: {{commandement: P4W}}\n")
    catalogue = load_catalogue(copy / "contracts")
    assert agreement_problems(catalogue, directory) == []
    periods = {
        d.name: d.period for d in agreed(catalogue, directory).contracts[request].meta.deadlines
    }
    assert periods["commandement"] == "P4W"
