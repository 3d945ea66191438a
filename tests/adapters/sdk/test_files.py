import asyncio
import json
import re
import shutil
from pathlib import Path

import pytest

from adapters.academie.app import read_export
from adapters.sdk import Adapter, Incoming
from adapters.sdk.files import DropFolder, OutsideFolderError, ReceivedFolder, file_name, inside
from hub.catalogue.contracts import Catalogue
from hub.core.recall import RECALL, recall_id

EXPORT = Path(__file__).parents[1] / "academie" / "mises-en-demeure-2026-11.csv"
EXAMPLES = Path(__file__).parents[3] / "contracts"


@pytest.fixture
def drop(tmp_path: Path, catalogue: Catalogue) -> DropFolder:
    # Not started: building, checking and queueing notices needs no broker.
    adapter = Adapter(
        "academie", "127.0.0.1:9", tmp_path / "state", ReceivedFolder(tmp_path / "in"), catalogue
    )
    return DropFolder(tmp_path / "depot", adapter, read_export)


def _queued(drop: DropFolder) -> list[str]:
    return [r.headers["ce_id"] for r in drop._adapter._outbox.due()]  # noqa: SLF001 - what was queued


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
    modes = [p.stat().st_mode & 0o777 for p in (tmp_path / "recus", written.parent, written)]
    assert modes == [0o700, 0o700, 0o600]  # personal data: its owner's alone


def test_each_queued_line_is_traced_to_its_export_and_line(drop: DropFolder) -> None:
    shutil.copy(EXPORT, drop.folder / EXPORT.name)
    drop.scan()
    assert sorted(drop.origin(notice_id) or () for notice_id in _queued(drop)) == [
        (EXPORT.name, 2),
        (EXPORT.name, 3),
    ]
    assert drop.origin("not-from-here") is None


def test_a_json_notice_may_name_its_case_and_the_notice_it_answers(drop: DropFolder) -> None:
    case, answered = "8f0d1c52-1f5e-4a7e-9d61-1c8b9e2f3a40", "an-earlier-notice"
    payload = json.loads(
        (
            EXAMPLES / "instruction.regularisation/v1/examples/valid/limoges-enrolled.json"
        ).read_text()
    )
    payload.pop("$comment", None)
    export = {
        "contract": "instruction.regularisation",
        "office": "dsden",
        "notices": [{"payload": payload, "case_id": case, "answers": answered}],
    }
    (drop.folder / "regularisations.json").write_text(json.dumps(export), encoding="utf-8")
    assert drop.scan() == 1
    [record] = drop._adapter._outbox.due()  # noqa: SLF001 - the record as queued
    assert record.key == case.encode()
    assert record.headers["ce_causationid"] == answered
    assert json.loads(record.value) == payload


def test_a_reference_that_is_not_a_string_quarantines_the_export(drop: DropFolder) -> None:
    export = {"contract": "c.d", "office": "dsden", "notices": [{"payload": {}, "case_id": 7}]}
    (drop.folder / "faute.json").write_text(json.dumps(export), encoding="utf-8")
    assert drop.scan() == 0
    error = (drop.quarantine / "faute.json.error.txt").read_text(encoding="utf-8")
    assert "notice 1: case_id must be a string" in error


def test_the_hubs_answer_about_a_line_is_written_for_the_institution(tmp_path: Path) -> None:
    folder = ReceivedFolder(tmp_path / "recus")
    answer = {"accepted": {"id": "n-1"}, "case_id": "c-1", "delivered_to": ["departement/sdas"]}
    folder.settled("n-1", "accepted", ("export.csv", 2), answer)
    folder.settled("n-2", "rejected", ("export.csv", 3), {"reasons": []})
    accepted = json.loads((tmp_path / "recus/hub.acceptance/n-1.json").read_text())
    assert (accepted["export"], accepted["line"], accepted["case_id"]) == ("export.csv", 2, "c-1")
    assert accepted["hub"] == answer
    assert (tmp_path / "recus/hub.rejection/n-2.json").is_file()


