import json
from pathlib import Path

from adapters.academie.app import read_export
from hub.catalogue.directory import PartnerDirectory
from tests.conftest import example


def test_a_school_exports_its_ip_as_the_office_of_its_uai(directory: PartnerDirectory) -> None:
    ip = example("ip.transmission", "caf-panazol-siblings", major=2)
    export = {"contract": "ip.transmission", "office": "etablissement:0870015U", "notices": [ip]}
    [notice] = read_export(Path("ip-college.json"), json.dumps(export).encode())
    assert (notice.contract, notice.office, notice.payload) == (
        "ip.transmission",
        "etablissement:0870015U",
        ip,
    )
    assert directory.has_office("academie", notice.office)
