"""The traps an integrator met, each refused by `hub contracts check` in a copy of the project.

A social landlord joins as README.md says (`hub partner add --kind landlord`), and its checks
pass. Then each way it found to receive what the law keeps from it is planted in its own copy:
`hub contracts check` fails, naming the file and the reason; before the plant, it passed.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.tools.project_copy import assert_checks_pass, copy_project, hub_command, integrator_env

pytestmark = pytest.mark.timeout(300)

LANDLORD = "bailleur/agence"
Plant = Callable[[Path], None]


def _consumer(contract: str, entry: str) -> Plant:
    """Add a consumer entry to a contract's `consumers`."""

    def plant(copy: Path) -> None:
        _replace(
            copy / "contracts" / contract / "contract.yaml",
            "\nconsumers:\n",
            f"\nconsumers:\n{entry}",
        )

    return plant


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, f"{path.name} no longer holds {old!r}: the trap must be planted anew"
    path.write_text(text.replace(old, new, 1), "utf-8")


def _landlords_contract(copy: Path) -> None:
    """A new contract carrying the landlord's tenant number, with no `identifiers`."""
    contract = "logement.signalement-bailleur"
    folder = copy / "contracts" / contract
    (folder / "v1" / "examples" / "valid").mkdir(parents=True)
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://partner-hub.example/contracts/{contract}/v1/schema.json",
        "type": "object",
        "additionalProperties": False,
        "required": ["tenant_number", "sent_on"],
        "properties": {
            "tenant_number": {"type": "string", "x-category": "partner-file-number"},
            "sent_on": {"type": "string", "format": "date", "x-category": "date"},
        },
    }
    (folder / "v1" / "schema.json").write_text(json.dumps(schema), "utf-8")
    example = {"tenant_number": "LOC-2026-0042", "sent_on": "2026-12-01"}
    (folder / "v1" / "examples" / "valid" / "un-locataire.json").write_text(
        json.dumps(example), "utf-8"
    )
    (folder / "contract.yaml").write_text(
        f"""id: {contract}
kind: notice
title: {{fr: Signalement d'un impayé par le bailleur, en: A landlord's arrears report}}
description: {{fr: Un bailleur signale un impayé., en: A landlord reports arrears.}}
legal_basis: ["Loi n° 90-449 du 31 mai 1990, art. 7-2"]
sensitivity: a tenant's number in its landlord's files
retention: P2Y
producers: [{LANDLORD}]
consumers:
  - office: ccapex/ccapex
    fields: [tenant_number, sent_on]
""",
        "utf-8",
    )
    done = hub_command(copy, integrator_env(copy), "contracts", "freeze", contract, "--major", "1")
    assert done.returncode == 0, done.stdout + done.stderr


def _no_category(copy: Path) -> None:
    schema = copy / "contracts" / "ip.retour" / "v1" / "schema.json"
    declared = json.loads(schema.read_text("utf-8"))
    del declared["properties"]["concluded_on"]["x-category"]
    schema.write_text(json.dumps(declared), "utf-8")


def _basis(copy: Path) -> None:
    where = copy / "contracts" / "logement.saisine-impayes" / "contract.yaml"
    _replace(where, "        basis: housing-arrears\n", "        basis: the partners agreed\n")


