"""A checkpoint a partner received from a running hub catches the ledger rewritten after it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from hub.ledger.checkpoint import new_key
from tests.conftest import FORMAL_NOTICE, example
from tests.integration.conftest import hub_on_own_broker
from tests.integration.plain import PlainKafka, Received, by_id, notice_headers
from tests.ledger.rewrite import rewrite_without

pytestmark = pytest.mark.kafka
LIMOGES = json.dumps(example(FORMAL_NOTICE, "limoges-no-known-school")).encode()


def _verify(ledger: Path, *checkpoint: str, key: Path) -> subprocess.CompletedProcess[str]:
    """`hub ledger verify` where the hub's key is: that key is pinned."""
    return subprocess.run(
        [sys.executable, "-m", "hub", "ledger", "verify", "--path", str(ledger), *checkpoint],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={**os.environ, "HUB_CHECKPOINT_KEY_PATH": str(key)},
    )


def _heads(got: list[Received]) -> list[Received]:
    return [r for r in got if r.headers.get("ce_type") == "hub.ledger-head"]


@pytest.mark.timeout(180)
def test_a_checkpoint_the_caf_received_proves_the_ledger_was_rewritten(tmp_path: Path) -> None:
    key = tmp_path / "secrets" / "checkpoint.pem"
    new_key(key)
    env = {
        "HUB_CHECKPOINT_KEY_PATH": str(key),
        "HUB_CHECKPOINT_EVERY_ENTRIES": "5",
        "HUB_LIFECYCLE_CHECK_S": "0.5",
    }
    (tmp_path / "hub").mkdir()
    with hub_on_own_broker(tmp_path / "hub", **env) as hub:
        plain = PlainKafka(hub.bootstrap)
        ids = [str(uuid.uuid4()) for _ in range(4)]
        for notice_id in ids:
            plain.send("hub.in.academie", LIMOGES, notice_headers(notice_id))
        plain.read("hub.out.departement", lambda got: all(by_id(got, i) for i in ids), 60)
        [held, *_] = _heads(plain.read("hub.out.caf", lambda got: bool(_heads(got)), 60))
        ledger = hub.ledger
    checkpoint = tmp_path / "caf" / "ledger-head.json"  # what the CAF's system keeps
    checkpoint.parent.mkdir()
    checkpoint.write_bytes(held.value)
    assert held.headers["ce_recipient"] == "caf/caf"
    assert held.json()["seq"] > 2
    kept = _verify(ledger, "--checkpoint", str(checkpoint), key=key)
    assert kept.returncode == 0, kept.stdout
    assert f"checkpoint ok: entry #{held.json()['seq']}" in kept.stdout
    rewrite_without(ledger, 2)  # a row deleted, the chain recomputed by whoever holds the file
    assert _verify(ledger, key=key).returncode == 0  # alone, the rewritten chain verifies
    caught = _verify(ledger, "--checkpoint", str(checkpoint), key=key)
    assert caught.returncode == 1
    assert "not the one the checkpoint signed: rewritten" in caught.stdout
