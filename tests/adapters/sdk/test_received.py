"""The received folder: each delivery one file, named by its sender, id and office."""

import asyncio
import json
import re
from pathlib import Path

import pytest

from adapters.sdk import Incoming, ReceivedFolder
from adapters.sdk.files import OutsideFolderError
from adapters.sdk.received import LONGEST_NAME, delivery_name, office_name
from hub.core.recall import RECALL

CRIP = "/departement/crip"
SCHOOL = "/academie/etablissement:0870015U"


def _everything_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file() or p.is_symlink()}


def _read_back(name: str) -> tuple[str, str, str]:
    """A delivery's file name read back, as an institution's tool may do it."""

    def unquoted(part: str) -> str:
        pieces = re.split(r"((?:~[0-9A-F]{2})+)", part)
        return "".join(
            bytes.fromhex(p.replace("~", "")).decode() if i % 2 else p for i, p in enumerate(pieces)
        )

    source, notice_id, recipient = name.removesuffix(".json").split("__")
    return (
        "/" + "/".join(unquoted(p) for p in source.split("_")),
        unquoted(notice_id),
        "/".join(unquoted(p) for p in recipient.split("_")),
    )


@pytest.mark.parametrize(
    ("source", "notice_id", "recipient", "name"),
    [
        (CRIP, "n-1", "academie/dsden", "departement_crip__n-1__academie_dsden"),
        (
            SCHOOL,
            "CLG87:2026_0042",
            "departement/crip",
            "academie_etablissement~3A0870015U__CLG87~3A2026~5F0042__departement_crip",
        ),
        ("/hub", "a-1", "isg/isg", "hub__a-1__isg_isg"),
        (
            "/departement/mdd:87-limoges-nord",
            "n__x",
            "caf/caf",
            "departement_mdd~3A87-limoges-nord__n~5F~5Fx__caf_caf",
        ),
    ],
)
def test_a_delivery_is_named_by_its_source_id_and_office_and_the_name_reads_back(
    source: str, notice_id: str, recipient: str, name: str
) -> None:
    assert delivery_name(source, notice_id, recipient) == name
    if source != "/hub":  # a partner alone has no `_`
        assert _read_back(name) == (source, notice_id, recipient)
    assert office_name("/hub") == "hub"


def test_distinct_deliveries_never_share_a_name_and_a_long_one_stays_short() -> None:
    triples = [
        (CRIP, "n-1", "academie/dsden"),
        ("/caf/caf", "n-1", "academie/dsden"),
        (CRIP, "n-1", "academie/service-social"),
        ("/departement/crip_x", "n-1", "academie/dsden"),
        ("/departement/", "crip__n-1", "academie/dsden"),
        ("/departement", "crip__n-1", "academie/dsden"),
    ]
    long = ("/departement/mdd:" + "A" * 64, ":" * 200, "academie/etablissement:" + "B" * 64)
    longer = (*long[:2], "academie/etablissement:" + "C" * 64)
    names = [delivery_name(*t) for t in [*triples, long, longer]]
    assert len(set(names)) == len(names)
    assert all(len(n) <= LONGEST_NAME for n in names)
    assert "~~" in names[-1]


def test_two_senders_notices_under_one_id_are_two_files(tmp_path: Path) -> None:
    folder = ReceivedFolder(tmp_path / "recus")
    asyncio.run(folder.receive(_retour("n-1", "academie/dsden")))
    asyncio.run(folder.receive(_retour("n-1", "academie/dsden", "/caf/caf")))
    written = sorted(p.name for p in (tmp_path / "recus" / "ip.retour").iterdir())
    assert written == [
        "caf_caf__n-1__academie_dsden.json",
        "departement_crip__n-1__academie_dsden.json",
    ]
    assert {
        json.loads((tmp_path / "recus" / "ip.retour" / n).read_text())["from"] for n in written
    } == {CRIP, "/caf/caf"}


def test_a_recall_moves_its_own_senders_notice_never_anothers_under_that_id(
    tmp_path: Path,
) -> None:
    """The MSA recalls its notice sent under the CAF's id: the CAF's file stays."""
    folder = ReceivedFolder(tmp_path / "recus")
    asyncio.run(folder.receive(_retour("n-1", "ccapex/ccapex", "/caf/caf")))
    asyncio.run(folder.receive(_retour("n-1", "ccapex/ccapex", "/msa/msa")))
    asyncio.run(folder.receive(_recall("n-1", "ccapex/ccapex", source="/msa/msa")))
    assert sorted(p.name for p in (tmp_path / "recus" / "ip.retour").iterdir()) == [
        "caf_caf__n-1__ccapex_ccapex.json"
    ]
    assert sorted(p.name for p in (tmp_path / "rappels" / "ip.retour").iterdir()) == [
        "msa_msa__n-1__ccapex_ccapex.json",
        "msa_msa__n-1__ccapex_ccapex.rappel.json",
    ]


