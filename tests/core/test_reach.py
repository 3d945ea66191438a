"""Every recipient that depends on the payload is reached by a valid example, as routed."""

import json
import shutil
from pathlib import Path

import pytest

from hub.catalogue.contracts import Catalogue, load_catalogue
from hub.catalogue.directory import PartnerDirectory
from hub.core.reach import unreached
from hub.core.routing import Router
from tests.conftest import CONTRACTS, example

AVIS = "logement.avis"


def test_every_conditional_or_routed_recipient_of_the_catalogue_is_reached(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    assert [str(u) for u in unreached(catalogue, directory)] == []


def _replanted(tmp_path: Path, name: str, key: str, old: object, new: object) -> Path:
    root = tmp_path / "contracts"
    if not root.exists():
        shutil.copytree(CONTRACTS, root)
    path = root / AVIS / "v1" / "examples" / "valid" / f"{name}.json"
    payload = json.loads(path.read_text(encoding="utf-8"))
    node = payload
    *parents, last = key.split(".")
    for part in parents:
        node = node[part]
    assert node[last] == old
    node[last] = new
    path.write_text(json.dumps(payload), encoding="utf-8")
    return root


def test_a_conditional_recipient_no_valid_example_reaches_is_named_with_the_fix(
    tmp_path: Path, directory: PartnerDirectory
) -> None:
    root = _replanted(tmp_path, "plan-and-fsl", "acting.fsl", old=True, new=False)
    [found] = unreached(load_catalogue(root), directory)
    folder = root / AVIS / "v1" / "examples" / "valid"
    assert str(found) == (
        f"{folder}: no valid example of {AVIS} v1 reaches its consumer departement/fsl, which "
        "receives it only when acting.fsl is one of its `when` values: the conformance kit "
        "would have nothing of it to deliver to departement/fsl; add a valid example there "
        "whose acting.fsl is one of [true]"
    )


def test_a_routed_recipient_no_example_names_a_served_commune_for_is_named(
    tmp_path: Path, directory: PartnerDirectory
) -> None:
    root = _replanted(tmp_path, "suspend-with-support", "commune_insee", old="87154", new="75056")
    [found] = unreached(load_catalogue(root), directory, partner="departement")
    assert found.consumer.office == "departement/mdd"
    assert "through an office serving the commune at commune_insee" in str(found)
    assert "whose commune_insee is a commune an office of departement/mdd serves" in str(found)
    assert unreached(load_catalogue(root), directory, partner="caf") == []


@pytest.mark.parametrize(
    ("commune", "fsl", "reached"),
    [("87154", False, {"departement/mdd"}), ("75056", True, {"departement/fsl"})],
)
def test_the_check_asks_the_hubs_own_router(
    catalogue: Catalogue,
    directory: PartnerDirectory,
    commune: str,
    fsl: bool,  # noqa: FBT001 - a parameter of the case
    reached: set[str],
) -> None:
    payload = example(AVIS, "suspend-with-support") | {"commune_insee": commune}
    payload["acting"] = {"fsl": fsl, "mdd": True}
    router, contract = Router(directory), catalogue.contracts[AVIS]
    conditional = [c for c in contract.meta.consumers if c.when or c.route]
    assert {c.office for c in conditional if router.reaches(c, payload)} == reached
    # ...as the routing of a notice (its `answered` payer is not known here) finds them.
    routed, _ = router.recipients(contract, payload)
    assert {r.address.split(":", 1)[0] for r in routed} == reached
