"""Data categories: the file, every leaf's category, what a projection receives, the faults."""

import shutil
from pathlib import Path

import pytest

from hub.catalogue.categories import category_problems, leaf_categories, received
from hub.catalogue.category_file import CATEGORIES_FILE, load_categories
from hub.catalogue.checks import consistency
from hub.catalogue.contracts import Catalogue, load_catalogue
from hub.catalogue.directory import PartnerDirectory, load_directory
from hub.catalogue.examples import examples
from hub.catalogue.meta import ContractError
from hub.catalogue.projection import leaf_paths
from tests.conftest import CONTRACTS, edit

# The ids policy lines are written against: renaming one breaks them.
IDS = (
    "child-identity",
    "adult-identity",
    "address",
    "child-protection-facts",
    "evaluation-outcome",
    "social-assessment",
    "schooling",
    "criminal-offence",
    "health",
    "partner-file-number",
    "reference",
    "date",
    "code",
)


def test_the_shipped_categories_are_the_agreed_ids_each_described_in_french_and_english(
    catalogue: Catalogue,
) -> None:
    categories = load_categories(CONTRACTS / CATEGORIES_FILE)
    assert categories.ids == IDS
    assert catalogue.categories == categories
    assert all(text.fr.strip() and text.en.strip() for text in categories.root.values())


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (None, "cannot read the data categories"),
        ("date: [unclosed\n", "not YAML"),
        ("Child Identity: {fr: a, en: b}\n", "each entry is a category id"),
        ("date: {fr: une date}\n", "date.en: Field required"),
        ("date: {fr: a, en: b, de: c}\n", "date.de: Extra inputs are not permitted"),
        ("- date\n", "each entry is a category id"),
        ("{}\n", "defines no data category"),
    ],
    ids=["missing", "not-yaml", "bad-id", "no-english", "unknown-key", "a-list", "empty"],
)
def test_a_categories_file_that_cannot_be_used_is_refused_naming_it(
    tmp_path: Path, text: str | None, said: str
) -> None:
    path = tmp_path / "categories.yaml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(ContractError) as raised:
        load_categories(path)
    assert str(raised.value).startswith(f"{path}: ")
    assert said in str(raised.value)


def test_the_catalogue_does_not_load_without_its_categories(copy: Path) -> None:
    (copy / "contracts" / CATEGORIES_FILE).unlink()
    with pytest.raises(ContractError, match=r"categories\.yaml: cannot read the data categories"):
        load_catalogue(copy / "contracts")


def test_each_leaf_takes_the_nearest_declaration(catalogue: Catalogue) -> None:
    ip = leaf_categories(catalogue.contracts["ip.transmission"].versions[2], catalogue.registry)
    assert ip["child.birth_date"] == "child-identity"  # inside the shared definition
    assert ip["guardians[].relationship"] == "adult-identity"  # on the array, over the $ref
    assert ip["facts[].observed_on"] == "child-protection-facts"  # on the array above it
    assert ip["other_minors[].birth_date"] == "child-protection-facts"
    assert ip["sender_service.name"] == "address"
    assert ip["sender_service.uai"] == "code"  # its own, nearer than its object's
    assert ip["school_uai"] == "schooling"
    # The same shared guardian is whoever the notice makes them: reported to the prosecutor.
    for contract, category in (
        ("instruction.mise-en-demeure", "adult-identity"),
        ("instruction.signalement-parquet", "criminal-offence"),
    ):
        leaves = leaf_categories(catalogue.contracts[contract].versions[1], catalogue.registry)
        assert leaves["guardians[].last_name"] == category
    referral = catalogue.contracts["logement.saisine-impayes"].versions[1]
    assert leaf_categories(referral, catalogue.registry)["caf_allocataire.caf_number"] == (
        "partner-file-number"
    )
    warning = catalogue.contracts["absenteisme.avertissement"].versions[1]
    leaves = leaf_categories(warning, catalogue.registry)
    assert leaves["measures_taken"] == "schooling"  # an array of codes is one leaf
    assert "measures_taken[]" not in leaves
    assert "pupil" not in leaves  # an object is not a leaf


