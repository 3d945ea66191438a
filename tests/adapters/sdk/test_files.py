import asyncio
import json
import shutil
from pathlib import Path

import pytest

from adapters.academie.app import read_export
from adapters.sdk import Adapter, Incoming
from adapters.sdk.files import DropFolder, ReceivedFolder
from hub.contracts import Catalogue

EXPORT = Path(__file__).parents[1] / "academie" / "mises-en-demeure-2026-11.csv"


@pytest.fixture
def drop(tmp_path: Path, catalogue: Catalogue) -> DropFolder:
    # Not started: building, checking and queueing notices needs no broker.
    adapter = Adapter(
        "academie", "127.0.0.1:9", tmp_path / "state", ReceivedFolder(tmp_path / "in"), catalogue
    )
    return DropFolder(tmp_path / "depot", adapter, read_export)


def _queued(drop: DropFolder) -> list[str]:
    return [r.headers["ce_id"] for r in drop._adapter.outbox.due()]  # noqa: SLF001


def test_a_complete_file_is_queued_and_archived(drop: DropFolder) -> None:
    shutil.copy(EXPORT, drop.folder / EXPORT.name)
    (drop.folder / ".export-en-cours.csv.tmp").write_text("being written")
    assert drop.scan() == 2
    assert sorted(p.name for p in drop.archive.iterdir()) == [EXPORT.name]
    assert [p.name for p in drop.complete_files()] == []
    assert len(_queued(drop)) == 2


def test_the_same_file_dropped_again_under_another_name_is_not_processed_twice(
    drop: DropFolder,
) -> None:
    shutil.copy(EXPORT, drop.folder / "first.csv")
    drop.scan()
    shutil.copy(EXPORT, drop.folder / "again.csv")
    assert drop.scan() == 0
    assert len(_queued(drop)) == 2
    assert sorted(p.name for p in drop.archive.iterdir()) == ["again.csv", "first.csv"]


def test_a_file_read_again_after_an_interruption_queues_the_same_notices(drop: DropFolder) -> None:
    target = drop.folder / EXPORT.name
    shutil.copy(EXPORT, target)
    first = drop.process(target)
    ids = _queued(drop)
    shutil.copy(drop.archive / EXPORT.name, target)
    drop._db.execute("DELETE FROM files")  # noqa: SLF001 - as if it stopped before recording it
    assert (first, drop.process(target)) == (2, 0)  # same ids: already in the outbox
    assert _queued(drop) == ids


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("absences.xlsx", b"PK", "unknown kind of export '.xlsx'"),
        ("vide.csv", EXPORT.read_bytes().splitlines()[0] + b"\r\n", "the export holds no line"),
        (
            "mauvais-insee.csv",
            EXPORT.read_bytes().replace(b";87085;", b";8708X;"),
            "/address/commune_insee: does not match",
        ),
    ],
)
def test_a_faulty_file_is_quarantined_whole_with_a_readable_error(
    drop: DropFolder, name: str, content: bytes, problem: str
) -> None:
    (drop.folder / name).write_bytes(content)
    assert drop.scan() == 0
    assert _queued(drop) == []
    error = (drop.quarantine / f"{name}.error.txt").read_text()
    assert f"{name} was not processed; nothing of it was sent." in error
    assert problem in error
    assert (drop.quarantine / name).read_bytes() == content


def test_a_received_notice_is_written_whole_once_per_notice_and_office(tmp_path: Path) -> None:
    folder = ReceivedFolder(tmp_path / "recus")
    notice = Incoming(
        "n-1",
        "ip.retour",
        "/departement/crip",
        "academie/service-social",
        "c",
        "s",
        "ip-1",
        {"outcome": "mesure_administrative"},
    )
    for _ in range(2):
        assert asyncio.run(folder.receive(notice)).status == "processed"
    [written] = list((tmp_path / "recus" / "ip.retour").iterdir())
    assert written.name == "n-1__academie_service-social.json"
    document = json.loads(written.read_text())
    assert (document["answers"], document["payload"]) == (
        "ip-1",
        {"outcome": "mesure_administrative"},
    )