def _everything_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file() or p.is_symlink()}


@pytest.mark.parametrize(
    ("notice_id", "contract"),
    [
        ("../../../outside/x", "ip.retour"),
        ("a/b", "ip.retour"),
        ("{tmp}/outside/x", "ip.retour"),  # an absolute path, within this test's folder
        ("..", "ip.retour"),
        (".hidden", "ip.retour"),
        ("n-1", ".."),
        ("n-1", "../../outside"),
    ],
)
def test_a_received_value_cannot_place_a_file_outside_the_received_folder(
    tmp_path: Path, notice_id: str, contract: str
) -> None:
    received = tmp_path / "a" / "b" / "recus"
    folder = ReceivedFolder(received)
    notice_id = notice_id.format(tmp=tmp_path)
    notice = Incoming(
        notice_id, contract, "/departement/crip", "academie/dsden", "c", "s", None, {}
    )
    asyncio.run(folder.receive(notice))
    written = _everything_under(tmp_path)
    assert written <= _everything_under(received)
    [one] = written
    assert one.parent.parent == received  # <contract>/<name>.json, both one level each
    assert not one.name.startswith(".")
    assert one.parent.name not in {".", ".."}
    assert json.loads(one.read_text())["notice_id"] == notice_id


def test_the_hubs_answer_about_an_odd_notice_id_stays_in_the_received_folder(
    tmp_path: Path,
) -> None:
    folder = ReceivedFolder(tmp_path / "a" / "recus")
    folder.settled("../../x", "accepted", ("export.csv", 2), {"case_id": "c-1"})
    [written] = _everything_under(tmp_path)
    assert written.parent == tmp_path / "a" / "recus" / "hub.acceptance"
    assert json.loads(written.read_text())["notice_id"] == "../../x"


def _unquoted(name: str) -> str:
    """`file_name` reversed, as an institution's tool may do it."""
    parts = re.split(r"((?:~[0-9A-F]{2})+)", name)
    return "".join(
        bytes.fromhex(p.replace("~", "")).decode() if i % 2 else p for i, p in enumerate(parts)
    )


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("8f0d1c52-1f5e-4a7e-9d61-1c8b9e2f3a40", "8f0d1c52-1f5e-4a7e-9d61-1c8b9e2f3a40"),
        ("ip.retour", "ip.retour"),
        ("a/b", "a~2Fb"),
        ("..", "~2E."),
        (".", "~2E"),
        (".hidden", "~2Ehidden"),
        ("a_b~c", "a~5Fb~7Ec"),
        ("mdd:87", "mdd~3A87"),
        ("élève", "~C3~A9l~C3~A8ve"),
        ("a\\b\x00", "a~5Cb~00"),
    ],
)
def test_a_received_value_becomes_a_safe_name_that_reads_back(value: str, name: str) -> None:
    assert file_name(value) == name
    assert re.fullmatch(r"[A-Za-z0-9~-][A-Za-z0-9.~-]*", name)
    assert _unquoted(name) == value


def test_distinct_values_never_share_a_name_and_a_long_one_stays_short() -> None:
    values = ["a_b", "a~5Fb", "a/b", "a:b", "a-b", "~", "", "_", ".", "..", "x" * 81, "x" * 82]
    names = [file_name(v) for v in values]
    assert len(set(names)) == len(values)
    long = file_name(":" * 200)
    assert len(long) <= 80
    assert long.startswith("~3A")
    assert "~~" in long
    assert not [name for name in names[:10] if "~~" in name]


def test_a_path_that_would_leave_its_folder_is_refused_quoting_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "recus"
    (folder / "ip.retour").mkdir(parents=True)
    assert inside(folder, "ip.retour", "n-1.json") == folder / "ip.retour" / "n-1.json"
    (folder / "lien").symlink_to(tmp_path, target_is_directory=True)
    for parts in [("..", "x"), ("ip.retour", ".."), ("a/b",), ("",), ("/etc",), ("lien", "x")]:
        with pytest.raises(OutsideFolderError) as refused:
            inside(folder, *parts)
        assert str(refused.value) == "a path built from received values would leave its folder"


