"""What the kit plays, and why it has nothing to deliver when it has not."""

import shutil
from datetime import date
from pathlib import Path

from adapters.conformance.samples import deliveries_to, nothing_delivered, sent_samples
from hub.catalogue.contracts import Catalogue, load_catalogue
from hub.catalogue.directory import PartnerDirectory
from tests.conftest import CCAPEX_DECIDES, CONTRACTS, PAYER_DECIDES


def test_a_partner_no_example_reaches_is_told_which_consumer_and_what_to_add(
    tmp_path: Path, directory: PartnerDirectory
) -> None:
    shutil.copytree(CONTRACTS, tmp_path / "contracts")
    avis = tmp_path / "contracts" / "logement.avis" / "v1" / "examples" / "valid"
    path = avis / "plan-and-fsl.json"
    path.write_text(path.read_text(encoding="utf-8").replace('"fsl": true', '"fsl": false'))
    message = nothing_delivered(load_catalogue(tmp_path / "contracts"), directory, "departement")
    assert message.startswith(
        "departement receives no contract the catalogue's valid examples reach: nothing to "
        f"check. {avis}: no valid example of logement.avis v1 reaches its consumer "
        "departement/fsl"
    )
    assert "add a valid example there whose acting.fsl is one of [true]." in message


def test_a_partner_named_nowhere_is_told_to_be_named_a_consumer(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    assert deliveries_to(catalogue, directory, "nobody") == []
    message = nothing_delivered(catalogue, directory, "nobody")
    assert message.startswith("nobody receives no contract: nothing to check. Name its offices")
    assert "`consumers` in contracts/<id>/contract.yaml" in message


def test_the_kit_plays_the_housing_regime_of_the_day_it_judges_on(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    december, january = PAYER_DECIDES.date(), CCAPEX_DECIDES.date()

    def received(partner: str, day: date) -> set[str]:
        return {n.contract.id for n in deliveries_to(catalogue, directory, partner, day)}

    def sent(partner: str, day: date) -> set[str]:
        return {s.contract for s in sent_samples(catalogue, directory, partner, day)}

    assert "logement.decision-payeur" in sent("caf", december)
    assert "logement.decision-payeur" not in sent("caf", january)
    assert "logement.decision-ccapex" in received("caf", january)
    assert "logement.decision-ccapex" not in received("caf", december)
    assert "logement.decision-ccapex" in received("msa", january)
    assert "logement.decision-payeur" in received("ccapex", december)
    assert "logement.decision-payeur" not in received("ccapex", january)
