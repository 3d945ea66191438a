import json
from pathlib import Path

import pytest

from adapters.academie.app import read_export
from adapters.sdk import Adapter, InvalidNotice, ReceivedFolder
from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory
from hub.settings import PROJECT_ROOT
from tests.conftest import example

IP = "ip.transmission"
NOWHERE = "127.0.0.1:9"  # never connected to: the notice is only built and checked
URGENT = PROJECT_ROOT / "scenario" / "samples" / "academie" / "ip-service-social-2026-11.json"


def test_a_school_exports_its_ip_as_the_office_of_its_uai(directory: PartnerDirectory) -> None:
    ip = example(IP, "caf-panazol-siblings", major=2)
    export = {"contract": IP, "office": "etablissement:0870015U", "notices": [ip]}
    [notice] = read_export(Path("ip-college.json"), json.dumps(export).encode())
    assert (notice.contract, notice.office, notice.payload) == (
        IP,
        "etablissement:0870015U",
        ip,
    )
    assert directory.has_office("academie", notice.office)


@pytest.mark.asyncio
async def test_an_urgent_ip_leaves_in_v3_saying_who_alerted_the_parquet(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    [notice] = read_export(URGENT, URGENT.read_bytes())
    assert notice.payload["urgency"] == "serious_immediate_danger"
    adapter = Adapter(
        "academie", NOWHERE, tmp_path / "etat", ReceivedFolder(tmp_path / "recus"), catalogue
    )
    try:
        record = adapter.notice(notice.contract, notice.office, notice.payload)
        assert record.headers["ce_dataschema"] == catalogue.contracts[IP].versions[3].schema_id
        assert json.loads(record.value)["parquet_alert"] == {
            "alerted_by": "sender",  # the social worker telephoned the Parquet (CASF L226-4 II)
            "alerted_at": "2026-10-05T16:20:00+02:00",
            "channel": "telephone",
            "court_commune_insee": "87085",
        }
        # Without it, the export is refused before anything leaves, the field named.
        unsaid = {k: v for k, v in notice.payload.items() if k != "parquet_alert"}
        with pytest.raises(InvalidNotice, match="/parquet_alert: required property is missing"):
            adapter.notice(notice.contract, notice.office, unsaid)
    finally:
        await adapter.stop()