def test_a_notice_id_of_any_length_is_written(tmp_path: Path) -> None:
    folder = ReceivedFolder(tmp_path / "recus")
    notice = Incoming(":" * 200, "ip.retour", "/departement/crip", "isg/isg", "c", "s", None, {})
    asyncio.run(folder.receive(notice))
    [written] = (tmp_path / "recus" / "ip.retour").iterdir()
    assert json.loads(written.read_text())["notice_id"] == ":" * 200


def test_a_link_left_under_the_temporary_name_is_not_written_through(tmp_path: Path) -> None:
    folder = ReceivedFolder(tmp_path / "recus")
    (tmp_path / "recus" / "ip.retour").mkdir()
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("untouched")
    (tmp_path / "recus" / "ip.retour" / ".n-1__isg_isg.json.tmp").symlink_to(elsewhere)
    notice = Incoming("n-1", "ip.retour", "/departement/crip", "isg/isg", "c", "s", None, {})
    with pytest.raises(OutsideFolderError):
        asyncio.run(folder.receive(notice))
    assert elsewhere.read_text() == "untouched"


def test_a_symlink_dropped_is_not_read_but_quarantined_saying_why(
    drop: DropFolder, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere.csv"  # a valid export: reading it would queue notices
    shutil.copy(EXPORT, elsewhere)
    (drop.folder / "lien.csv").symlink_to(elsewhere)
    assert drop.scan() == 0
    assert _queued(drop) == []
    assert list(drop.archive.iterdir()) == []
    assert (drop.quarantine / "lien.csv").is_symlink()  # moved as a link, never copied
    error = (drop.quarantine / "lien.csv.error.txt").read_text(encoding="utf-8")
    assert "lien.csv is a symbolic link: it was not read; nothing of it was sent." in error
    assert elsewhere.read_bytes() == EXPORT.read_bytes()
    assert drop.complete_files() == []


def test_a_symlink_to_a_folder_in_the_drop_folder_is_not_entered(
    drop: DropFolder, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(EXPORT, elsewhere / EXPORT.name)
    (drop.folder / "dossier").symlink_to(elsewhere, target_is_directory=True)
    assert drop.scan() == 0
    assert _queued(drop) == []
    assert [p.name for p in elsewhere.iterdir()] == [EXPORT.name]


@pytest.mark.parametrize("linked", ["depot", "depot/quarantaine", "depot/traites"])
def test_a_symlinked_drop_folder_or_subfolder_is_refused(
    tmp_path: Path, catalogue: Catalogue, linked: str
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "root" / linked).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / "root" / linked).symlink_to(elsewhere, target_is_directory=True)
    adapter = Adapter(
        "academie", "127.0.0.1:9", tmp_path / "state", ReceivedFolder(tmp_path / "in"), catalogue
    )
    with pytest.raises(ValueError, match=f"{Path(linked).name}/ is a symbolic link"):
        DropFolder(tmp_path / "root" / "depot", adapter, read_export)
    assert list(elsewhere.iterdir()) == []


def _recall(notice_id: str, recipient: str, contract: str = "ip.retour") -> Incoming:
    payload = {
        "notice_id": notice_id,
        "contract": contract,
        "reason_code": "wrong_person",
        "recalled_at": "2026-11-23T11:05:00+01:00",
    }
    return Incoming("r-1", RECALL, "/departement/crip", recipient, "c", "s", notice_id, payload)


def _retour(notice_id: str, recipient: str) -> Incoming:
    payload = {"outcome": "mesure_administrative"}
    return Incoming(
        notice_id, "ip.retour", "/departement/crip", recipient, "c", "s", "ip-1", payload
    )


def test_a_recalled_notice_leaves_the_received_folder_for_rappels_beside_a_note(
    tmp_path: Path,
) -> None:
    folder = ReceivedFolder(tmp_path / "recus")
    asyncio.run(folder.receive(_retour("n-1", "academie/service-social")))
    asyncio.run(folder.receive(_retour("n-1", "academie/dsden")))  # another office's copy
    for _ in range(2):  # handed over again: the same files, the same note
        handling = asyncio.run(folder.receive(_recall("n-1", "academie/service-social")))
        assert handling.status == "processed"
    name = "n-1__academie_service-social"
    assert not (tmp_path / "recus" / "ip.retour" / f"{name}.json").exists()
    assert (tmp_path / "recus" / "ip.retour" / "n-1__academie_dsden.json").is_file()
    rappels = tmp_path / "rappels" / "ip.retour"
    assert sorted(p.name for p in rappels.iterdir()) == [f"{name}.json", f"{name}.rappel.json"]
    assert json.loads((rappels / f"{name}.json").read_text())["notice_id"] == "n-1"
    assert json.loads((rappels / f"{name}.rappel.json").read_text()) == {
        "notice_id": "n-1",
        "contract": "ip.retour",
        "case_id": "c",
        "recalled_by": "/departement/crip",
        "to": "academie/service-social",
        "reason_code": "wrong_person",
        "recalled_at": "2026-11-23T11:05:00+01:00",
        "recall_id": "r-1",
    }
    recall_file = tmp_path / "recus" / RECALL / "r-1__academie_service-social.json"
    assert json.loads(recall_file.read_text())["answers"] == "n-1"  # written as any notice
    modes = [p.stat().st_mode & 0o777 for p in (tmp_path / "rappels", rappels)]
    assert modes == [0o700, 0o700]


def test_a_recall_of_a_notice_never_received_leaves_its_note_and_stays_inside(
    tmp_path: Path,
) -> None:
    folder = ReceivedFolder(tmp_path / "recus", tmp_path / "elsewhere")
    odd = "../../etc/passwd"
    asyncio.run(folder.receive(_recall(odd, "academie/dsden", contract="../ip.retour")))
    [note] = (tmp_path / "elsewhere").rglob("*.rappel.json")
    assert note.parent.parent == tmp_path / "elsewhere"  # one folder down, safely named
    assert json.loads(note.read_text())["notice_id"] == odd
    assert _everything_under(tmp_path) <= {
        *_everything_under(tmp_path / "recus"),
        *_everything_under(tmp_path / "elsewhere"),
        tmp_path / "recus",
        tmp_path / "elsewhere",
    }


def test_an_export_recalling_a_notice_answers_it_under_the_recalls_fixed_id(
    drop: DropFolder,
) -> None:
    line = {
        "notice_id": "an-earlier-notice",
        "contract": "instruction.mise-en-demeure",
        "reason_code": "duplicate",
        "recalled_at": "2026-11-23T11:05:00+01:00",
    }
    for name in ("rappel.json", "rappel-encore.json"):  # two exports, one recall
        export = {"contract": RECALL, "office": "dsden", "notices": [line]}
        (drop.folder / name).write_text(json.dumps(export, indent=len(name)), encoding="utf-8")
    assert drop.scan() == 1
    [record] = drop._adapter._outbox.due()  # noqa: SLF001 - the record as queued
    assert record.headers["ce_id"] == recall_id("/academie/dsden", "an-earlier-notice")
    assert record.headers["ce_causationid"] == "an-earlier-notice"
    assert json.loads(record.value) == line
    assert drop.origin(record.headers["ce_id"]) == ("rappel.json", 1)


def test_a_copy_of_a_notice_arriving_after_its_recall_is_kept_withdrawn(tmp_path: Path) -> None:
    folder = ReceivedFolder(tmp_path / "recus")
    asyncio.run(folder.receive(_recall("n-1", "academie/dsden")))  # the notice was lost
    asyncio.run(folder.receive(_retour("n-1", "academie/dsden")))  # then sent again, late
    assert not (tmp_path / "recus" / "ip.retour").exists()
    assert sorted(p.name for p in (tmp_path / "rappels" / "ip.retour").iterdir()) == [
        "n-1__academie_dsden.json",
        "n-1__academie_dsden.rappel.json",
    ]
