import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from hub.catalogue.checks import consistency
from hub.catalogue.contracts import Catalogue, load_catalogue, schema_id_for
from hub.catalogue.directory import PartnerDirectory
from hub.catalogue.examples import example_faults, read_example
from hub.catalogue.meta import ContractError
from hub.catalogue.validation import schema_reasons
from tests.conftest import CONTRACTS, FORMAL_NOTICE


def _examples(kind: str) -> list[Path]:
    return sorted(CONTRACTS.glob(f"*/v*/examples/{kind}/*.json"))


def _version_of(catalogue: Catalogue, path: Path) -> tuple[str, int]:
    contract, version = path.parts[-5], path.parts[-4]
    found = catalogue.get(contract)
    assert found is not None, f"{path} belongs to no contract"
    return contract, int(version[1:])


def test_catalogue_loads_every_contract(catalogue: Catalogue) -> None:
    assert {FORMAL_NOTICE, "hub.rejection"} <= set(catalogue.contracts)
    version = catalogue.version_for(schema_id_for(FORMAL_NOTICE, 1))
    assert version is not None
    assert version.contract_id == FORMAL_NOTICE


@pytest.mark.parametrize(
    "path", _examples("valid") + _examples("invalid"), ids=lambda p: f"{p.parts[-5]}/{p.stem}"
)
def test_each_example_shows_what_its_folder_and_comment_say(
    catalogue: Catalogue, path: Path
) -> None:
    # The one rule `hub contracts check` applies too: valid ones pass with no `$comment`,
    # invalid ones fail for exactly the rule their `$comment` names.
    contract, _ = _version_of(catalogue, path)
    assert example_faults(catalogue.contracts[contract], read_example(path)) == []


def test_there_are_examples_of_both_kinds_for_every_contract(catalogue: Catalogue) -> None:
    for contract in catalogue.contracts.values():
        for kind in ("valid", "invalid"):
            assert list(contract.folder.glob(f"v*/examples/{kind}/*.json")), (contract.id, kind)


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "contracts"
    shutil.copytree(CONTRACTS, root)
    return root