TRAPS: dict[str, tuple[Plant, tuple[str, ...]]] = {
    "a landlord as unconditional consumer of ip.transmission": (
        _consumer("ip.transmission", f"  - office: {LANDLORD}\n    fields: [sent_on, child]\n"),
        (
            (
                "contracts/ip.transmission/contract.yaml: consumer bailleur/agence of "
                "ip.transmission would deliver child.birth_date, child.first_names, "
                "child.last_name, child.sex (child-identity) to bailleur/agence, of the legal kind "
                "landlord, which no line of contracts/_policy/recipients.yaml lets receive "
                "child-identity (ip-collection grants it to child-protection)"
            ),
        ),
    ),
    "a condition that does not bind the referral to the landlord": (
        _consumer(
            "logement.saisine-impayes",
            f"  - office: {LANDLORD}\n"
            "    when: {field: landlord_type, in: [social_landlord]}\n"
            "    fields: [sent_on, caf_allocataire]\n",
        ),
        (
            (
                "contracts/logement.saisine-impayes/contract.yaml: bailleur/agence receives "
                "notices of logement.saisine-impayes, which carries caf_allocataire.caf_number, "
                "a number of caf's files, and its `when` on landlord_type does not bind it to its "
                "own files"
            ),
            (
                "would deliver caf_allocataire.caf_number (partner-file-number) to "
                "bailleur/agence, of the legal kind landlord"
            ),
        ),
    ),
    "the CCAPEX's avis on a payer's allocataire to a landlord": (
        _consumer(
            "logement.avis",
            f"  - office: {LANDLORD}\n"
            "    when: {field: payer.organisation, in: [caf]}\n"
            "    fields: [sent_on, avis, payer]\n",
        ),
        (
            (
                "contracts/logement.avis/contract.yaml: consumer bailleur/agence of logement.avis "
                "would deliver avis (social-assessment) to bailleur/agence, of the legal kind "
                "landlord"
            ),
            "its `when` on payer.organisation does not bind it to its own files",
        ),
    ),
    "a new contract carrying the landlord's file number with no identifiers": (
        _landlords_contract,
        (
            (
                "contracts/logement.signalement-bailleur/contract.yaml: tenant_number is a number "
                "of a partner's files (partner-file-number), which `identifiers` does not declare"
            ),
        ),
    ),
    "a shared_with whose basis is neither a legal basis nor a policy line": (
        _basis,
        (
            (
                "contracts/logement.saisine-impayes/contract.yaml: `identifiers` "
                "caf_allocataire.caf_number shares every number with ccapex/ccapex on the basis "
                "'the partners agreed', which is neither one of the `legal_basis` of "
                "logement.saisine-impayes nor a line of the recipient policy"
            ),
        ),
    ),
    "a field with no data category": (
        _no_category,
        ("ip.retour v1: field concluded_on has no data category",),
    ),
    "the FSL receiving the facts of an IP": (
        _consumer(
            "ip.transmission",
            "  - office: departement/fsl\n"
            "    when: {field: urgency, in: [serious_immediate_danger]}\n"
            "    fields: [facts]\n",
        ),
        (
            (
                "contracts/ip.transmission/contract.yaml: consumer departement/fsl of "
                "ip.transmission would deliver facts[].description, facts[].observed_on "
                "(child-protection-facts) to departement/fsl, of the legal kind housing-fund"
            ),
        ),
    ),
}


@pytest.fixture(scope="module")
def joined(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project the landlord joined, as README.md says; its checks pass."""
    copy = tmp_path_factory.mktemp("joined") / "project"
    copy.mkdir()
    copy_project(copy)
    env = integrator_env(copy, "bailleur")
    done = hub_command(
        copy,
        env,
        *("partner", "add", "bailleur", "--name", "Bailleur social de la Haute-Vienne"),
        *("--kind", "landlord", "--office", "agence=Agence de Limoges", "--no-adapter"),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    docs = hub_command(copy, env, "contracts", "docs")
    assert docs.returncode == 0, docs.stdout + docs.stderr
    assert_checks_pass(copy, env)
    return copy


@pytest.mark.parametrize("trap", list(TRAPS))
def test_each_trap_is_refused_by_the_check_naming_its_file_and_reason(
    joined: Path, tmp_path: Path, trap: str
) -> None:
    copy = tmp_path / "project"
    shutil.copytree(joined, copy, symlinks=True)
    plant, reasons = TRAPS[trap]
    plant(copy)
    done = hub_command(copy, integrator_env(copy, "bailleur"), "contracts", "check")
    said = done.stdout + done.stderr
    assert done.returncode == 1, said
    assert said.rstrip().splitlines()[-1].startswith("contracts BROKEN:"), said
    for reason in reasons:
        assert reason in said, f"{trap}: no {reason!r} in\n{said}"