def test_a_projection_receives_every_leaf_under_the_fields_it_names(catalogue: Catalogue) -> None:
    leaves = leaf_categories(catalogue.contracts["ip.transmission"].versions[1], catalogue.registry)
    assert received(leaves, ["child", "guardians[].last_name", "urgency"]) == {
        "urgency": "child-protection-facts",
        "child.last_name": "child-identity",
        "child.first_names": "child-identity",
        "child.birth_date": "child-identity",
        "child.sex": "child-identity",
        "guardians[].last_name": "adult-identity",
    }
    assert received({"a.b": "x", "ab": "y", "l[].m": "z", "l2": "w"}, ["a", "l"]) == {
        "a.b": "x",
        "l[].m": "z",
    }
    assert received(leaves, []) == {}


def _problems(root: Path) -> list[str]:
    catalogue = load_catalogue(root / "contracts")
    return consistency(catalogue, load_directory(root / "directory.yaml"))


RETOUR = "contracts/ip.retour/v1/schema.json"
OUTCOME = '"x-category": "evaluation-outcome",'


def test_a_leaf_with_no_category_is_a_fault_naming_contract_version_and_field(copy: Path) -> None:
    edit(copy / RETOUR, OUTCOME, "")
    [problem] = _problems(copy)
    assert problem == (
        "ip.retour v1: field outcome has no data category: declare "
        '`"x-category": "<id>"` on its property, or on a property above it (the ids are in '
        "contracts/_policy/categories.yaml)"
    )
    catalogue = load_catalogue(copy / "contracts")
    with pytest.raises(ContractError, match=r"ip\.retour v1: field outcome has no data category"):
        leaf_categories(catalogue.contracts["ip.retour"].versions[1], catalogue.registry)


def test_a_category_the_file_does_not_define_is_a_fault(copy: Path) -> None:
    edit(copy / RETOUR, OUTCOME, '"x-category": "evaluation-result",')
    assert _problems(copy) == [
        f'{RETOUR}: `x-category` at /properties/outcome names "evaluation-result", which '
        "contracts/_policy/categories.yaml does not define: use one of " + ", ".join(IDS)
    ]


def test_a_category_on_no_property_is_a_fault(copy: Path) -> None:
    definitions = copy / "contracts/_definitions/v1/schema.json"
    edit(definitions, '"type": "object",', '"type": "object", "x-category": "child-identity",')
    [problem] = _problems(copy)
    assert problem == (
        "contracts/_definitions/v1/schema.json: `x-category` at /$defs/child is on no property, "
        "where nothing reads it: declare it on the property whose fields it is for "
        "(`properties/<name>`), or on one above it"
    )


def test_the_hub_refuses_to_start_on_what_the_check_refuses(copy: Path) -> None:
    """`consistency` is what the hub runs at start: the faults above stop it."""
    edit(copy / RETOUR, OUTCOME, "")
    catalogue = load_catalogue(copy / "contracts")
    assert category_problems(catalogue) == _problems(copy)


def test_every_shipped_contract_version_is_complete(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    assert category_problems(catalogue) == []
    assert consistency(catalogue, directory) == []
    for contract in catalogue.contracts.values():
        found = examples(contract)
        for major, version in contract.versions.items():
            leaves = leaf_categories(version, catalogue.registry)
            assert set(leaves.values()) <= set(catalogue.categories.ids), contract.id
            # Every leaf a valid example carries is one the walk found (or an empty array of
            # objects, whose items' leaves it found).
            for example in (e for e in found if e.major == major and e.valid):
                for path in leaf_paths(example.payload):
                    under = (f"{path}[].", f"{path}.")
                    assert path in leaves or any(leaf.startswith(under) for leaf in leaves), (
                        example.path,
                        path,
                    )


def test_a_copy_of_the_shipped_catalogue_is_complete_too(tmp_path: Path) -> None:
    """The check reads the categories from the catalogue's own folder, wherever it is."""
    shutil.copytree(CONTRACTS, tmp_path / "contracts")
    assert category_problems(load_catalogue(tmp_path / "contracts")) == []
