"""The month's last part: January 2027, when the CCAPEX decides on the housing benefit.

The hub is restarted on the same state with its calendar in January (the drill's clock
setting, `scenario.clock`). The December file stays under December's rules, where the payer
decides and informs the CCAPEX; files the hub opens in January are under the 2027 rules, where
the payer refers and the CCAPEX decides (logement.decision-ccapex), its decision reaching the
referring payer alone. Each side's notice in the other's file is refused as not in force.
"""

from __future__ import annotations

import asyncio
import json
import textwrap
from collections.abc import Callable
from typing import Any

from hub.core.outgoing import ALERT
from scenario.clock import JANUARY, MOVES, SETTING, STAYS, setting
from scenario.institutions import SAMPLES, Incomplete, Institutions

DECISION = "logement.decision-ccapex"
REFERRAL = "logement.saisine-impayes"
# The December file's reviews (due 5 January), which the January calendar finds run out:
# (partner, contract of the notice, deadline).
REVIEWS = {
    ("caf", "logement.decision-payeur", "review"),
    ("ccapex", "logement.decision-payeur", "review"),
    ("ccapex", "logement.avis", "review"),
}
# The January referrals and the CCAPEX's decision on each: (payer, export, decision sample).
REFERRALS = (
    ("caf", "saisines-impayes-2027-01.json", "decision-ccapex-caf.json"),
    ("msa", "saisines-impayes-2027-01.json", "decision-ccapex-msa.json"),
)


def _of(payer: str, number: str) -> Callable[[dict[str, Any]], bool]:
    """Whether a housing notice names this payer's allocataire."""

    def named(payload: dict[str, Any]) -> bool:
        found = payload.get("payer", {})
        return (found.get("organisation"), found.get("allocataire_number")) == (payer, number)

    return named


def _allocataire(payer: str, export: str) -> str:
    """The allocataire a payer's one-referral sample export names."""
    document = json.loads((SAMPLES / payer / export).read_text(encoding="utf-8"))
    number: str = document["notices"][0]["payer"]["allocataire_number"]
    return number


def _decided_on(day: str) -> Callable[[dict[str, Any]], bool]:
    return lambda payload: payload.get("decided_on") == day


async def january(month: Institutions) -> None:
    """Restart the hub in January 2027 and play both regimes' files side by side."""
    month.say("\nJanuary 2027: the hub restarted on its state, its calendar set to Friday 15")
    month.say(
        f"        January 2027 ({SETTING}={setting(JANUARY)[SETTING]}). Moving its clock moves:"
    )
    for line in MOVES:
        month.say(_item(line))
    month.say("        and leaves on the real clock:")
    for line in STAYS:
        month.say(_item(line))
    await asyncio.to_thread(month.cast.restart_hub, **setting(JANUARY), HUB_DEADLINE_CHECK_S="1")

    month.say("        On that calendar, the December file's reviews (5 January) have run out:")
    month.say("        the CAF and the CCAPEX are alerted. The file opened on 7 December stays")
    month.say("        under December's rules: the CAF reviews its decision and informs the")
    month.say("        CCAPEX (logement.decision-payeur, accepted); the CCAPEX cannot decide in")
    month.say("        it (logement.decision-ccapex: refused, not in force for that file).")
    await month.until(lambda: _reviews_alerted(month), "the December file's review alerts")
    december = await month.accepted("caf", "saisines-impayes-2026-11.json", line=1)
    month.export("caf", "logement.decision-payeur", "decision-payeur-2027-01.json", december)
    referral = await month.received_document(
        "ccapex", REFERRAL, _of("caf", _allocataire("caf", "saisines-impayes-2026-11.json"))
    )
    misplaced = month.export("ccapex", DECISION, "decision-ccapex-2026.json", referral)

    month.say("        The CAF refers a household owing 392 euros since September (arrears under")
    month.say("        décret 2026-84: unpaid three months, which R824-1's twice the rent would")
    month.say("        not have called arrears); the MSA refers a farm household owing 310 euros")
    month.say("        since November (not yet arrears: carried all the same). The CCAPEX's")
    month.say("        commission decides on each, and each decision reaches the payer that")
    month.say("        referred, alone. The CAF's avis request in its January file is refused:")
    month.say("        asking the avis was the partners' agreement while the payer decided.")
    for payer, export, _ in REFERRALS:
        month.drop(payer, export)
    for payer, export, decision in REFERRALS:
        named = _of(payer, _allocataire(payer, export))
        referral = await month.received_document("ccapex", REFERRAL, named)
        month.export("ccapex", DECISION, decision, referral)
    opened = await month.accepted("caf", "saisines-impayes-2027-01.json", line=1)
    asked = month.export("caf", "logement.demande-avis", "demande-avis-2027-01.json", opened)

    await month.rejected("ccapex", misplaced)
    await month.rejected("caf", asked)
    await month.received_document("ccapex", "logement.decision-payeur", _decided_on("2027-01-14"))
    for payer in ("caf", "msa"):
        await month.received_document(payer, DECISION)
    await month.until(
        lambda: not _waiting(month), "every January notice answered", lambda: _waiting(month)
    )
    _each_payer_alone(month)


def _item(text: str) -> str:
    """One item of a list in the narration, wrapped under its dash."""
    return textwrap.fill(text, 96, initial_indent=" " * 10 + "- ", subsequent_indent=" " * 12)


def _reviews_alerted(month: Institutions) -> bool:
    """Whether the December file's reviews were alerted to the CAF and the CCAPEX."""
    alerted = {
        (partner, a["payload"]["contract"], a["payload"]["deadline"])
        for partner in ("caf", "ccapex")
        for a in month.received(partner, ALERT)
    }
    return alerted >= REVIEWS


def _waiting(month: Institutions) -> list[str]:
    """The housing partners with notices the hub has not yet answered."""
    return [p for p in ("caf", "msa", "ccapex") if month.tally(p).pending]


def _each_payer_alone(month: Institutions) -> None:
    """Each CCAPEX decision reached the payer it names, and no other."""
    for payer in ("caf", "msa"):
        named = {d["payload"]["payer"]["organisation"] for d in month.received(payer, DECISION)}
        if named != {payer}:
            raise Incomplete(f"the {payer}'s decisions name {sorted(named)}")
