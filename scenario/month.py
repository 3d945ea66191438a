"""A small département's month, played through the hub by the six institutions' adapters.

Every notice starts where it would in life: a DSDEN export dropped in the académie's folder
(CSV or JSON), a request to the ISG's API, a CAF export, a CCAPEX export, or a caseworker's
reply posted by the département's application. Later steps wait for what earlier ones
caused (the CCAPEX asks for a diagnosis once the referral reached it, the DSDEN records a
regularisation once the hub has told it which notice its formal notice became), as the
institutions would. At the end each partner's adapter says what it sent and received.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO, TypeVar

import aiohttp
from aiohttp import web

from adapters.sdk.tally import Tally, tally
from hub.core.outgoing import ACCEPTANCE, ALERT, LEDGER_HEAD, RECEIPT
from scenario.casemanagement import CaseManagement
from scenario.cast import FILE_PARTNERS, Cast

T = TypeVar("T")
SAMPLES = Path(__file__).parent / "samples"
WAIT_S = 90.0
PARTNERS = ("academie", "departement", "isg", "caf", "msa", "ccapex")
NAMES = {
    "academie": "académie (DSDEN, school social service)",
    "departement": "département (CRIP, SDAS, MDD, FSL)",
    "isg": "ISG (social worker at the gendarmerie)",
    "caf": "CAF",
    "msa": "MSA (housing benefit of farm households)",
    "ccapex": "CCAPEX",
}
# These answer the notice they follow.
ANSWERS = {"instruction.regularisation", "logement.diagnostic", "logement.avis"}
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


class Incomplete(RuntimeError):  # noqa: N818 - the month is incomplete, not in error
    """Something the month waits for did not happen in time."""


class Month:
    """The scenario's steps, against a started cast and the département's application."""

    def __init__(self, cast: Cast, out: TextIO, application: CaseManagement) -> None:
        """Play with `cast` and the département's `application`, narrating to `out`."""
        self.cast, self.out, self.application = cast, out, application
        self.refusals: list[str] = []

    def say(self, text: str) -> None:
        """One line of narration."""
        print(text, file=self.out, flush=True)

    async def play(self) -> None:
        """The month, week by week, then a day later."""
        await self._weeks_one_and_two()
        await self._weeks_three_and_four()
        await self._what_goes_wrong()
        self.say("\nWaiting for every delivery, answer and receipt...")
        await self.until_complete()
        await self._a_day_later()

    async def _weeks_one_and_two(self) -> None:
        self.say("\nWeek 1: the DSDEN exports absenteeism warnings and a joint convocation;")
        self.say("        the CAF refers a family's rent arrears to the CCAPEX.")
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
        self.say("        the CRIP receipts it within the hours it has. The ISG sends an urgent IP")
        self.say("        too, which the CRIP's application cannot take in (incomplete).")
        await self.post("isg", "ip-urgente.json")

    async def _weeks_three_and_four(self) -> None:
        self.say("Week 3: the CCAPEX asks the MDD for a social diagnosis of the referred family;")
        self.say("        the CRIP and the SDAS answer what reached them (their application).")
        referral = await self.received_document("ccapex", "logement.saisine-impayes")
        self.export("ccapex", "logement.demande-diagnostic", "demande-diagnostic.json", referral)

        self.say("Week 4: the first child of the formal notices is enrolled: the DSDEN records")
        self.say("        the regularisation. The CAF, which pays the housing benefit, asks the")
        self.say("        CCAPEX for its avis before suspending it; the CCAPEX advises a repayment")
        self.say("        plan and asks the FSL to act, and orients the family to the FSL; the CAF")
        self.say("        decides to maintain the benefit and tells the CCAPEX.")
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
        self.say("\nA day later (the hub's deadline clock set 25 hours ahead, as in a drill): the")
        self.say("        ISG's urgent IP was never receipted: the CRIP's on-call office and the")
        self.say("        ISG are alerted; the second formal notice's 15 days have run out: the")
        self.say("        DSDEN and the SDAS are alerted.")
        ahead = datetime.now(UTC) + timedelta(hours=25)
        await asyncio.to_thread(
            self.cast.restart_hub,
            HUB_DEADLINES_AS_OF=ahead.isoformat(timespec="seconds"),
            HUB_DEADLINE_CHECK_S="1",
        )
        await self._until(self._alerted, "the deadline alerts")

    def recall(
        self, partner: str, office: str, about: dict[str, Any], contract: str, reason: str
    ) -> None:
        """Export a recall of a notice `partner` sent (`about`: the hub's acceptance of it)."""
        recall = {
            "notice_id": about["notice_id"],
            "contract": contract,
            "reason_code": reason,
            "recalled_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        document = {"contract": "hub.recall", "office": office, "notices": [recall]}
        depot = self.cast.root(partner) / "depot"
        name = f"rappel-{uuid.uuid4().hex[:8]}.json"
        (depot / f".{name}.tmp").write_text(json.dumps(document), "utf-8")
        (depot / f".{name}.tmp").rename(depot / name)

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

    def drop(self, partner: str, sample: str, name: str | None = None) -> None:
        """Put a sample export in a partner's drop folder, as its tool would (then rename)."""
        depot = self.cast.root(partner) / "depot"
        depot.mkdir(parents=True, exist_ok=True)
        target = depot / (name or sample)
        temporary = depot / f".{target.name}.tmp"
        shutil.copyfile(SAMPLES / partner / sample, temporary)
        temporary.rename(target)

    def export(
        self,
        partner: str,
        contract: str,
        sample: str,
        about: dict[str, Any],
        *,
        office: str | None = None,
    ) -> None:
        """Write a one-notice JSON export in the case of `about` (answering it if it must)."""
        payload = json.loads((SAMPLES / partner / sample).read_text(encoding="utf-8"))
        notice: dict[str, Any] = {"payload": payload, "case_id": about["case_id"]}
        if contract in ANSWERS:
            notice["answers"] = about["notice_id"]
        document = {"contract": contract, "office": office or partner, "notices": [notice]}
        depot = self.cast.root(partner) / "depot"
        name = f"{contract}-{uuid.uuid4().hex[:8]}.json"
        (depot / f".{name}.tmp").write_text(json.dumps(document, ensure_ascii=False), "utf-8")
        (depot / f".{name}.tmp").rename(depot / name)

    async def post(self, partner: str, sample: str) -> tuple[int, dict[str, Any]]:
        """POST a sample request to a partner's API; its status and answer."""
        body = json.loads((SAMPLES / partner / sample).read_text(encoding="utf-8"))
        headers = {"Authorization": f"Bearer {self.cast.token}"}
        async with (
            aiohttp.ClientSession(headers=headers) as http,
            http.post(f"{self.cast.api(partner)}/notices", json=body) as response,
        ):
            answer: dict[str, Any] = await response.json()
            return response.status, answer

    async def received_document(
        self,
        partner: str,
        contract: str,
        about: Callable[[dict[str, Any]], bool] = lambda _: True,
    ) -> dict[str, Any]:
        """The first notice of `contract` in a file partner's received folder (`about` it)."""
        folder = self.cast.root(partner) / "recus" / contract

        def found() -> list[dict[str, Any]]:
            documents = [json.loads(p.read_text("utf-8")) for p in sorted(folder.glob("*.json"))]
            return [d for d in documents if about(d["payload"])]

        documents = await self._until(found, f"{contract} at {partner}")
        return documents[0]

    async def accepted(self, partner: str, export: str, line: int) -> dict[str, Any]:
        """The hub's acceptance of one line of an export, as the adapter files it."""
        folder = self.cast.root(partner) / "recus" / ACCEPTANCE

        def mine() -> list[dict[str, Any]]:
            documents = [json.loads(p.read_text("utf-8")) for p in folder.glob("*.json")]
            return [d for d in documents if (d["export"], d["line"]) == (export, line)]

        [acceptance] = await self._until(mine, f"the acceptance of {export} line {line}")
        return acceptance

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

        await self._until(lambda: not missing(), "the month to complete", missing)

    def tally(self, partner: str) -> Tally:
        """What a partner's adapter sent and received so far."""
        return tally(self.cast.root(partner) / "etat")

    async def _until(
        self,
        found: Callable[[], T],
        what: str,
        explain: Callable[[], list[str]] | None = None,
    ) -> T:
        try:
            async with asyncio.timeout(WAIT_S):
                while not (result := found()):  # noqa: ASYNC110 - other processes' files
                    await asyncio.sleep(0.2)
                return result
        except TimeoutError:
            gaps = explain() if explain else []
            raise Incomplete(f"after {WAIT_S:.0f} s, still waiting for {what}: {gaps}") from None


def summary(month: Month, out: TextIO) -> None:
    """What each partner sent and received, from its own adapter's outbox and inbox."""
    print("\nWhat each partner sent and received (its adapter's outbox and inbox):", file=out)
    for partner in PARTNERS:
        counts = month.tally(partner)
        sent = {k: v for k, v in counts.sent.items() if k != RECEIPT}
        # The ledger's signed heads arrive on the hub's schedule, apart from the month.
        received = {k: v for k, v in counts.received.items() if k not in (RECEIPT, LEDGER_HEAD)}
        print(f"\n  {NAMES[partner]}", file=out)
        print(f"    sent      {_counts(sent)}", file=out)
        print(
            f"              hub: {counts.accepted} accepted, {counts.rejected} rejected, "
            f"{counts.pending} waiting",
            file=out,
        )
        print(f"    received  {_counts(received)}", file=out)
        print(
            f"    receipts  {counts.receipts_received} from offices it wrote to, "
            f"{counts.receipts_sent} sent for what it received",
            file=out,
        )
    cast = month.cast
    quarantined = sorted(
        p.name
        for partner in FILE_PARTNERS
        for p in (cast.root(partner) / "depot" / "quarantaine").glob("*.error.txt")
    )
    print("\nRefused at the institutions' edge, nothing of it sent:", file=out)
    for name in quarantined:
        print(f"  quarantined: {name}", file=out)
    for refusal in month.refusals:
        print(f"  {refusal}", file=out)
    again = cast.root("academie") / "depot" / "traites" / "avertissements-bis.csv"
    if again.exists():
        print(f"  {again.name}: the content of an earlier export; archived, not sent", file=out)
    _answered_by_the_hub(month, out)
    print("\nWhere to look:", file=out)
    print(f"  files       {cast.folder}/<partner>/ (depot, recus, etat)", file=out)
    print(f"  logs        {cast.logs}/", file=out)
    print(f"  trace       .venv/bin/hub trace --path {cast.state} <notice or case id>", file=out)
    print(f"  hub HTTP    {cast.api('hub')}/metrics, /healthz, /readyz", file=out)
    print(
        f"  trace API   {cast.api('trace')}/trace/<id>  "
        f"(Authorization: Bearer {cast.operator_token}: the operator demo; each look is recorded)",
        file=out,
    )
    print(
        f"  ISG API     {cast.api('isg')}/received  (Authorization: Bearer {cast.token})", file=out
    )


def _answered_by_the_hub(month: Month, out: TextIO) -> None:
    """What the hub refused, routed by hand and alerted as run out, from the partners' files."""
    cast = month.cast
    print("\nRefused by the hub, answered to the sender (codes only):", file=out)
    for partner in FILE_PARTNERS:
        for path in sorted((cast.root(partner) / "recus" / "hub.rejection").glob("*.json")):
            answer = json.loads(path.read_text(encoding="utf-8"))
            reasons = ", ".join(
                f"{r['code']} at {r.get('pointer', '/')}" for r in answer["hub"]["reasons"]
            )
            print(f"  {answer['export']} line {answer['line']}: {reasons}", file=out)
    print("\nRouted by hand (hub.routing-alert to the sender and the SDAS):", file=out)
    for partner in FILE_PARTNERS:
        for path in sorted((cast.root(partner) / "recus" / "hub.routing-alert").glob("*.json")):
            alert = json.loads(path.read_text(encoding="utf-8"))["payload"]
            print(
                f"  {alert['contract']} {alert['notice_id']}: {alert['cause']} "
                f"by {alert['office']}",
                file=out,
            )
    print(
        "\nDeadlines run out (hub.deadline-alert; the département's through its application):",
        file=out,
    )
    held = [d["payload"] for d in month.application.received.values() if d["contract"] == ALERT]
    for partner in ("academie", "isg"):
        folder = cast.root(partner) / "recus" / ALERT
        held += [json.loads(p.read_text("utf-8"))["payload"] for p in sorted(folder.glob("*.json"))]
    for alert in sorted({(a["contract"], a["deadline"], a["notice_id"]) for a in held}):
        print(f"  {alert[0]} {alert[2]}: {alert[1]}", file=out)


def _counts(counter: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counter.items())) or "nothing"


async def application_server(application: CaseManagement) -> tuple[web.AppRunner, str]:
    """Serve the département's application on a free local port; its webhook address."""
    runner = web.AppRunner(application.application())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}/webhook"
