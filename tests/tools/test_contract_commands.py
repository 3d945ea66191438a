"""`hub contracts check` catches each trap an integrator fell into, naming the file and the fix;
`hub contracts docs` says what it writes."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from hub.settings import PROJECT_ROOT
from tests.commands import hub_command
from tests.conftest import CONTRACTS, DIRECTORY, FORMAL_NOTICE, edit


def _check(root: Path) -> subprocess.CompletedProcess[str]:
    return hub_command("contracts", "check", root=root)  # faults name files as found from root


def test_each_trap_is_refused_with_its_file_and_its_fix(tmp_path: Path) -> None:
    contracts = tmp_path / "contracts"
    shutil.copytree(CONTRACTS, contracts)
    shutil.copy(DIRECTORY, tmp_path / "directory.yaml")
    assert _check(tmp_path).returncode == 0
    # 1. An office that receives notices but cannot send its receipts.
    edit(contracts / "hub.receipt" / "contract.yaml", "  - ccapex/ccapex\n", "")
    # 2. A conditional recipient no valid example reaches: the only avis to the FSL no more.
    avis = contracts / "logement.avis" / "v1" / "examples" / "valid" / "plan-and-fsl.json"
    edit(avis, '"fsl": true', '"fsl": false')
    # 3. A recipient added with no condition to every payer's decisions.
    edit(
        contracts / "logement.decision-payeur" / "contract.yaml",
        "\nconsumers:\n",
        "\nconsumers:\n  - office: caf/caf\n    fields: [sent_on]\n",
    )
    # 4. A valid example that carries a `$comment`.
    valid = contracts / FORMAL_NOTICE / "v1" / "examples" / "valid" / "saint-junien-minimal.json"
    payload = json.loads(valid.read_text(encoding="utf-8"))
    valid.write_text(json.dumps({"$comment": "the least it may say", **payload}), "utf-8")

    checked = _check(tmp_path)
    assert checked.returncode == 1
    faults = checked.stdout.splitlines()
    receipt = "contracts/hub.receipt/contract.yaml"
    assert any(
        f.startswith(f"contracts: {receipt}: ccapex/ccapex receives ")
        and f.endswith(f"add `- ccapex/ccapex` to `producers` in {receipt}")
        for f in faults
    ), faults
    assert any(
        f.startswith(
            "contracts: contracts/logement.avis/v1/examples/valid: no valid example of "
            "logement.avis v1 reaches its consumer departement/fsl"
        )
        and f.endswith("add a valid example there whose acting.fsl is one of [true]")
        for f in faults
    ), faults
    assert any(
        f.startswith("contracts: contracts/logement.decision-payeur/contract.yaml: caf/caf ")
        and "`when: {field: payer.organisation, in: [caf]}`" in f
        and "`shared_with: {caf/caf: {basis: " in f
        for f in faults
    ), faults
    assert (
        f"contracts: contracts/{FORMAL_NOTICE}/v1/examples/valid/saint-junien-minimal.json: a "
        "valid example carries a `$comment`, which the closed schema refuses "
        "(schema.additional-properties): remove it, and say what the example shows in its file "
        "name"
    ) in faults
    assert faults[-1] == "contracts BROKEN: 4 faults"


def test_a_field_with_no_data_category_is_refused_by_name(tmp_path: Path) -> None:
    contracts = tmp_path / "contracts"
    shutil.copytree(CONTRACTS, contracts)
    shutil.copy(DIRECTORY, tmp_path / "directory.yaml")
    schema = contracts / "ip.retour" / "v1" / "schema.json"
    edit(schema, '"x-category": "evaluation-outcome",', "")
    edit(schema, '"x-category": "date"}', '"x-category": "day"}')

    checked = _check(tmp_path)
    assert checked.returncode == 1
    faults = checked.stdout.splitlines()
    assert faults[0].startswith(
        "contracts: contracts/ip.retour/v1/schema.json: `x-category` at "
        '/properties/concluded_on names "day", which contracts/_policy/categories.yaml does '
        "not define: use one of child-identity, "
    )
    assert faults[1].startswith(
        "contracts: ip.retour v1: field outcome has no data category: declare "
    )
    assert faults[-1] == "contracts BROKEN: 2 faults"


def test_the_contracts_docs_help_names_the_asyncapi_version_of_the_document() -> None:
    document = yaml.safe_load((PROJECT_ROOT / "docs" / "asyncapi.yaml").read_text("utf-8"))
    major, minor, _ = str(document["asyncapi"]).split(".")
    said = " ".join(
        subprocess.run(
            [sys.executable, "-m", "hub", "contracts", "docs", "--help"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.split()
    )  # as argparse wraps it
    assert f"the AsyncAPI {major}.{minor} document" in said, said
    assert said.count("AsyncAPI") == 1, said
