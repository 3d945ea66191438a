"""Routing: fixed offices, the MDD by commune, conditional consumers, the answered sender."""

from __future__ import annotations

import copy
from typing import Any

from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory
from hub.core.routing import Origin, Router
from tests.conftest import FORMAL_NOTICE, example

LIMOGES = example(FORMAL_NOTICE, "limoges-no-known-school")
TO_MDD = example("logement.orientation", "saint-junien-to-mdd")
TO_FSL = example("logement.orientation", "limoges-to-fsl")


def _addresses(
    router: Router, catalogue: Catalogue, contract: str, payload: dict[str, Any]
) -> list[str]:
    found, _ = router.recipients(catalogue.contracts[contract], payload)
    return [r.address for r in found]


def test_a_formal_notice_goes_to_the_sdas_and_the_mdd_serving_the_commune(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    router = Router(directory)
    assert _addresses(router, catalogue, FORMAL_NOTICE, LIMOGES) == [
        "departement/sdas",
        "departement/mdd:87-limoges-nord",
    ]


def test_a_commune_no_mdd_serves_is_left_unrouted_never_guessed(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    elsewhere = copy.deepcopy(LIMOGES)
    elsewhere["address"]["commune_insee"] = "23096"  # Guéret, in another département
    found, unrouted = Router(directory).recipients(catalogue.contracts[FORMAL_NOTICE], elsewhere)
    assert [r.address for r in found] == ["departement/sdas"]
    assert [(u.consumer, u.cause) for u in unrouted] == [
        ("departement/mdd", "no office serves the commune")
    ]


def test_a_conditional_consumer_receives_only_what_its_condition_names(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    router = Router(directory)
    assert _addresses(router, catalogue, "logement.orientation", TO_MDD) == [
        "departement/mdd:87-saint-junien"
    ]
    assert _addresses(router, catalogue, "logement.orientation", TO_FSL) == ["departement/fsl"]


def test_an_answer_goes_to_the_office_that_sent_the_notice_it_answers(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    feedback = example("ip.retour", "classement-college")
    origin = Origin("ip-1", "/isg/isg", "ip.transmission", "case-1")
    found, unrouted = Router(directory).recipients(
        catalogue.contracts["ip.retour"], feedback, origin
    )
    assert ([r.address for r in found], unrouted) == (["isg/isg"], [])
    alone, missing = Router(directory).recipients(catalogue.contracts["ip.retour"], feedback)
    assert alone == []
    assert [u.cause for u in missing] == ["the notice answers no notice"]


def test_each_office_gets_its_own_projection(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    found, _ = Router(directory).recipients(catalogue.contracts[FORMAL_NOTICE], LIMOGES)
    sdas, mdd = (r.projection.apply(LIMOGES) for r in found)
    assert sdas["reason"] == LIMOGES["reason"]
    assert "reason" not in mdd
    assert set(mdd["guardians"][0]) <= {"last_name", "first_name", "relationship"}


def test_an_answer_to_a_school_goes_to_that_school_alone(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    feedback = example("ip.retour", "classement-college")
    origin = Origin("ip-1", "/academie/etablissement:0870015U", "ip.transmission", "case-1")
    found, unrouted = Router(directory).recipients(
        catalogue.contracts["ip.retour"], feedback, origin
    )
    assert ([r.address for r in found], unrouted) == (["academie/etablissement:0870015U"], [])
    assert directory.has_office("academie", found[0].office)
