import sqlite3
from pathlib import Path

from adapters.sdk.inbox import Handling, Inbox

CRIP, SCHOOL = "/departement/crip", "/academie/etablissement:0870015U"


def test_a_delivery_is_recorded_once_per_source_notice_and_office(tmp_path: Path) -> None:
    inbox = Inbox(tmp_path / "inbox.sqlite")
    assert inbox.handled(CRIP, "n-1", "departement/sdas") is None
    inbox.record(CRIP, "n-1", "departement/sdas", "c", Handling("processed"))
    inbox.record(CRIP, "n-1", "departement/sdas", "c", Handling("refused", "duplicate"))
    inbox.record(CRIP, "n-1", "departement/mdd:87-bellac", "c", Handling("refused", "wrong_office"))
    assert inbox.handled(CRIP, "n-1", "departement/sdas") == Handling("processed")
    assert inbox.handled(CRIP, "n-1", "departement/mdd:87-bellac") == Handling(
        "refused", "wrong_office"
    )
    inbox.close()
    assert Inbox(tmp_path / "inbox.sqlite").count() == 2


def test_one_id_from_two_sources_is_two_deliveries(tmp_path: Path) -> None:
    inbox = Inbox(tmp_path / "inbox.sqlite")
    inbox.record(SCHOOL, "ip-7", "departement/crip", "ip.transmission", Handling("processed"))
    assert inbox.handled("/caf/caf", "ip-7", "departement/crip") is None  # not the school's
    inbox.record("/caf/caf", "ip-7", "departement/crip", "ip.transmission", Handling("processed"))
    assert inbox.count() == 2
    assert inbox.sources_of("ip-7") == {SCHOOL, "/caf/caf"}
    assert inbox.sources_of("ip-8") == set()


def test_the_case_of_a_received_notice_is_kept_by_source_and_id(tmp_path: Path) -> None:
    inbox = Inbox(tmp_path / "inbox.sqlite")
    inbox.record(SCHOOL, "ip-7", "departement/crip", "c", Handling("processed"), case_id="k-1")
    inbox.record("/caf/caf", "ip-7", "departement/crip", "c", Handling("processed"), case_id="k-2")
    inbox.record(CRIP, "n-1", "departement/sdas", "c", Handling("processed"))  # no key
    assert (inbox.case_of(SCHOOL, "ip-7"), inbox.case_of("/caf/caf", "ip-7")) == ("k-1", "k-2")
    assert inbox.case_of(CRIP, "n-1") is None
    assert inbox.case_of("/isg/isg", "ip-7") is None


def test_an_inbox_of_the_previous_version_is_migrated_keeping_every_row(tmp_path: Path) -> None:
    path = tmp_path / "inbox.sqlite"
    with sqlite3.connect(path) as previous:  # as the previous version wrote it
        previous.execute(
            "CREATE TABLE inbox (notice_id TEXT NOT NULL, recipient TEXT NOT NULL, contract TEXT "
            "NOT NULL, handled_at TEXT NOT NULL, status TEXT NOT NULL, reason_code TEXT, "
            "PRIMARY KEY (notice_id, recipient))"
        )
        previous.executemany(
            "INSERT INTO inbox VALUES (?, ?, ?, ?, ?, ?)",
            [
                ("n-1", "academie/dsden", "ip.retour", "2026-11-02T09:00:00", "processed", None),
                ("n-2", "academie/dsden", "ip.retour", "2026-11-02T09:01:00", "refused", "other"),
            ],
        )
    previous.close()
    inbox = Inbox(path)
    assert inbox.count() == 2
    # Its sender unknown: a redelivery of n-1 is handed over once more, then recognised.
    assert inbox.handled(CRIP, "n-1", "academie/dsden") is None
    assert inbox.sources_of("n-1") == set()  # no source to answer it by: none is guessed
    inbox.record(CRIP, "n-1", "academie/dsden", "ip.retour", Handling("processed"), case_id="k")
    assert inbox.handled(CRIP, "n-1", "academie/dsden") == Handling("processed")
    inbox.close()
    again = Inbox(path)  # opening it again migrates nothing more
    assert again.count() == 3
    assert again.sources_of("n-1") == {CRIP}
    with sqlite3.connect(path) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
        kept = db.execute("SELECT source, status, reason_code FROM inbox WHERE notice_id = 'n-2'")
        assert kept.fetchall() == [("", "refused", "other")]
    db.close()
    assert "inbox_previous" not in tables
    again.close()
