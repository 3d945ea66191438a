"""The generated catalogue and AsyncAPI document: fresh, complete and self-consistent."""

from pathlib import Path
from typing import Any

import yaml

from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory, load_directory
from hub.catalogue.docs import asyncapi, markdown
from hub.settings import PROJECT_ROOT
from hub.wire.topics import all_topics
from tests.conftest import DIRECTORY

DOCS = PROJECT_ROOT / "docs"


def test_the_committed_docs_are_what_the_catalogue_generates(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    """Fails when a contract changed without `hub contracts docs` being run."""
    assert (DOCS / "contracts.md").read_text(encoding="utf-8") == markdown(catalogue, directory)
    assert (DOCS / "asyncapi.yaml").read_text(encoding="utf-8") == asyncapi(catalogue, directory)


def test_every_contract_has_a_section_naming_its_offices(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    text = markdown(catalogue, directory)
    for contract in catalogue.contracts.values():
        section = text.split(f"## `{contract.id}`", 1)[1].split("\n## ", 1)[0]
        for consumer in contract.meta.consumers:
            for field in consumer.fields:
                assert f"`{field}`" in section, (contract.id, field)


def test_a_pinned_office_is_named_with_the_major_it_reads(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    raw = yaml.safe_load(DIRECTORY.read_text(encoding="utf-8"))
    crip = raw["partners"]["departement"]["offices"]["crip"]
    crip["consumes"] = {"ip.transmission": {"major": 1, "accepts_loss_of": ["other_minors"]}}
    path = tmp_path / "directory.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    text = markdown(catalogue, load_directory(path))
    section = text.split("## `ip.transmission`", 1)[1].split("\n## ", 1)[0]
    assert "- Versions: v1 (1.0), v2 (2.0); departement/crip reads v1" in section


def _resolve(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_the_asyncapi_document_covers_every_topic_and_version_and_its_refs_resolve(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    document = yaml.safe_load(asyncapi(catalogue, directory))
    assert document["asyncapi"] == "3.0.0"
    assert set(document["channels"]) == set(all_topics(directory.partners))
    versions = {f"{c.id}.v{m}" for c in catalogue.contracts.values() for m in c.versions}
    assert set(document["components"]["messages"]) == versions
    for operation in document["operations"].values():
        assert _resolve(document, operation["channel"]["$ref"])["address"]
        for message in operation["messages"]:
            assert "payload" in _resolve(document, _resolve(document, message["$ref"])["$ref"])
    inbound_ccapex = document["channels"]["hub.in.ccapex"]["messages"]
    assert "logement.decision-aide.v1" in inbound_ccapex
    assert "ip.transmission.v2" not in inbound_ccapex
