"""`hub contracts check` refuses an answer compared on a field its producer is not given (issue 20).

An answer is compared (`matches`) with the notice it answers, and refused as `answer.mismatch`
when they differ: a producer of the answer that does not receive a compared field in the
answered notice would learn it, one rejection at a time.
"""

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import edit
from tests.tools.test_contract_commands import _check

IP, RETOUR = "ip.transmission", "ip.retour"


def _crip_not_given_the_reference(copy: Path) -> None:
    edit(copy / "contracts" / IP / "contract.yaml", "      - sender_reference\n", "")


def _sdas_answers_without_the_reference(copy: Path) -> None:
    edit(
        copy / "contracts" / RETOUR / "contract.yaml",
        "producers:\n  - departement/crip\n",
        "producers:\n  - departement/crip\n  - departement/sdas\n",
    )
    edit(
        copy / "contracts" / IP / "contract.yaml",
        "consumers:\n",
        "consumers:\n  - office: departement/sdas\n    fields: [sent_on, urgency]\n",
    )


@pytest.mark.parametrize(
    "fault", [_crip_not_given_the_reference, _sdas_answers_without_the_reference]
)
def test_an_answer_compared_on_a_field_its_producer_is_not_given_is_refused(
    copy: Path, fault: Callable[[Path], None]
) -> None:
    fault(copy)  # ip.retour `matches` ip.transmission on `same: [sender_reference]`
    checked = _check(copy)
    assert checked.returncode != 0, checked.stdout
    named = [f for f in checked.stdout.splitlines() if RETOUR in f and "sender_reference" in f]
    assert named, checked.stdout
