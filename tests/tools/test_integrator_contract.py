"""An integrator adds two contracts as contracts/README.md says, then they go through a hub.

The shell block under "How to add a contract" runs as it is in a copy of the project
(`tests.tools.project_copy`): a request from the CRIP to the CAF and the CAF's answer, each
with its schema, examples and `contract.yaml`, published, checked and documented. Neither
`hub.receipt` nor `hub.recall` is edited. Then the copy's hub and the CAF's own adapter carry
the request to the CAF, the CAF's receipt back to the CRIP, the CAF's answer from an export to
the CRIP alone, and the CRIP's receipt of it to the CAF.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from hub.settings import PROJECT_ROOT
from tests.integration.plain import PlainKafka, Received, by_id, notice_headers
from tests.tools.project_copy import (
    STEP_S,
    assert_checks_pass,
    copy_project,
    drop_export,
    first_json,
    integrator_env,
    json_file,
    receipt_of,
    run_block,
    running_adapter,
    serving_hub,
    shell_block,
    wait_for,
)

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(360)]

HEADING = "## How to add a contract"
BLOCK_S = 120.0  # a few `hub contracts` commands, no broker
REQUEST, ANSWER = "demenagement.demande-adresse", "demenagement.adresse"
CRIP, CAF = "/departement/crip", "/caf/caf"
UNEDITED = ("hub.receipt", "hub.recall")  # each answers every notice contract by itself


def test_an_integrator_adds_a_request_and_its_answer_as_the_readme_says_and_both_go_through(
    tmp_path: Path,
) -> None:
    copy = tmp_path / "project"
    copy_project(copy)
    env = integrator_env(copy, "caf")
    add_the_contracts_as_the_readme_says(copy, env)
    request = _example(copy, REQUEST)
    answer = _example(copy, ANSWER)
    logs, root = [tmp_path / "hub.log", tmp_path / "caf.log"], tmp_path / "caf"
    with (
        serving_hub(copy, env, logs) as bootstrap,
        running_adapter(copy, env, "caf", bootstrap=bootstrap, root=root, log=logs[1]),
    ):
        plain = PlainKafka(bootstrap)
        try:
            # The CRIP asks; the CAF's adapter hands the request over and receipts it.
            request_id, case_id = str(uuid.uuid4()), str(uuid.uuid4())
            headers = notice_headers(request_id, CRIP, REQUEST)
            plain.send(
                "hub.in.departement", json.dumps(request).encode(), headers, case_id.encode()
            )
            at_caf = wait_for(
                lambda: json_file(
                    root / "recus" / REQUEST / f"departement_crip__{request_id}__caf_caf.json"
                ),
                f"the CRIP's request in the CAF's recus/{REQUEST}/",
                logs,
            )
            assert (at_caf["from"], at_caf["to"], at_caf["case_id"]) == (CRIP, "caf/caf", case_id)
            assert at_caf["payload"] == request  # the CAF sees every field of it
            receipt = _read_receipt(plain, request_id)
            assert receipt.headers["ce_source"] == CAF
            assert receipt.headers["ce_recipient"] == "departement/crip"
            assert receipt.json()["status"] == "processed"

            # The CAF's system answers in an export; the CRIP alone receives the answer.
            reply = {"payload": answer, "answers": request_id, "answers_from": CRIP}
            drop_export(
                root, "adresse.json", {"contract": ANSWER, "office": "caf", "notices": [reply]}
            )
            accepted = wait_for(
                lambda: first_json(root / "recus" / "hub.acceptance"),
                "the hub's acceptance of the CAF's answer",
                logs,
            )
            assert accepted["state"] == "accepted", accepted
            assert accepted["case_id"] == case_id
            assert accepted["hub"]["delivered_to"] == ["departement/crip"], accepted
            answer_id = accepted["notice_id"]
            [delivered] = by_id(
                plain.read("hub.out.departement", lambda got: bool(by_id(got, answer_id)), STEP_S),
                answer_id,
            )
            assert delivered.headers["ce_type"] == ANSWER
            assert delivered.headers["ce_recipient"] == "departement/crip"
            assert delivered.headers["ce_causationid"] == request_id
            assert delivered.json() == answer

            # The CRIP receipts the answer; the receipt reaches the CAF's side.
            crip_receipt = str(uuid.uuid4())
            receipted = {
                "notice_id": answer_id,
                "status": "processed",
                "at": "2026-11-30T10:00:00+01:00",
            }
            headers = notice_headers(
                crip_receipt, CRIP, "hub.receipt", answers=answer_id, answers_from=CAF
            )
            plain.send("hub.in.departement", json.dumps(receipted).encode(), headers, delivered.key)
            at_caf = wait_for(
                lambda: json_file(
                    root
                    / "recus"
                    / "hub.receipt"
                    / f"departement_crip__{crip_receipt}__caf_caf.json"
                ),
                "the CRIP's receipt of the answer in the CAF's recus/hub.receipt/",
                logs,
            )
            assert (at_caf["answers"], at_caf["payload"]["status"]) == (answer_id, "processed")
        finally:
            plain.close()


def add_the_contracts_as_the_readme_says(copy: Path, env: dict[str, str]) -> None:
    """The block of contracts/README.md, verbatim, then the copy's checks; no receipt edited."""
    unedited = {c: (copy / "contracts" / c / "contract.yaml").read_text() for c in UNEDITED}
    block = shell_block(PROJECT_ROOT / "contracts" / "README.md", HEADING)
    said = run_block(copy, env, block, BLOCK_S)
    assert re.search(r"^contracts ok: \d+ contracts", said, re.MULTILINE), said
    for contract in (REQUEST, ANSWER):
        assert (copy / "contracts" / contract / "v1" / "history" / "1.0.json").is_file()
        assert f"## `{contract}`" in (copy / "docs" / "contracts.md").read_text()
        assert f"{contract}.v1" in (copy / "docs" / "asyncapi.yaml").read_text()
    for contract, text in unedited.items():
        assert (copy / "contracts" / contract / "contract.yaml").read_text() == text, contract
    catalogue = (copy / "docs" / "contracts.md").read_text()
    receipt = catalogue.split("## `hub.receipt`", 1)[1].split("\n## ", 1)[0]
    assert f"{REQUEST}, " in receipt  # it answers them, as docs/contracts.md tells partners
    assert_checks_pass(copy, env)


def _example(copy: Path, contract: str) -> dict[str, Any]:
    """The one valid example the block wrote for `contract`."""
    [path] = (copy / "contracts" / contract / "v1" / "examples" / "valid").glob("*.json")
    payload: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return payload


def _read_receipt(plain: PlainKafka, notice_id: str) -> Received:
    """The receipt of `notice_id` on the CRIP's topic, once it is there."""
    records = plain.read(
        "hub.out.departement", lambda got: receipt_of(got, notice_id) is not None, STEP_S
    )
    receipt = receipt_of(records, notice_id)
    assert receipt is not None
    return receipt
