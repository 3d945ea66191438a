from pathlib import Path

from adapters.sdk.inbox import Handling, Inbox


def test_a_delivery_is_recorded_once_per_notice_and_office(tmp_path: Path) -> None:
    inbox = Inbox(tmp_path / "inbox.sqlite")
    assert inbox.handled("n-1", "departement/sdas") is None
    inbox.record("n-1", "departement/sdas", "c", Handling("processed"))
    inbox.record("n-1", "departement/sdas", "c", Handling("refused", "duplicate"))
    inbox.record("n-1", "departement/mdd:87-bellac", "c", Handling("refused", "wrong_office"))
    assert inbox.handled("n-1", "departement/sdas") == Handling("processed")
    assert inbox.handled("n-1", "departement/mdd:87-bellac") == Handling("refused", "wrong_office")
    inbox.close()
    assert Inbox(tmp_path / "inbox.sqlite").count() == 2
