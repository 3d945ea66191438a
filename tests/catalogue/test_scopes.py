"""Scopes: each rule on its own, the declarations the catalogue refuses, the shipped scopes."""

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from hub.catalogue.checks import example_problems
from hub.catalogue.contracts import Catalogue, load_catalogue
from hub.catalogue.directory import PartnerDirectory
from hub.catalogue.docs import asyncapi, markdown
from hub.catalogue.meta import ContractError
from hub.catalogue.scopes import RULES, Scope, check_scopes, scope_reasons
from hub.wire.reasons import Reason, Refusal
from tests.commands import hub_command
from tests.conftest import CONTRACTS, FORMAL_NOTICE, example

LIMOGES = example(FORMAL_NOTICE, "limoges-no-known-school")
REFERRAL = "logement.saisine-impayes"
ORIENTATION = "logement.orientation"
OUTCOME = "absenteisme.issue-convocation"

AGE = Scope.model_validate(
    {
        "rule": "age",
        "birth_date": "child.birth_date",
        "date": "sent_on",
        "under": 16,
        "description": "minors under 16",
    }
)
ARREARS = Scope.model_validate(
    {
        "rule": "arrears",
        "debt": "debt_amount",
        "rent": "housing_costs.monthly_rent",
        "charges": "housing_costs.monthly_charges",
        "months": 2,
        "net_of": {
            "amount": "housing_benefit.monthly_amount",
            "when": {"field": "housing_benefit.paid_to", "in": ["landlord"]},
        },
        "description": "two months at least",
    }
)
CONSENT = Scope.model_validate(
    {
        "rule": "consent",
        "fields": ["consent.informed", "consent.agreed"],
        "majors": [2],
        "description": "free adhesion",
    }
)


