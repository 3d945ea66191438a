from pathlib import Path

from adapters.sdk.inbox import Handling, Inbox
from adapters.sdk.outbox import Outbox
from adapters.sdk.tally import tally
from hub.wire.envelope import Outgoing


def _record(notice_id: str, contract: str) -> Outgoing:
    headers = {"ce_id": notice_id, "ce_type": contract}
    return Outgoing("hub.in.caf", None, b"{}", headers)


def test_a_tally_counts_what_was_sent_settled_and_received(tmp_path: Path) -> None:
    outbox, inbox = Outbox(tmp_path / "outbox.sqlite"), Inbox(tmp_path / "inbox.sqlite")
    for notice_id, contract in [
        ("a", "logement.saisine-impayes"),
        ("b", "logement.saisine-impayes"),
        ("c", "ip.transmission"),
        ("r", "hub.receipt"),
    ]:
        outbox.put(_record(notice_id, contract))
    outbox.settle("a", "accepted", {})
    outbox.settle("b", "rejected", {})
    outbox.settle("r", "accepted", {})
    inbox.record("/ccapex/ccapex", "d", "caf/caf", "logement.decision-aide", Handling("processed"))
    inbox.record("/ccapex/ccapex", "e", "caf/caf", "hub.receipt", Handling("refused", "other"))
    found = tally(tmp_path)
    outbox.close()
    inbox.close()
    assert found.sent == {"logement.saisine-impayes": 2, "ip.transmission": 1, "hub.receipt": 1}
    assert (found.accepted, found.rejected, found.pending) == (1, 1, 1)
    assert found.received == {"logement.decision-aide": 1, "hub.receipt": 1}
    assert (found.receipts_sent, found.receipts_received, found.refused) == (1, 1, 1)


def test_an_adapter_that_never_ran_has_an_empty_tally(tmp_path: Path) -> None:
    found = tally(tmp_path / "etat")
    assert (sum(found.sent.values()), sum(found.received.values()), found.pending) == (0, 0, 0)
