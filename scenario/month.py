"""A small département's month, played through the hub by the six institutions' adapters.

Every notice starts where it would in life: a DSDEN export dropped in the académie's folder
(CSV or JSON), a request to the ISG's API, a CAF export, a CCAPEX export, or a caseworker's
reply posted by the département's application. Later steps wait for what earlier ones
caused (the CCAPEX asks for a diagnosis once the referral reached it, the DSDEN records a
regularisation once the hub has told it which notice its formal notice became), as the
institutions would. The hub's calendar is December 2026, then January 2027 for the last part
(`scenario.january`), when the CCAPEX decides on the housing benefit. At the end each
partner's adapter says what it sent and received.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp

from hub.core.outgoing import ALERT
from scenario.clock import SETTING, a_day_later, setting
from scenario.institutions import Institutions
from scenario.january import january

# What must have reached each partner's institution side for the month to be complete.
EXPECTED = {
    "academie": {"absenteisme.issue-convocation", "ip.retour", "hub.routing-alert"},
    "departement": {
        "absenteisme.avertissement",
        "absenteisme.convocation",
        "instruction.mise-en-demeure",
        "instruction.regularisation",
        "ip.transmission",
        "isg.orientation",
        "logement.demande-diagnostic",
        "logement.orientation",
        "logement.avis",
        "hub.routing-alert",
        "hub.recall",
    },
    "isg": {"ip.retour"},
    "caf": {"logement.avis"},
    "msa": {"logement.avis"},
    "ccapex": {
        "logement.saisine-impayes",
        "logement.diagnostic",
        "logement.demande-avis",
        "logement.decision-payeur",
    },
}


def _paid_by(organisation: str) -> Callable[[dict[str, Any]], bool]:
    """Whether a housing notice's benefit is paid by `organisation` (`caf`, `msa`)."""
    return lambda payload: payload.get("payer", {}).get("organisation") == organisation