def test_a_projection_naming_an_undefined_field_is_refused(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    meta = root / FORMAL_NOTICE / "contract.yaml"
    meta.write_text(meta.read_text().replace("- notified_on", "- notified_at"))
    with pytest.raises(
        ContractError, match="names notified_at, which no version of the schema defines"
    ):
        load_catalogue(root)


def test_a_projection_through_an_array_is_checked_in_its_items(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    meta = root / FORMAL_NOTICE / "contract.yaml"
    meta.write_text(meta.read_text().replace("guardians[].last_name", "guardians[].phone"))
    with pytest.raises(ContractError, match=r"guardians\[\]\.phone"):
        load_catalogue(root)


def test_an_id_that_does_not_mirror_the_path_is_refused(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    schema = root / FORMAL_NOTICE / "v1" / "schema.json"
    schema.write_text(schema.read_text().replace("/v1/schema.json", "/v2/schema.json", 1))
    with pytest.raises(ContractError, match=r"\$id must be"):
        load_catalogue(root)


def test_metadata_with_an_unknown_key_is_refused(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    meta = root / FORMAL_NOTICE / "contract.yaml"
    meta.write_text(meta.read_text() + "\nbroadcast: true\n")
    with pytest.raises(ContractError, match="broadcast"):
        load_catalogue(root)


@pytest.mark.parametrize("path", _examples("valid") + _examples("invalid"), ids=lambda p: p.stem)
def test_the_deciding_and_the_explaining_validators_agree(catalogue: Catalogue, path: Path) -> None:
    payload = json.loads(path.read_text(encoding="utf-8"))
    payload.pop("$comment", None)
    contract, major = _version_of(catalogue, path)
    version = catalogue.contracts[contract].versions[major]
    assert version.accepts(payload) == (schema_reasons(version.validator, payload) == [])


def test_a_rule_broken_in_several_branches_is_reported_once(catalogue: Catalogue) -> None:
    # isg.orientation repeats its required fields in conditional branches.
    validator = catalogue.contracts["isg.orientation"].latest.validator
    reasons = schema_reasons(validator, {})
    assert reasons
    assert len(reasons) == len(set(reasons))


def test_a_contract_that_names_no_legal_basis_is_refused(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    meta = root / "hub.acceptance" / "contract.yaml"
    text = meta.read_text()
    start = text.index("legal_basis:")
    end = text.index("sensitivity:")
    meta.write_text(text[:start] + "legal_basis: []\n" + text[end:])
    with pytest.raises(ContractError, match="legal_basis"):
        load_catalogue(root)


RETIRED = "logement.decision-aide"


def test_a_retirement_whose_last_day_comes_before_its_announcement_is_refused(
    tmp_path: Path,
) -> None:
    root = _copy(tmp_path)
    meta = root / RETIRED / "contract.yaml"
    meta.write_text(
        meta.read_text().replace("announced_on: 2026-12-01", "announced_on: 2027-06-01")
    )
    with pytest.raises(ContractError, match="last_accepted_on comes before announced_on"):
        load_catalogue(root)


def test_a_retired_contract_replaced_by_an_unknown_or_retired_one_is_reported(
    tmp_path: Path, directory: PartnerDirectory
) -> None:
    root = _copy(tmp_path)
    meta = root / RETIRED / "contract.yaml"
    meta.write_text(
        meta.read_text().replace(
            "replaced_by: [logement.decision-ccapex, logement.decision-payeur]",
            f"replaced_by: [logement.avis-du-prefet, {RETIRED}]",
        )
    )
    problems = consistency(load_catalogue(root), directory)
    assert f"{RETIRED}: refers to the unknown contract logement.avis-du-prefet" in problems
    assert f"{RETIRED}: is replaced by {RETIRED}, which is retired too" in problems


def test_the_retired_flow_says_when_and_why_and_the_payer_decides(catalogue: Catalogue) -> None:
    retired = catalogue.get(RETIRED)
    assert retired is not None
    assert retired.meta.retired is not None
    assert retired.meta.retired.over(dt.date(2027, 3, 1))
    assert not retired.meta.retired.over(dt.date(2027, 2, 28))
    decision = catalogue.get("logement.decision-payeur")
    assert decision is not None
    assert decision.meta.producers == ("caf/caf", "msa/msa")  # the payers, never the CCAPEX
    assert [c.office for c in decision.meta.consumers] == ["ccapex/ccapex"]
    avis = catalogue.get("logement.avis")
    assert avis is not None
    assert [c.office for c in avis.meta.consumers] == [
        "answered",
        "departement/fsl",
        "departement/mdd",
    ]


FEEDBACK_FIELDS = [
    "    fields:",
    *(f"      - {f}" for f in ("sender_reference", "crip_reference", "outcome", "concluded_on")),
    "      - sent_on",
]


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ("producers:\n  - departement/crip\n", "producers: []\n", "`producers` is empty: name"),
        ("producers:\n  - departement/crip\n", "producers:\n", "`producers` is empty: name"),
        ("producers:\n  - departement/crip\n", "", "`producers` is missing: name each office"),
        ("consumers:\n", "consumers: []\nformer_consumers:\n", "`consumers` is empty: name"),
        (
            "".join(f"{line}\n" for line in FEEDBACK_FIELDS),
            "    fields: []\n",
            "`consumers entry 1, fields` is empty: name the fields this office sees",
        ),
    ],
    ids=["empty", "null", "absent", "no-consumer", "no-field"],
)
def test_an_empty_list_of_contract_yaml_says_the_file_and_what_to_write(
    tmp_path: Path, old: str, new: str, said: str
) -> None:
    root = _copy(tmp_path)
    meta = root / "ip.retour" / "contract.yaml"
    text = meta.read_text()
    assert old in text
    meta.write_text(text.replace(old, new, 1))
    with pytest.raises(ContractError) as raised:
        load_catalogue(root)
    message = str(raised.value)
    assert message.startswith(f"{meta}: "), message
    assert said in message, message
    assert "pydantic" not in message
    assert "validation error" not in message