def test_a_received_notice_is_written_whole_once_per_source_notice_and_office(
    tmp_path: Path,
) -> None:
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
        "/academie/service-social",
    )
    for _ in range(2):
        assert asyncio.run(folder.receive(notice)).status == "processed"
    [written] = list((tmp_path / "recus" / "ip.retour").iterdir())
    assert written.name == "departement_crip__n-1__academie_service-social.json"
    document = json.loads(written.read_text())
    assert (document["answers"], document["answers_from"], document["payload"]) == (
        "ip-1",
        "/academie/service-social",
        {"outcome": "mesure_administrative"},
    )
    modes = [p.stat().st_mode & 0o777 for p in (tmp_path / "recus", written.parent, written)]
    assert modes == [0o700, 0o700, 0o600]  # personal data: its owner's alone


def test_the_hubs_answer_about_a_line_is_written_for_the_institution_by_its_own_id(
    tmp_path: Path,
) -> None:
    folder = ReceivedFolder(tmp_path / "recus")
    answer = {"accepted": {"id": "n-1"}, "case_id": "c-1", "delivered_to": ["departement/sdas"]}
    folder.settled("n-1", "accepted", ("export.csv", 2), answer)
    folder.settled("n-2", "rejected", ("export.csv", 3), {"reasons": []})
    accepted = json.loads((tmp_path / "recus/hub.acceptance/n-1.json").read_text())
    assert (accepted["export"], accepted["line"], accepted["case_id"]) == ("export.csv", 2, "c-1")
    assert accepted["hub"] == answer
    assert (tmp_path / "recus/hub.rejection/n-2.json").is_file()


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
    (tmp_path / "recus" / "ip.retour" / ".departement_crip__n-1__isg_isg.json.tmp").symlink_to(
        elsewhere
    )
    notice = Incoming("n-1", "ip.retour", "/departement/crip", "isg/isg", "c", "s", None, {})
    with pytest.raises(OutsideFolderError):
        asyncio.run(folder.receive(notice))
    assert elsewhere.read_text() == "untouched"


def _recall(
    notice_id: str, recipient: str, contract: str = "ip.retour", source: str = CRIP
) -> Incoming:
    payload = {
        "notice_id": notice_id,
        "contract": contract,
        "reason_code": "wrong_person",
        "recalled_at": "2026-11-23T11:05:00+01:00",
    }
    return Incoming("r-1", RECALL, source, recipient, "c", "s", notice_id, payload, source)


def _retour(notice_id: str, recipient: str, source: str = CRIP) -> Incoming:
    payload = {"outcome": "mesure_administrative"}
    return Incoming(notice_id, "ip.retour", source, recipient, "c", "s", "ip-1", payload)


def test_a_recalled_notice_leaves_the_received_folder_for_rappels_beside_a_note(
    tmp_path: Path,
) -> None:
    folder = ReceivedFolder(tmp_path / "recus")
    asyncio.run(folder.receive(_retour("n-1", "academie/service-social")))
    asyncio.run(folder.receive(_retour("n-1", "academie/dsden")))  # another office's copy
    for _ in range(2):  # handed over again: the same files, the same note
        handling = asyncio.run(folder.receive(_recall("n-1", "academie/service-social")))
        assert handling.status == "processed"
    name = "departement_crip__n-1__academie_service-social"
    assert not (tmp_path / "recus" / "ip.retour" / f"{name}.json").exists()
    assert (
        tmp_path / "recus" / "ip.retour" / "departement_crip__n-1__academie_dsden.json"
    ).is_file()
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
    recall_file = (
        tmp_path / "recus" / RECALL / "departement_crip__r-1__academie_service-social.json"
    )
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


def test_a_copy_of_a_notice_arriving_after_its_recall_is_kept_withdrawn(tmp_path: Path) -> None:
    folder = ReceivedFolder(tmp_path / "recus")
    asyncio.run(folder.receive(_recall("n-1", "academie/dsden")))  # the notice was lost
    asyncio.run(folder.receive(_retour("n-1", "academie/dsden")))  # then sent again, late
    assert not (tmp_path / "recus" / "ip.retour").exists()
    assert sorted(p.name for p in (tmp_path / "rappels" / "ip.retour").iterdir()) == [
        "departement_crip__n-1__academie_dsden.json",
        "departement_crip__n-1__academie_dsden.rappel.json",
    ]


@pytest.mark.parametrize(("sender", "left"), [("/msa/msa", "rappels"), ("/caf/caf", "recus")])
def test_a_file_of_the_previous_version_is_withdrawn_only_if_the_recaller_sent_it(
    tmp_path: Path, sender: str, left: str
) -> None:
    """Written before the upgrade, `<id>__<partner>_<office>.json`: its `from` says whose."""
    folder = ReceivedFolder(tmp_path / "recus")
    previous = tmp_path / "recus" / "ip.retour" / "n-1__ccapex_ccapex.json"
    previous.parent.mkdir()
    previous.write_text(json.dumps(_retour("n-1", "ccapex/ccapex", sender).as_document()))
    asyncio.run(folder.receive(_recall("n-1", "ccapex/ccapex", source="/msa/msa")))
    withdrawn = tmp_path / "rappels" / "ip.retour" / "msa_msa__n-1__ccapex_ccapex.json"
    assert (withdrawn.is_file(), previous.is_file()) == (left == "rappels", left == "recus")
