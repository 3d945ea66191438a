"""An integrator adds a partner as README.md says, then a notice goes through it.

The shell block under "How to add a partner" runs as it is, with `bash -euo pipefail`, in a
copy of the project (its files as git sees them, and this checkout's `.venv`); the copy's own
code runs there (PYTHONPATH), so the directory, contracts and adapter it writes are the ones
used. Then the copy's checks pass, and its hub and the new adapter carry an information
préoccupante from the CHU to the CRIP, the CRIP's feedback back, and the CHU's receipt of it.
"""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.settings import PROJECT_ROOT
from tests.conftest import example
from tests.integration.plain import PlainKafka, by_id, notice_headers
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

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(480)]

HEADING = "## How to add a partner"
BLOCK_S = 300.0  # the block runs the new adapter's conformance suite: about 45 s
IP = {
    **example("ip.transmission", "caf-panazol-siblings", major=2),
    "sender_reference": "CHU87-SSH-2026-0042",
    "sender_role": "other_professional",
    "sender_service": {"name": "CHU de Limoges, service social hospitalier"},
}
FEEDBACK = {
    **example("ip.retour", "mesure-administrative-service-social"),
    "sender_reference": IP["sender_reference"],
}


def test_an_integrator_adds_the_chu_as_the_readme_says_and_an_ip_and_its_feedback_go_through(
    tmp_path: Path,
) -> None:
    copy = tmp_path / "project"
    copy_project(copy)
    env = integrator_env(copy, "chu")
    add_the_chu_as_the_readme_says(copy, env)
    with hub_and_chu_adapter(copy, env, tmp_path) as (bootstrap, root, logs):
        ip_id, case_id = the_chu_sends_an_ip(root, logs)
        plain = PlainKafka(bootstrap)
        at_crip = plain.read("hub.out.departement", lambda got: bool(by_id(got, ip_id)), STEP_S)
        [delivered] = by_id(at_crip, ip_id)
        assert delivered.headers["ce_recipient"] == "departement/crip"
        assert delivered.headers["ce_source"] == "/chu/chu"
        assert delivered.headers["ce_type"] == "ip.transmission"
        assert delivered.json() == IP

        feedback_id = str(uuid.uuid4())
        headers = notice_headers(
            feedback_id,
            "/departement/crip",
            "ip.retour",
            answers=ip_id,
            answers_from=delivered.headers["ce_source"],
        )
        plain.send("hub.in.departement", json.dumps(FEEDBACK).encode(), headers, delivered.key)
        at_chu = wait_for(
            lambda: json_file(
                root / "recus" / "ip.retour" / f"departement_crip__{feedback_id}__chu_chu.json"
            ),
            "the CRIP's feedback in the CHU's recus/ip.retour/",
            logs,
        )
        assert (at_chu["from"], at_chu["to"], at_chu["answers"]) == (
            "/departement/crip",
            "chu/chu",
            ip_id,
        )
        assert at_chu["case_id"] == case_id
        assert at_chu["payload"] == FEEDBACK

        answered = plain.read(
            "hub.out.departement", lambda got: receipt_of(got, feedback_id) is not None, STEP_S
        )
        receipt = receipt_of(answered, feedback_id)
        assert receipt is not None
        assert receipt.headers["ce_source"] == "/chu/chu"
        assert receipt.headers["ce_recipient"] == "departement/crip"
        assert receipt.json()["notice_id"] == feedback_id
        assert receipt.json()["status"] == "processed"


def add_the_chu_as_the_readme_says(copy: Path, env: dict[str, str]) -> None:
    """The README's block, verbatim, then the copy's checks."""
    block = shell_block(PROJECT_ROOT / "README.md", HEADING)
    said = run_block(copy, env, block, BLOCK_S)
    assert "partner: chu added" in said, said
    assert (copy / "adapters" / "chu" / "app.py").is_file()
    assert re.search(r"^tests/adapters/chu/test_conformance\.py \.+ ", said, re.MULTILINE), said
    assert re.search(r"^=+ \d+ passed in [\d.]+s", said, re.MULTILINE), said  # none skipped
    acls = (copy / "deploy" / "kafka" / "kafka-acls.sh").read_text()
    assert "--allow-principal User:chu --operation Write --topic hub.in.chu " in acls
    assert "| `chu` | `chu` |" in (copy / "docs" / "wire-contract.md").read_text()
    assert_checks_pass(copy, env)


@contextlib.contextmanager
def hub_and_chu_adapter(
    copy: Path, env: dict[str, str], folder: Path
) -> Iterator[tuple[str, Path, list[Path]]]:
    """The copy's `hub serve --embedded` and `python -m adapters.chu` on its broker.

    Yields the broker's address (as the hub prints it), the adapter's root and both logs.
    """
    logs, root = [folder / "hub.log", folder / "adapter.log"], folder / "chu"
    with (
        serving_hub(copy, env, logs) as bootstrap,
        running_adapter(copy, env, "chu", bootstrap=bootstrap, root=root, log=logs[1]),
    ):
        yield bootstrap, root, logs


def the_chu_sends_an_ip(root: Path, logs: list[Path]) -> tuple[str, str]:
    """The CHU's system drops an export (a temporary name, then renamed); the hub accepts it.

    Returns the notice's id and its case's, as `recus/hub.acceptance/` tells the CHU.
    """
    drop_export(
        root, "ip-0042.json", {"contract": "ip.transmission", "office": "chu", "notices": [IP]}
    )
    accepted = wait_for(
        lambda: first_json(root / "recus" / "hub.acceptance"),
        "the hub's acceptance of the CHU's IP",
        logs,
    )
    assert (accepted["state"], accepted["export"], accepted["line"]) == (
        "accepted",
        "ip-0042.json",
        1,
    )
    assert not (root / "recus" / "hub.rejection").exists()
    return accepted["notice_id"], accepted["case_id"]
