"""Entitlements: no office receives a category its legal kind may not, whatever its conditions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hub.catalogue.checks import consistency
from hub.catalogue.contracts import Catalogue, load_catalogue
from hub.catalogue.directory import PartnerDirectory, load_directory
from hub.catalogue.entitlements import (
    entitlement_problems,
    kind_problems,
    lines_for,
    reached_offices,
    undeclared_numbers,
)
from hub.catalogue.policy import POLICY_FILE
from tests.conftest import edit

IP = "ip.transmission"
LANDLORD = """  bailleur:
    name: Bailleur social
    kind: landlord
    offices:
      agence: {name: Agence de Limoges}
"""


def _with_landlord(copy: Path) -> None:
    """The directory with a landlord, whose offices may receive notices' references only."""
    directory = copy / "directory.yaml"
    directory.write_text(directory.read_text("utf-8") + LANDLORD, "utf-8")


def _consumer(copy: Path, contract: str, consumer: str) -> Path:
    where = copy / "contracts" / contract / "contract.yaml"
    edit(where, "\nconsumers:\n", f"\nconsumers:\n{consumer}")
    return where


def _categorise(copy: Path, contract: str, field: str, category: str) -> None:
    """Give a top-level field of a contract's v1 schema, in the copy, another `x-category`."""
    path = copy / "contracts" / contract / "v1" / "schema.json"
    schema = json.loads(path.read_text("utf-8"))
    schema["properties"][field]["x-category"] = category
    path.write_text(json.dumps(schema), "utf-8")


def _loaded(copy: Path) -> tuple[Catalogue, PartnerDirectory]:
    return load_catalogue(copy / "contracts"), load_directory(copy / "directory.yaml")