def _with(payload: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(payload)
    *parents, last = path.split(".")
    node = changed
    for step in parents:
        node = node[step]
    node[last] = value
    return changed


def _found(scope: Scope, payload: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(r.code, r.pointer) for r in scope.reasons(payload)]


@pytest.mark.parametrize(
    ("birth_date", "sent_on", "refused"),
    [
        ("2010-11-03", "2026-11-02", False),  # 15, its birthday tomorrow
        ("2010-11-02", "2026-11-02", True),  # 16 that very day
        ("2003-05-01", "2026-11-02", True),
        ("2020-01-31", "2026-11-02", False),
        ("2010-02-28", "2026-02-27", False),
        ("2008-02-29", "2024-02-29", True),  # born a 29 February, 16 on the next one
        ("2008-02-29", "2024-02-28", False),
    ],
)
def test_the_age_is_counted_on_the_notices_date_in_whole_years(
    birth_date: str, sent_on: str, *, refused: bool
) -> None:
    payload = _with(_with(LIMOGES, "child.birth_date", birth_date), "sent_on", sent_on)
    assert _found(AGE, payload) == ([("scope.age", "/child/birth_date")] if refused else [])


def test_a_refusal_names_the_field_and_the_limit_never_the_value() -> None:
    payload = _with(_with(LIMOGES, "child.birth_date", "2009-07-14"), "sent_on", "2026-11-02")
    [reason] = AGE.reasons(payload)
    assert reason == Reason(
        "scope.age", "must be under 16 years old on `sent_on`", "/child/birth_date"
    )
    assert "2009" not in json.dumps(reason.as_json())


@pytest.mark.parametrize(
    ("debt", "paid_to", "refused"),
    [
        (1017.0, "tenant", False),  # exactly two months of 412.50 + 96.00
        (1016.99, "tenant", True),
        (443.0, "landlord", False),  # two months of 412.50 + 96.00 - 287.00 (tiers payant)
        (442.99, "landlord", True),
        (0, "landlord", True),
    ],
)
def test_arrears_are_two_months_of_rent_and_charges_net_of_a_benefit_paid_to_the_landlord(
    debt: float, paid_to: str, *, refused: bool
) -> None:
    referral = example(REFERRAL, "limoges-social-landlord")
    payload = _with(_with(referral, "debt_amount", debt), "housing_benefit.paid_to", paid_to)
    assert _found(ARREARS, payload) == ([("scope.arrears", "/debt_amount")] if refused else [])


def test_amounts_are_compared_as_decimal_euros_not_binary_floats() -> None:
    referral = example(REFERRAL, "limoges-social-landlord")
    costs = {"monthly_rent": 0.1, "monthly_charges": 0.2}
    payload = {**_with(referral, "housing_costs", costs), "debt_amount": 0.6}
    payload = _with(payload, "housing_benefit.paid_to", "tenant")
    assert 2 * (0.1 + 0.2) > 0.6  # what float arithmetic would refuse
    assert ARREARS.reasons(payload) == []


def test_consent_needs_each_field_true_and_names_each_one_that_is_not() -> None:
    payload = example(ORIENTATION, "saint-junien-to-mdd", major=2)
    assert CONSENT.reasons(payload) == []
    refused = _with(payload, "consent", {"informed": False, "agreed": False})
    assert _found(CONSENT, refused) == [
        ("scope.consent", "/consent/informed"),
        ("scope.consent", "/consent/agreed"),
    ]
    assert _found(CONSENT, _with(payload, "consent", {"informed": True})) == [
        ("scope.consent", "/consent/agreed")
    ]


def test_a_scope_holds_for_the_majors_it_names_only() -> None:
    v1 = example(ORIENTATION, "saint-junien-to-mdd")  # v1 cannot record the agreement
    assert scope_reasons((CONSENT,), 1, v1) == []
    assert [r.code for r in scope_reasons((CONSENT,), 2, v1)] == ["scope.consent"] * 2


def test_an_agreement_belongs_to_an_orientation_to_the_mdd() -> None:
    [scope] = load_catalogue(CONTRACTS).contracts[OUTCOME].meta.scopes
    agreed = example(OUTCOME, "couzeix-oriented-mdd")
    assert scope.reasons(agreed) == []
    elsewhere = _with(agreed, "orientation.service", "school_social_service")
    assert _found(scope, elsewhere) == [("scope.orientation", "/orientation/family_agreed")]
    without = _with(elsewhere, "orientation", {"service": "school_social_service"})
    assert scope.reasons(without) == []


def test_check_scopes_refuses_with_every_reason_and_passes_what_is_in_scope() -> None:
    check_scopes((AGE,), 1, LIMOGES)
    old = _with(LIMOGES, "child.birth_date", "2001-01-01")
    with pytest.raises(Refusal) as refused:
        check_scopes((AGE, AGE), 1, old)
    assert [r.code for r in refused.value.reasons] == ["scope.age", "scope.age"]


@pytest.mark.parametrize(
    ("declared", "fault"),
    [
        ({"rule": "majority"}, "names no rule the hub implements (a scope without its rule)"),
        ({"rule": "age", "birth_date": "child.birth_date"}, "date: Field required"),
        (
            {
                "rule": "age",
                "birth_date": "child.birth_date",
                "date": "sent_on",
                "under": 16,
                "x": 1,
            },
            "x: Extra inputs are not permitted",
        ),
        ({"rule": "consent", "fields": ["guardians[].agreed"]}, "a scope reads one value"),
    ],
)
def test_a_scope_the_hub_cannot_apply_says_why_and_is_never_applied_silently(
    declared: dict[str, Any], fault: str
) -> None:
    scope = Scope.model_validate({**declared, "description": "?"})
    assert scope.fault is not None
    assert fault in scope.fault
    with pytest.raises(LookupError):
        scope.reasons(LIMOGES)


def test_every_rule_says_which_fields_it_reads() -> None:
    assert set(RULES) == {"age", "arrears", "consent", "orientation", "unpaid"}
    assert AGE.fields == ("child.birth_date", "sent_on")
    assert ARREARS.fields == (
        "debt_amount",
        "housing_costs.monthly_rent",
        "housing_costs.monthly_charges",
        "housing_benefit.monthly_amount",
        "housing_benefit.paid_to",
    )


def test_the_shipped_contracts_declare_the_scopes_their_documents_state(
    catalogue: Catalogue,
) -> None:
    declared = {
        (contract.id, scope.code, scope.majors, scope.qualifies)
        for contract in catalogue.contracts.values()
        for scope in contract.meta.scopes
    }
    qualified = "arrears_qualification"
    assert declared == {
        (FORMAL_NOTICE, "scope.age", (), None),
        # The definition of arrears in force for the file: a qualification, never a refusal.
        (REFERRAL, "scope.arrears", (), qualified),
        (REFERRAL, "scope.unpaid", (), qualified),
        ("logement.saisine-departement", "scope.arrears", (), qualified),
        ("logement.saisine-departement", "scope.unpaid", (), qualified),
        (ORIENTATION, "scope.consent", (2,), None),
        ("logement.demande-diagnostic", "scope.consent", (2,), None),
        (OUTCOME, "scope.orientation", (), None),
    }
    dated = {
        (scope.code, str(scope.in_force.from_), str(scope.in_force.until))
        for scope in catalogue.contracts[REFERRAL].meta.scopes
        if scope.in_force
    }
    assert dated == {
        ("scope.arrears", "None", "2026-12-31"),
        ("scope.unpaid", "2027-01-01", "None"),
    }
    # isg.orientation records the adult's consent already, and its schema holds it true.
    consent = catalogue.contracts["isg.orientation"].latest.schema["properties"]["consent"]
    assert consent["properties"]["given"] == {"const": True}


@pytest.fixture
def contracts(tmp_path: Path) -> Path:
    shutil.copytree(CONTRACTS, tmp_path / "contracts")
    return tmp_path / "contracts"


def _plant(contracts: Path, contract: str, scope: str) -> Path:
    path = contracts / contract / "contract.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("scopes:\n", "scopes:\n" + scope, 1), encoding="utf-8")
    return path


def test_loading_refuses_a_scope_without_its_rule_naming_the_file_the_scope_and_the_fix(
    contracts: Path,
) -> None:
    path = _plant(
        contracts, FORMAL_NOTICE, "  - {rule: schooled, field: reason, description: planted}\n"
    )
    with pytest.raises(ContractError) as refused:
        load_catalogue(contracts)
    message = str(refused.value)
    assert str(path) in message
    assert "scope `schooled`" in message
    assert "a scope without its rule" in message
    assert "implement it in hub/catalogue/scopes.py" in message


def test_loading_refuses_a_scope_naming_a_field_the_schema_lacks(contracts: Path) -> None:
    _plant(
        contracts,
        REFERRAL,
        "  - {rule: consent, fields: [tenant_agreed], description: planted}\n",
    )
    with pytest.raises(ContractError, match="names tenant_agreed, which v1 of the schema"):
        load_catalogue(contracts)


def test_loading_refuses_a_scope_on_a_major_that_is_not_live(contracts: Path) -> None:
    path = contracts / ORIENTATION / "contract.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("majors: [2]", "majors: [3]"), encoding="utf-8")
    with pytest.raises(ContractError, match="holds for v3, which is not live"):
        load_catalogue(contracts)


def test_hub_contracts_check_refuses_a_planted_scope_without_its_rule(contracts: Path) -> None:
    _plant(contracts, OUTCOME, "  - {rule: free-adhesion, description: planted}\n")
    result = hub_command("contracts", "check", env={"HUB_CONTRACTS_PATH": str(contracts)})
    assert result.returncode == 1
    assert "contracts BROKEN" in result.stdout
    assert "absenteisme.issue-convocation/contract.yaml: scope `free-adhesion`" in result.stdout
    assert "a scope without its rule" in result.stdout


def _edit_example(contracts: Path, relative: str, old: str, new: str) -> None:
    path = contracts / relative
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_example_check_knows_scopes_invalid_examples_name(contracts: Path) -> None:
    assert example_problems(load_catalogue(contracts)) == []
    # A valid example out of scope, and an invalid one naming another code than its fault's.
    _edit_example(
        contracts,
        f"{FORMAL_NOTICE}/v1/examples/valid/saint-leonard-eve-of-sixteen.json",
        '"sent_on": "2026-11-01"',
        '"sent_on": "2026-11-02"',
    )
    _edit_example(
        contracts,
        f"{ORIENTATION}/v2/examples/invalid/household-did-not-agree.json",
        '"$comment": "scope.consent:',
        '"$comment": "scope.age:',
    )
    # A referral that fills the field the hub fills, labelled valid.
    _edit_example(
        contracts,
        f"{REFERRAL}/v2/examples/valid/small-recent-debt.json",
        '"debt_amount"',
        '"arrears_qualification": {"qualified": true, "text": "?"},\n  "debt_amount"',
    )
    problems = example_problems(load_catalogue(contracts))
    assert (
        f"{FORMAL_NOTICE} saint-leonard-eve-of-sixteen.json: labelled valid, fails scope.age"
        in (problems)
    )
    assert (
        f"{ORIENTATION} household-did-not-agree.json: $comment names scope.age, fails scope.consent"
        in problems
    )
    assert f"{REFERRAL} small-recent-debt.json: labelled valid, fails scope.qualification" in (
        problems
    )
    assert any(
        p.endswith(
            "scope `consent` has no invalid example: add one whose $comment names scope.consent"
        )
        and ORIENTATION in p
        for p in problems
    )


def test_the_generated_catalogue_shows_each_scope_and_its_code_where_it_holds(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    text = markdown(catalogue, directory)
    for contract in catalogue.contracts.values():
        section = text.split(f"## `{contract.id}`", 1)[1].split("\n## ", 1)[0]
        for scope in contract.meta.scopes:
            does = (
                f"qualifies `{scope.qualifies}`"
                if scope.qualifies
                else f"refused as `{scope.code}`"
            )
            assert f"- Scope `{scope.rule}` ({does}" in section
    assert "`orientation.family_agreed` in true" in text
    messages = yaml.safe_load(asyncapi(catalogue, directory))["components"]["messages"]
    assert "scope.consent" in messages[f"{ORIENTATION}.v2"]["description"]
    assert "scope.consent" not in messages[f"{ORIENTATION}.v1"]["description"]  # not judged
    assert "scope.age" in messages[f"{FORMAL_NOTICE}.v1"]["description"]
    # A qualifying scope refuses nothing, and acts on the majors that have its field only.
    referral = messages[f"{REFERRAL}.v2"]["description"]
    assert "scope.qualification" in referral
    assert "scope.arrears" not in referral
    assert "arrears_qualification" not in messages[f"{REFERRAL}.v1"].get("description", "")