class Month(Institutions):
    """The scenario's steps, against a started cast and the département's application."""

    async def play(self) -> None:
        """December's weeks, a day later, then January (`scenario.january`)."""
        await self._weeks_one_and_two()
        await self._weeks_three_and_four()
        await self._what_goes_wrong()
        self.say("\nWaiting for every delivery, answer and receipt...")
        await self.until_complete()
        await self._a_day_later()
        await january(self)

    async def _weeks_one_and_two(self) -> None:
        self.say(f"\nThe hub's calendar: Monday 7 December 2026 ({SETTING} in a drill). A file is")
        self.say("        judged by the rules of the day the hub accepted its first notice: until")
        self.say("        31 December 2026 the payer of the housing benefit decides on it (CCH")
        self.say("        R824-8) and informs the CCAPEX.")
        self.say("\nWeek 1: the DSDEN exports absenteeism warnings and a joint convocation;")
        self.say("        the CAF refers a family's rent arrears to the CCAPEX: the hub tells the")
        self.say(
            "        CCAPEX the debt is arrears under CCH R824-1 (twice the rent and charges)."
        )
        self.drop("academie", "avertissements-absenteisme-2026-11.csv")
        self.drop("academie", "convocations-2026-11.json")
        self.drop("caf", "saisines-impayes-2026-11.json")

        self.say("Week 2: the DSDEN sends two formal notices (CSV from its tool); the school")
        self.say("        social service, a collège's head (its school, by UAI) and the ISG each")
        self.say("        send an IP; the ISG orients a family. The MDD of Bellac finds a family")
        self.say("        is not in its sector and refuses the copy: the hub alerts the SDAS.")
        self.drop("academie", "mises-en-demeure-2026-11.csv")
        self.drop("academie", "ip-service-social-2026-11.json")
        self.drop("academie", "ip-etablissement-2026-11.json")
        await self.post("isg", "ip.json")
        await self.post("isg", "orientation.json")
        self.say("        The school social service's IP is urgent (serious and immediate danger):")
        self.say("        its social worker alerted the Parquet by telephone (CASF L226-4 II),")
        self.say("        and the IP says so. It reaches the CRIP and its on-call office as soon")
        self.say("        as the hub accepts it; both receipt it. The ISG sends an urgent IP too")
        self.say("        (the gendarmes alerted the Parquet), which the département's")
        self.say("        application cannot take in (incomplete), at the CRIP or on call.")
        await self.post("isg", "ip-urgente.json")
        await self.until(self._on_call_has_both, "the urgent IPs at the CRIP's on-call office")

    async def _weeks_three_and_four(self) -> None:
        self.say("Week 3: the CCAPEX asks the MDD for a social diagnosis of the referred family;")
        self.say("        the CRIP and the SDAS answer what reached them (their application).")
        referral = await self.received_document("ccapex", "logement.saisine-impayes")
        self.export("ccapex", "logement.demande-diagnostic", "demande-diagnostic.json", referral)

        self.say("Week 4: the first child of the formal notices is enrolled: the DSDEN records")
        self.say("        the regularisation. The CAF, which pays the housing benefit, asks the")
        self.say("        CCAPEX for its avis before suspending it (the partners' agreement, not")
        self.say("        the law); the CCAPEX advises a repayment plan and asks the FSL to act,")
        self.say("        and orients the family to the FSL, which the household agreed to; the")
        self.say("        CAF decides to maintain the benefit and informs the CCAPEX.")
        notice = await self.accepted("academie", "mises-en-demeure-2026-11.csv", line=2)
        self.export(
            "academie",
            "instruction.regularisation",
            "regularisation.json",
            notice,
            office="dsden",
        )
        diagnosis = await self.received_document("ccapex", "logement.diagnostic")
        self.export("ccapex", "logement.orientation", "orientation.json", diagnosis)
        referred = await self.accepted("caf", "saisines-impayes-2026-11.json", line=1)
        self.export("caf", "logement.demande-avis", "demande-avis.json", referred)
        request = await self.received_document("ccapex", "logement.demande-avis", _paid_by("caf"))
        self.export("ccapex", "logement.avis", "avis.json", request)
        await self.received_document("caf", "logement.avis")
        self.export("caf", "logement.decision-payeur", "decision-payeur.json", referred)
        self.say("        The MSA, which pays the benefit of a farm household, asks for an avis")
        self.say(
            "        too: the CCAPEX's avis reaches the MSA alone (and the MDD it asks to act),"
        )
        self.say("        and the MSA sends its decision.")
        self.drop("msa", "demande-avis.json")
        request = await self.received_document("ccapex", "logement.demande-avis", _paid_by("msa"))
        self.export("ccapex", "logement.avis", "avis-msa.json", request)
        avis = await self.received_document("msa", "logement.avis")
        self.export("msa", "logement.decision-payeur", "decision-payeur.json", avis)

        self.say("        The DSDEN recalls an absenteeism warning it sent in error: the SDAS is")
        self.say("        told, and receipts the recall.")
        warning = await self.accepted("academie", "avertissements-absenteisme-2026-11.csv", line=2)
        self.recall("academie", "dsden", warning, "absenteisme.avertissement", "sent_in_error")

    async def _what_goes_wrong(self) -> None:
        self.say("And what goes wrong: a damaged export, an export dropped twice, a request")
        self.say("        that breaks its contract, a formal notice for a child of 16 (out of the")
        self.say("        flow's scope: refused by the hub), a regularisation filed under the")
        self.say("        second formal notice but about the first child (refused: it does not")
        self.say("        match the notice it answers).")
        self.drop("academie", "mise-en-demeure-hors-champ.json")
        second = await self.accepted("academie", "mises-en-demeure-2026-11.csv", line=3)
        self.export(
            "academie", "instruction.regularisation", "regularisation.json", second, office="dsden"
        )
        await self.mishaps()

    async def _a_day_later(self) -> None:
        self.say("\nA day later (the hub's clock set 25 hours past the real instant, since the")
        self.say("        urgent IP's hours run from its real acceptance): the ISG's urgent IP")
        self.say("        was receipted neither by the CRIP nor on call: the CRIP's on-call office")
        self.say("        and the ISG are alerted (the school's, receipted at once, is not);")
        self.say("        the second formal notice's 15 days have run out: the DSDEN and the")
        self.say("        SDAS are alerted.")
        await asyncio.to_thread(
            self.cast.restart_hub, **setting(a_day_later()), HUB_DEADLINE_CHECK_S="1"
        )
        await self.until(self._alerted, "the deadline alerts")

    def _on_call_has_both(self) -> bool:
        """Whether both urgent IPs reached the CRIP's on-call office (and so its application)."""
        urgent = {
            d["from"]
            for d in self.application.received.values()
            if d["contract"] == "ip.transmission" and d["to"] == "departement/crip-astreinte"
        }
        return urgent == {"/academie/service-social", "/isg/isg"}

    def _alerted(self) -> bool:
        """Whether the urgent IP's and the formal notice's deadline alerts have arrived."""
        at_isg = self.tally("isg").received.get(ALERT, 0)
        at_dsden = self.tally("academie").received.get(ALERT, 0)
        on_call = [
            d
            for d in self.application.received.values()
            if d["contract"] == ALERT and d["to"] == "departement/crip-astreinte"
        ]
        return bool(at_isg and at_dsden and on_call)

    async def mishaps(self) -> None:
        """What the hub and the adapters must refuse or ignore, visibly and without loss."""
        (self.cast.root("academie") / "depot" / "export-abime.csv").write_bytes(
            b"R\xe9f\xe9rence DASEN;Motif\nDSDEN87-MED-2026-0199;inconnu\n"
        )
        self.drop("academie", "avertissements-absenteisme-2026-11.csv", "avertissements-bis.csv")
        invalid = {"contract": "isg.orientation", "office": "isg", "payload": {"urgency": "?"}}
        headers = {"Authorization": f"Bearer {self.cast.token}"}
        async with (
            aiohttp.ClientSession(headers=headers) as http,
            http.post(f"{self.cast.api('isg')}/notices", json=invalid) as response,
        ):
            error = (await response.json()).get("error", "")
            shown = error if len(error) < 110 else error[:110] + "..."  # noqa: PLR2004
            self.refusals.append(f"ISG API, HTTP {response.status}: {shown}")

    async def until_complete(self) -> None:
        """Every expected contract handed over, every outbox settled, every reply sent."""

        def missing() -> list[str]:
            gaps = []
            for partner, contracts in EXPECTED.items():
                counts = self.tally(partner)
                gaps += [f"{c} at {partner}" for c in sorted(contracts - set(counts.received))]
                if counts.pending:
                    gaps.append(f"{counts.pending} notices of {partner} not yet answered")
            return gaps

        await self.until(lambda: not missing(), "the month to complete", missing)
