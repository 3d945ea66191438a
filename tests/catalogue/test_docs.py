"""The generated catalogue and AsyncAPI document: fresh, complete and self-consistent."""

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import yaml
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from hub.catalogue.categories import leaf_categories
from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory, load_directory
from hub.catalogue.docs import asyncapi, markdown
from hub.catalogue.keywords import validators
from hub.settings import PROJECT_ROOT
from hub.wire.topics import all_topics
from tests.conftest import CONTRACTS, DIRECTORY

DOCS = PROJECT_ROOT / "docs"
# The official parser (what AsyncAPI Studio and the generator use), as `make tools` installs it.
PARSER = PROJECT_ROOT / ".tools" / "asyncapi"
PARSE = Path(__file__).parent / "asyncapi" / "check.mjs"


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


def test_every_contract_shows_each_field_in_the_row_of_its_data_category(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    text = markdown(catalogue, directory)
    for category in catalogue.categories.ids:
        assert f"- `{category}`: " in text.split("\n## `", 1)[0]  # before the first contract
    for contract in catalogue.contracts.values():
        section = text.split(f"## `{contract.id}`", 1)[1].split("\n## ", 1)[0]
        rows = {
            line.split(" | ")[0].removeprefix("| `").removesuffix("`"): line
            for line in section.splitlines()
            if line.startswith("| `") and " | `" in line
        }
        for version in contract.versions.values():
            for field, category in leaf_categories(version, catalogue.registry).items():
                assert f"`{field}`" in rows[category], (contract.id, field)
    section = text.split("## `ip.transmission`", 1)[1].split("\n## ", 1)[0]
    assert "`other_minors[].birth_date` (v2, v3)" in section  # only in the majors it is in
    assert "`parquet_alert.channel` (v3)" in section
    assert "`facts[].observed_on`," in section


def test_a_pinned_office_is_named_with_the_major_it_reads(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    raw = yaml.safe_load(DIRECTORY.read_text(encoding="utf-8"))
    crip = raw["partners"]["departement"]["offices"]["crip"]
    lost = ["other_minors", "parquet_alert"]
    crip["consumes"] = {"ip.transmission": {"major": 1, "accepts_loss_of": lost}}
    path = tmp_path / "directory.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    text = markdown(catalogue, load_directory(path))
    section = text.split("## `ip.transmission`", 1)[1].split("\n## ", 1)[0]
    versions = "- Versions: v1 (1.1), v2 (2.1), v3 (3.0)"
    assert f"{versions}; departement reads v3, departement/crip reads v1" in section


def _resolve(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_the_asyncapi_document_covers_every_topic_and_version_and_its_refs_resolve(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    document = yaml.safe_load(asyncapi(catalogue, directory))
    assert document["asyncapi"] == "3.1.0"
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


def test_the_bundled_payloads_judge_every_example_as_the_contracts_do(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    """Inlined schemas and their definitions made local still mean what the contracts say."""
    document = yaml.safe_load(asyncapi(catalogue, directory))
    assert "partner-hub.example" not in json.dumps(document["components"]["schemas"])
    bundled = "urn:asyncapi"
    registry: Registry[Any] = Registry().with_resource(
        bundled, DRAFT202012.create_resource(document)
    )
    fast_registry = jsonschema_rs.Registry([(bundled, document)])
    judged = 0
    for contract in catalogue.contracts.values():
        for major, version in contract.versions.items():
            message = document["components"]["messages"][f"{contract.id}.v{major}"]
            assert "partner-hub.example" not in json.dumps(message["payload"])
            pointer = f"{bundled}#/components/messages/{contract.id}.v{major}/payload/schema"
            explaining, deciding = validators({"$ref": pointer}, registry, fast_registry)
            for path in (CONTRACTS / contract.id / f"v{major}" / "examples").rglob("*.json"):
                payload = json.loads(path.read_text(encoding="utf-8"))
                payload.pop("$comment", None)
                verdict = version.accepts(payload)
                assert explaining.is_valid(payload) == deciding.is_valid(payload) == verdict, path
                judged += 1
    assert judged > 50


def _parsed(document: Path) -> dict[str, Any]:
    """What the official AsyncAPI parser makes of a document: diagnostics and counts."""
    node = shutil.which("node")
    if node is None:
        pytest.fail(
            "node is not installed: the AsyncAPI document is checked by the official parser"
        )
    if not (PARSER / "node_modules" / "@asyncapi" / "parser").is_dir():
        pytest.fail(f"@asyncapi/parser is not installed in {PARSER}: run `make tools`")
    run = subprocess.run(
        [node, str(PARSE), str(PARSER), str(document)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    parsed: dict[str, Any] = json.loads(run.stdout)
    return parsed


def test_the_official_parser_reads_the_committed_document_with_no_diagnostic(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    parsed = _parsed(DOCS / "asyncapi.yaml")
    assert parsed["diagnostics"] == []  # no error, warning, information or hint
    assert parsed["parsed"]
    assert parsed["channels"] == len(all_topics(directory.partners))
    assert parsed["operations"] == 2 * len(directory.partners)  # each partner sends, receives
    assert parsed["messages"] == sum(len(c.versions) for c in catalogue.contracts.values())
    document = yaml.safe_load((DOCS / "asyncapi.yaml").read_text(encoding="utf-8"))
    assert parsed["schemas"] == len(document["components"]["schemas"]) > 0


def test_the_official_parser_reports_a_reference_to_a_missing_component(
    catalogue: Catalogue, directory: PartnerDirectory, tmp_path: Path
) -> None:
    document = yaml.safe_load(asyncapi(catalogue, directory))
    payload = document["components"]["messages"]["ip.retour.v1"]["payload"]["schema"]
    payload["properties"]["concluded_on"]["$ref"] = "#/components/schemas/_definitions.v1.gone"
    broken = tmp_path / "asyncapi.yaml"
    broken.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), "utf-8")
    parsed = _parsed(broken)
    assert not parsed["parsed"]
    assert [(d["severity"], d["code"], d["path"]) for d in parsed["diagnostics"]] == [
        (
            "error",
            "invalid-ref",
            "components/messages/ip.retour.v1/payload/schema/properties/concluded_on/$ref",
        )
    ]
