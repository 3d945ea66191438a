"""The published catalogue cites, for each rule, the text that grounds it.

Read from the committed documents (`docs/contracts.md`, `docs/asyncapi.yaml`), which
`test_docs.py` holds to what the catalogue generates: what partners read is what is checked.
"""

from typing import Any

import pytest
import yaml

from hub.settings import PROJECT_ROOT

DOCS = PROJECT_ROOT / "docs"


def _section(contract: str) -> str:
    text = (DOCS / "contracts.md").read_text(encoding="utf-8")
    assert f"\n## `{contract}`\n" in text, contract
    return text.split(f"\n## `{contract}`\n", 1)[1].split("\n## ", 1)[0]


def _line(contract: str, start: str) -> str:
    [line] = [line for line in _section(contract).splitlines() if line.startswith(start)]
    return line


def _payload_description(message: str) -> str:
    document: dict[str, Any] = yaml.safe_load((DOCS / "asyncapi.yaml").read_text("utf-8"))
    return str(document["components"]["messages"][message]["payload"]["schema"]["description"])


def test_the_feedback_to_an_ip_s_sender_rests_on_l226_5_not_on_the_evaluation_s_article() -> None:
    line = _line("ip.transmission", "- Deadline `feedback` ")
    basis = line.split("): ", 1)[0]
    assert "L226-5" in basis
    assert "2022-140" in basis
    assert "D226-2-4" not in line  # the evaluation's own deadline, listed on its own line
    assert "D226-2-4" in _line("ip.transmission", "- Deadline `evaluation` ")


@pytest.mark.parametrize("contract", ["hub.receipt", "hub.routing-alert"])
def test_the_hub_s_records_of_every_flow_cite_no_flow_s_law(contract: str) -> None:
    basis = _line(contract, "- Legal basis: ")
    assert "CASF" not in basis
    assert "art. 5.2" in basis
    assert "art. 32" in basis
    assert "Convention entre les partenaires" in basis


def test_the_deadline_alert_rests_on_the_partners_convention_and_each_deadline_s_own_text() -> None:
    basis = _line("hub.deadline-alert", "- Legal basis: ")
    assert "CASF" not in basis
    assert "89-462" not in basis
    assert "Convention entre les partenaires" in basis
    [english] = [p for p in _section("hub.deadline-alert").split("\n\n") if "Some notices" in p]
    assert "the law sets others" not in english  # the six weeks were cited as the law's
    assert "those six weeks are the tenant's time, not the diagnosis's" in english
    assert "CASF L226-5, as amended by loi 2022-140" in english


def test_a_diagnosis_at_the_commandement_is_due_by_the_partners_agreement() -> None:
    line = _line("logement.demande-diagnostic", "- Deadline `commandement` ")
    assert line.startswith("- Deadline `commandement` (partners' agreement: a département sets")
    assert "tenant" in line


def test_the_isg_is_placed_under_l121_1_1() -> None:
    assert "CASF, art. L121-1-1" in _line("isg.orientation", "- Legal basis: ")
    assert "(CASF L121-1-1)" in _section("isg.orientation")


def test_the_convocation_s_outcome_cites_the_school_law_and_social_action() -> None:
    basis = _line("absenteisme.issue-convocation", "- Legal basis: ")
    assert "L226-2-2" not in basis
    for text in ("L131-8", "2014-159", "L121-1 et L123-2"):
        assert text in basis


@pytest.mark.parametrize(
    ("message", "articles"),
    [
        ("logement.decision-payeur.v1", ("R824-8", "R824-11", "R824-19", "R824-28")),
        ("logement.demande-avis.v1", ("R824-8", "R824-11")),
    ],
)
def test_the_payer_s_schemas_cite_the_codified_articles(
    message: str, articles: tuple[str, ...]
) -> None:
    description = _payload_description(message)
    assert all(article in description for article in articles)
    assert "décret 2016-748)" not in description  # the decree only as their origin
    assert "the articles décret 2016-748 was codified into" in description