def test_the_shipped_catalogue_gives_each_office_only_what_its_kind_may_receive(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    assert kind_problems(catalogue, directory) == []
    assert entitlement_problems(catalogue, directory) == []
    assert undeclared_numbers(catalogue) == []
    assert consistency(catalogue, directory) == []


def test_a_landlord_made_an_unconditional_consumer_of_ips_is_refused(copy: Path) -> None:
    _with_landlord(copy)
    where = _consumer(copy, IP, "  - office: bailleur/agence\n    fields: [sent_on, child]\n")
    catalogue, directory = _loaded(copy)
    policy = copy / "contracts" / POLICY_FILE
    expected = (
        f"{where}: consumer bailleur/agence of {IP} would deliver child.birth_date, "
        "child.first_names, child.last_name, child.sex (child-identity) to bailleur/agence, of "
        f"the legal kind landlord, which no line of {policy} lets receive child-identity "
        "(ip-collection grants it to child-protection); its `when`, `route` or `shared_with` "
        "change nothing. Remove those fields from its `fields`, or, if the law lets landlord "
        f"receive child-identity, add that line to {policy} with its basis"
    )
    assert entitlement_problems(catalogue, directory) == [expected]
    # The date it sends alone is lawful: a line grants dates to every kind.
    assert expected in consistency(catalogue, directory)


def test_the_fsl_receiving_the_facts_of_an_ip_is_refused_on_any_condition(copy: Path) -> None:
    consumer = (
        "  - office: departement/fsl\n"
        "    when: {field: urgency, in: [serious_immediate_danger]}\n"
        "    fields: [facts]\n"
    )
    where = _consumer(copy, IP, consumer)
    catalogue, directory = _loaded(copy)
    [problem] = entitlement_problems(catalogue, directory)
    assert problem.startswith(
        f"{where}: consumer departement/fsl of {IP} would deliver facts[].description, "
        "facts[].observed_on (child-protection-facts) to departement/fsl, of the legal kind "
        "housing-fund, which no line of "
    )
    assert "(ip-collection grants it to child-protection)" in problem


def test_the_dsden_given_the_support_a_family_accepted_is_refused(copy: Path) -> None:
    # The académie hears the school commitments of a convocation's outcome, never the social
    # or educational support the family accepted (v2's `support_commitments`).
    outcome = "absenteisme.issue-convocation"
    where = copy / "contracts" / outcome / "contract.yaml"
    edit(
        where,
        "      - commitments\n      - orientation.service\n",
        ("      - commitments\n      - support_commitments\n      - orientation.service\n"),
    )
    catalogue, directory = _loaded(copy)
    policy = copy / "contracts" / POLICY_FILE
    expected = (
        f"{where}: consumer academie/dsden of {outcome} would deliver support_commitments "
        "(social-assessment) to academie/dsden, of the legal kind education, which no line of "
        f"{policy} lets receive social-assessment (absenteeism-social-support grants it to "
        "social-services); its `when`, `route` or `shared_with` change nothing. Remove those "
        "fields from its `fields`, or, if the law lets education receive social-assessment, "
        f"add that line to {policy} with its basis"
    )
    assert entitlement_problems(catalogue, directory) == [expected]


def test_a_category_no_line_grants_is_said_so(copy: Path) -> None:
    # The offices the CRIP's feedback reaches (every sender of an IP) told of a diagnosis.
    _categorise(copy, "ip.retour", "outcome", "health")
    catalogue, directory = _loaded(copy)
    problems = [p for p in entitlement_problems(catalogue, directory) if "ip.retour" in p]
    assert problems
    assert all("(no line grants it to any kind)" in p for p in problems)


def test_answered_reaches_every_sender_of_what_it_answers_each_of_a_kind_wide_producer(
    copy: Path,
) -> None:
    # The CRIP's feedback, were its outcome an evaluation's facts, would reach every IP sender.
    _categorise(copy, "ip.retour", "outcome", "child-protection-facts")
    catalogue, directory = _loaded(copy)
    problems = [p for p in entitlement_problems(catalogue, directory) if "ip.retour" in p]
    kinds = {p.split(", of the legal kind ", 1)[1].split(",", 1)[0] for p in problems}
    assert kinds == {"education", "social-services", "gendarmerie-social-worker", "benefit-payer"}
    mdd = next(p for p in problems if "of the legal kind social-services" in p)
    # `departement/mdd`, a producer by its kind, is each MDD of the directory.
    assert all(f"departement/{o}" in mdd for o in directory.offices("departement") if "mdd:" in o)
    education = next(p for p in problems if "of the legal kind education" in p)
    assert "academie/etablissement, academie/service-social" in education


def test_sender_and_recipients_reach_every_office_they_can(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    contract = catalogue.contracts["hub.rejection"]
    [sender] = contract.meta.consumers
    every = {f"{p}/{o}" for p in directory.partners for o in directory.entries(p)}
    assert reached_offices(catalogue, directory, contract, sender) == every
    recall = catalogue.contracts["hub.recall"]
    [recipients] = recall.meta.consumers
    reached = reached_offices(catalogue, directory, recall, recipients)
    # The CRIP and its on-call office receive IPs, each sender of an IP their feedback; the
    # CCAPEX's commissions receive nothing through the hub, so no recall either.
    offices = {"departement/crip", "departement/crip-astreinte", "isg/isg", "caf/caf"}
    assert offices | {"academie/etablissement"} <= reached
    assert "ccapex/commission:centrale" not in reached


def test_a_legal_kind_the_policy_does_not_define_is_a_directory_fault(copy: Path) -> None:
    edit(copy / "directory.yaml", "kind: housing-fund", "kind: fsl")
    catalogue, directory = _loaded(copy)
    # The one fault: what the FSL receives is not judged on a kind no line can name.
    [problem] = consistency(catalogue, directory)
    assert problem.startswith(
        f"{copy / 'directory.yaml'}: departement/fsl is of the legal kind fsl, which "
        f"{copy / 'contracts' / POLICY_FILE} does not define: give it one of child-protection, "
    )


BAILLEUR = "logement.signalement-bailleur"
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": f"https://partner-hub.example/contracts/{BAILLEUR}/v1/schema.json",
    "type": "object",
    "additionalProperties": False,
    "required": ["tenant_number", "sent_on"],
    "properties": {
        "tenant_number": {"type": "string", "x-category": "partner-file-number"},
        "sent_on": {"type": "string", "x-category": "date"},
    },
}
CONTRACT = f"""id: {BAILLEUR}
kind: notice
title: {{fr: Signalement d'un impayé par le bailleur, en: A landlord's arrears report}}
description: {{fr: Un bailleur signale un impayé., en: A landlord reports arrears.}}
legal_basis: ["Loi n° 89-462 du 6 juillet 1989, art. 24"]
sensitivity: a tenant's number in its landlord's files
retention: P2Y
producers: [bailleur/agence]
consumers:
  - office: ccapex/ccapex
    fields: [tenant_number, sent_on]
"""


def _landlords_contract(copy: Path) -> Path:
    _with_landlord(copy)
    folder = copy / "contracts" / BAILLEUR
    (folder / "v1").mkdir(parents=True)
    (folder / "v1" / "schema.json").write_text(json.dumps(SCHEMA), "utf-8")
    (folder / "contract.yaml").write_text(CONTRACT, "utf-8")
    return folder / "contract.yaml"


def test_a_contract_carrying_a_landlords_file_number_declares_it(copy: Path) -> None:
    where = _landlords_contract(copy)
    catalogue, directory = _loaded(copy)
    expected = (
        f"{where}: tenant_number is a number of a partner's files (partner-file-number), which "
        "`identifiers` does not declare: add it there with its owner (`owner`, or `owner_in` "
        "and `owners`), so that who receives it is checked"
    )
    assert undeclared_numbers(catalogue) == [expected]
    assert expected in consistency(catalogue, directory)
    # Declared, the number's other recipients are judged: the CCAPEX receives every one of it.
    declared = "\nidentifiers:\n  - {field: tenant_number, owner: bailleur}\nconsumers:\n"
    edit(where, "\nconsumers:\n", declared)
    catalogue, directory = _loaded(copy)
    assert undeclared_numbers(catalogue) == []
    [unbound] = [p for p in consistency(catalogue, directory) if BAILLEUR in p]
    assert unbound.startswith(f"{where}: ccapex/ccapex receives notices of {BAILLEUR}")


@pytest.mark.parametrize("category", ["partner-file-number", "social-assessment"])
def test_a_landlord_given_the_commissions_avis_on_a_caf_allocataire_is_refused(
    copy: Path, category: str
) -> None:
    _with_landlord(copy)
    consumer = (
        "  - office: bailleur/agence\n"
        "    when: {field: payer.organisation, in: [caf]}\n"
        "    fields: [avis, payer]\n"
    )
    where = _consumer(copy, "logement.avis", consumer)
    catalogue, directory = _loaded(copy)
    problems = consistency(catalogue, directory)
    assert any(
        p.startswith(f"{where}: consumer bailleur/agence of logement.avis would deliver ")
        and f"({category}) to bailleur/agence, of the legal kind landlord" in p
        for p in problems
    ), problems
    # Its `when` names the CAF, not itself: it binds nothing (`hub.catalogue.recipients`).
    assert any(p.startswith(f"{where}: bailleur/agence receives notices of ") for p in problems)


@pytest.mark.parametrize("office", ["departement/sdas", "departement/mdd"])
def test_a_kind_wide_or_named_consumer_is_judged_by_each_offices_kind(
    copy: Path, office: str
) -> None:
    _consumer(copy, IP, f"  - office: {office}\n    fields: [urgency]\n")
    catalogue, directory = _loaded(copy)
    [problem] = entitlement_problems(catalogue, directory)
    assert "urgency (child-protection-facts)" in problem
    assert "of the legal kind social-services" in problem


def test_an_office_kind_absent_from_the_directory_reaches_no_office(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    contract = catalogue.contracts[IP]
    ghost = contract.meta.consumers[0].model_copy(update={"office": "departement/nothing"})
    assert reached_offices(catalogue, directory, contract, ghost) == set()


def test_a_line_naming_flows_grants_nothing_outside_them(copy: Path) -> None:
    # The MDD receives reports to the Parquet (criminal-offence) in the instruction flow only:
    # the same category in a housing notice is refused (the line's law is Code de l'éducation).
    _categorise(copy, "logement.avis", "recommendations", "criminal-offence")
    catalogue, directory = _loaded(copy)
    problems = [p for p in entitlement_problems(catalogue, directory) if "logement.avis" in p]
    mdd = next(p for p in problems if "consumer departement/mdd" in p)
    assert "recommendations (criminal-offence)" in mdd
    assert "of the legal kind social-services" in mdd
    assert "(no line grants it to any kind)" in mdd
    assert "instruction-copies" not in mdd


def test_a_line_naming_a_flow_no_contract_is_refused(copy: Path) -> None:
    edit(copy / "contracts" / POLICY_FILE, 'contracts: ["instruction.*"]', "contracts: [instr.*]")
    catalogue, directory = _loaded(copy)
    assert (
        f"{copy / 'contracts' / POLICY_FILE}: line instruction-copies names the flow instr.*, "
        "which no contract of the catalogue matches: name contract ids, or a family as "
        "`family.*`"
    ) in consistency(catalogue, directory)


def test_each_consumer_names_the_lines_of_its_own_flow(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    def named(contract_id: str, office: str) -> list[str]:
        contract = catalogue.contracts[contract_id]
        consumer = next(c for c in contract.meta.consumers if c.office == office)
        return lines_for(catalogue, directory, contract, consumer)

    assert named("ip.transmission", "departement/crip") == ["hub-records", "ip-collection"]
    assert named("isg.orientation", "departement/mdd") == ["hub-records", "social-action"]
    assert named("absenteisme.issue-convocation", "academie/dsden") == [
        "hub-records",
        "absenteeism-follow-up",
    ]
    assert named("absenteisme.issue-convocation", "departement/mdd") == [
        "hub-records",
        "absenteeism",
        "absenteeism-social-support",
    ]
    assert named("ip.retour", "answered") == ["hub-records", "ip-feedback"]
