import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from adapters.academie.app import read_export
from adapters.sdk import Adapter, ReceivedFolder
from adapters.sdk.files import DropFolder, OutsideFolderError, file_name, inside
from adapters.sdk.outbox import Outbox
from hub.catalogue.contracts import Catalogue
from hub.core.recall import RECALL, recall_id
from tests.conftest import FORMAL_NOTICE, example

EXPORT = Path(__file__).parents[1] / "academie" / "mises-en-demeure-2026-11.csv"
CASE = "8f0d1c52-1f5e-4a7e-9d61-1c8b9e2f3a40"


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


def test_each_queued_line_is_traced_to_its_export_and_line(drop: DropFolder) -> None:
    shutil.copy(EXPORT, drop.folder / EXPORT.name)
    drop.scan()
    assert sorted(drop.origin(notice_id) or () for notice_id in _queued(drop)) == [
        (EXPORT.name, 2),
        (EXPORT.name, 3),
    ]
    assert drop.origin("not-from-here") is None


def _export(drop: DropFolder, name: str, contract: str, *notices: dict[str, Any]) -> None:
    export = {"contract": contract, "office": "dsden", "notices": list(notices)}
    (drop.folder / name).write_text(json.dumps(export), encoding="utf-8")


def _error(drop: DropFolder, name: str) -> str:
    return (drop.quarantine / f"{name}.error.txt").read_text(encoding="utf-8")


REGULARISATION = example("instruction.regularisation", "limoges-enrolled")


def test_a_json_notice_may_name_its_case_and_the_notice_it_answers(drop: DropFolder) -> None:
    answered = {"payload": REGULARISATION, "case_id": CASE, "answers": "an-earlier-notice"}
    _export(drop, "regularisations.json", "instruction.regularisation", answered)
    assert drop.scan() == 0  # an id alone, of no notice it holds: which one is not guessed
    error = _error(drop, "regularisations.json")
    assert (
        "ce_causationid: this adapter received and sent no notice with the id an-earlier" in error
    )
    answered["answers_from"] = "/academie/dsden"  # the `from` of the notice answered
    _export(drop, "regularisations-2.json", "instruction.regularisation", answered)
    assert drop.scan() == 1
    [record] = drop._adapter._outbox.due()  # noqa: SLF001 - the record as queued
    assert record.key == CASE.encode()
    assert record.headers["ce_causationid"] == "an-earlier-notice"
    assert record.headers["ce_causationsource"] == "/academie/dsden"
    assert json.loads(record.value) == REGULARISATION


def test_an_answer_in_an_export_takes_the_case_of_the_notice_it_answers(
    drop: DropFolder, tmp_path: Path
) -> None:
    """The DSDEN's regularisation of its own formal notice: neither source nor case given."""
    adapter = drop._adapter  # noqa: SLF001 - the adapter behind the folder
    sent = adapter.notice(FORMAL_NOTICE, "dsden", example(FORMAL_NOTICE, "limoges-no-known-school"))
    adapter.queue(sent)
    outbox = Outbox(tmp_path / "state" / "outbox.sqlite")  # as the adapter settles on an answer
    outbox.settle(sent.headers["ce_id"], "accepted", {"case_id": CASE})
    outbox.close()
    _export(
        drop,
        "regularisation.json",
        "instruction.regularisation",
        {"payload": REGULARISATION, "answers": sent.headers["ce_id"]},
    )
    assert drop.scan() == 1
    [record] = [r for r in adapter._outbox.due() if r.headers["ce_type"] != FORMAL_NOTICE]  # noqa: SLF001
    assert (record.key, record.headers["ce_causationsource"]) == (CASE.encode(), "/academie/dsden")


@pytest.mark.parametrize("reference", ["case_id", "answers", "answers_from"])
def test_a_reference_that_is_not_a_string_quarantines_the_export(
    drop: DropFolder, reference: str
) -> None:
    _export(drop, "faute.json", "c.d", {"payload": {}, reference: 7})
    assert drop.scan() == 0
    assert f"notice 1: {reference} must be a string" in _error(drop, "faute.json")


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


RECALLED = {
    "notice_id": "an-earlier-notice",
    "contract": FORMAL_NOTICE,
    "reason_code": "duplicate",
    "recalled_at": "2026-11-23T11:05:00+01:00",
}


def test_an_export_recalling_a_notice_answers_it_under_the_recalls_fixed_id(
    drop: DropFolder,
) -> None:
    line = {"payload": RECALLED, "case_id": CASE}  # a notice sent before this adapter's time
    for name in ("rappel.json", "rappel-encore.json"):  # two exports, one recall
        export = {"contract": RECALL, "office": "dsden", "notices": [line]}
        (drop.folder / name).write_text(json.dumps(export, indent=len(name)), encoding="utf-8")
    assert drop.scan() == 1
    [record] = drop._adapter._outbox.due()  # noqa: SLF001 - the record as queued
    assert record.headers["ce_id"] == recall_id("/academie/dsden", "an-earlier-notice")
    assert record.headers["ce_causationid"] == "an-earlier-notice"
    assert record.headers["ce_causationsource"] == "/academie/dsden"
    assert record.key == CASE.encode()
    assert json.loads(record.value) == RECALLED
    assert drop.origin(record.headers["ce_id"]) == ("rappel.json", 1)


def test_an_export_recalling_a_notice_of_unknown_case_is_quarantined(drop: DropFolder) -> None:
    _export(drop, "rappel.json", RECALL, RECALLED)
    assert drop.scan() == 0
    error = _error(drop, "rappel.json")
    assert "key: this office sent no notice an-earlier-notice through this adapter" in error
