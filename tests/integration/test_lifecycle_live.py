"""Redelivery and erasure on a running hub and the real broker."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import pytest

from tests.conftest import FORMAL_NOTICE, example
from tests.integration.conftest import HubProcess, hub_on_own_broker
from tests.integration.plain import PlainKafka, Received, notice_headers

pytestmark = pytest.mark.kafka
LIMOGES = json.dumps(example(FORMAL_NOTICE, "limoges-no-known-school")).encode()
SDAS = "departement/sdas"


@pytest.fixture(scope="module")
def eager_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    """A hub that redelivers after one second without receipt."""
    with hub_on_own_broker(
        tmp_path_factory.mktemp("lifecycle"),
        HUB_REDELIVER_AFTER_S="1",
        HUB_REDELIVER_MAX_S="2",
        HUB_LIFECYCLE_CHECK_S="0.3",
    ) as hub:
        yield hub


def _copies(records: list[Received], notice_id: str, office: str) -> int:
    return sum(
        1
        for r in records
        if r.headers.get("ce_id") == notice_id and r.headers.get("ce_recipient") == office
    )


def _hub(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", *arguments], capture_output=True, text=True, check=False
    )


def test_deliveries_come_again_until_receipted_and_never_after_erasure(
    eager_hub: HubProcess,
) -> None:
    plain = PlainKafka(eager_hub.bootstrap)
    receipted, erased = str(uuid.uuid4()), str(uuid.uuid4())
    receipted_case, erased_case = str(uuid.uuid4()), str(uuid.uuid4())
    plain.send("hub.in.academie", LIMOGES, notice_headers(receipted), key=receipted_case.encode())
    plain.send("hub.in.academie", LIMOGES, notice_headers(erased), key=erased_case.encode())
    # No adapter answers: both are delivered again, same id, to the same offices.
    plain.read(
        "hub.out.departement",
        lambda rs: _copies(rs, receipted, SDAS) >= 2 and _copies(rs, erased, SDAS) >= 2,
    )
    # The SDAS acknowledges one; the other case is erased on request.
    body = {"notice_id": receipted, "status": "processed", "at": "2026-11-23T10:00:00+01:00"}
    receipt = notice_headers(
        str(uuid.uuid4()),
        "/departement/sdas",
        "hub.receipt",
        answers=receipted,
        answers_from="/academie/dsden",
    )
    plain.send(
        "hub.in.departement", json.dumps(body).encode(), receipt, key=receipted_case.encode()
    )
    erase = _hub("erase", erased_case, "--path", str(eager_hub.ledger))
    assert erase.returncode == 0, erase.stderr
    time.sleep(1)  # let a redelivery in flight land
    before = plain.everything("hub.out.departement")
    time.sleep(5)  # several redelivery rounds
    after = plain.everything("hub.out.departement")
    assert _copies(after, erased, SDAS) == _copies(before, erased, SDAS)
    assert _copies(after, receipted, SDAS) == _copies(before, receipted, SDAS)
    assert _copies(after, receipted, "departement/mdd:87-limoges-nord") > _copies(
        before, receipted, "departement/mdd:87-limoges-nord"
    )  # the MDD has still not answered: it keeps coming
    traced = _hub("trace", erased_case, "--path", str(eager_hub.ledger))
    assert "its payloads can no longer be read" in traced.stdout
    assert _hub("ledger", "verify", "--path", str(eager_hub.ledger)).returncode == 0
