"""The recipient policy: legal kinds, and lines granting categories on a legal basis."""

from pathlib import Path

import pytest

from hub.catalogue.contracts import Catalogue, load_catalogue
from hub.catalogue.meta import ContractError
from hub.catalogue.policy import POLICY_FILE, RecipientPolicy
from tests.conftest import edit


def _kinds_allowed(policy: RecipientPolicy, category: str) -> set[str]:
    return {kind for kind in policy.kinds if policy.allows(kind, category)}


def test_the_shipped_lines_keep_what_the_law_keeps_apart(catalogue: Catalogue) -> None:
    policy = catalogue.policy
    assert set(policy.kinds) >= {
        "child-protection",
        "education",
        "social-services",
        "housing-fund",
        "gendarmerie-social-worker",
        "benefit-payer",
        "housing-commission",
        "landlord",
        "hospital",
    }
    # The facts of an IP reach the CRIP alone (CASF L226-2-1, L226-3).
    assert _kinds_allowed(policy, "child-protection-facts") == {"child-protection"}
    # Its sender hears the outcome only (L226-5): the CRIP evaluates, it is told nothing back.
    senders = {"education", "gendarmerie-social-worker", "social-services", "benefit-payer"}
    assert _kinds_allowed(policy, "evaluation-outcome") == senders | {"hospital"}
    # An allocataire's number stays in the housing flows (loi 90-449 art. 7-2; CCH L824-1/2).
    assert _kinds_allowed(policy, "partner-file-number") == {"housing-commission", "benefit-payer"}
    # No social assessment back to the gendarmes; nothing of a person to a landlord.
    assert "gendarmerie-social-worker" not in _kinds_allowed(policy, "social-assessment")
    landlords = {c for c in catalogue.categories.ids if policy.allows("landlord", c)}
    assert landlords == {"reference", "date", "code"}
    # No line carries health data, and the FSL has no child-protection or school data.
    assert _kinds_allowed(policy, "health") == set()
    assert not policy.allows("housing-fund", "schooling")
    for line in policy.lines:
        assert line.basis.strip()
        assert line.why.strip()


def test_the_lines_granting_a_category_are_named(catalogue: Catalogue) -> None:
    granting = catalogue.policy.granting("child-protection-facts")
    assert [(line.id, line.kinds) for line in granting] == [
        ("ip-collection", ("child-protection",))
    ]
    assert catalogue.policy.granting("health") == ()


@pytest.fixture
def policy_file(copy: Path) -> Path:
    return copy / "contracts" / POLICY_FILE


@pytest.mark.parametrize(
    ("old", "new", "fault"),
    [
        (
            "    kinds: [child-protection]\n",
            "    kinds: [crip]\n",
            "line ip-collection names legal kinds not defined under `kinds`: crip",
        ),
        (
            "[evaluation-outcome]",
            "[evaluation-report]",
            "names categories evaluation-report, which the data categories do not define",
        ),
        ("  - id: ip-feedback\n", "  - id: ip-collection\n", "line ids given twice: ip-collection"),
        ("    basis: CASF L226-5\n", "    basis: ' '\n", "a line names its legal `basis`"),
        ("  landlord:\n", "  Landlord:\n", "invalid legal kinds: Landlord"),
    ],
)
def test_a_wrong_policy_is_refused_naming_its_file_and_fault(
    copy: Path, policy_file: Path, old: str, new: str, fault: str
) -> None:
    edit(policy_file, old, new)
    with pytest.raises(ContractError, match=r"the recipient policy .* is wrong") as raised:
        load_catalogue(copy / "contracts")
    assert str(policy_file) in str(raised.value)
    assert fault in str(raised.value)


def test_a_catalogue_without_its_policy_is_refused(copy: Path, policy_file: Path) -> None:
    policy_file.unlink()
    with pytest.raises(ContractError, match="cannot read the recipient policy"):
        load_catalogue(copy / "contracts")
