"""The institution side as a folder: each delivered notice becomes one JSON file.

A delivery is a notice's source and id and the receiving office, and so is its file's name:
`<contract>/<source>__<notice id>__<partner>_<office>.json`. An office's address is written
`<partner>_<office>` (the sender's without its leading `/`, `/hub` as `hub`), and each part
goes through `file_name`, which turns `_` into `~5F`: a bare `_` separates partner and office,
`__` the three parts, and the name reads back: the school `/academie/etablissement:0870015U`'s
notice `n-1` to the CRIP is `ip.transmission/academie_etablissement~3A0870015U__n-1__
departement_crip.json`. A name past 200 characters keeps its start and ends with `~~` and a
hash of the three.

Two senders using one id get two files. A recall moves only the file of the notice it
recalls: its own sender's, under the same id. A file the previous version wrote
(`<notice id>__<partner>_<office>.json`, no source) is moved only when its `from` is the
recalling office.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from adapters.sdk.files import file_name, inside, write_new
from adapters.sdk.inbox import Handling
from adapters.sdk.notices import Incoming
from hub.core.outgoing import ACCEPTANCE, REJECTION
from hub.core.recall import RECALL
from hub.storage import owner_only_folder

# With `.rappel.json`, and a temporary's `.` and `.tmp`, under any file system's 255 bytes.
LONGEST_NAME = 200


def office_name(address: str) -> str:
    """An office's address (`/academie/dsden`, `academie/dsden`, `/hub`) as one file name part.

    `<partner>_<office>`, each a `file_name`; a partner alone (`/hub`) is just its name.
    """
    partner, separated, office = address.removeprefix("/").partition("/")
    return f"{file_name(partner)}_{file_name(office)}" if separated else file_name(partner)


def delivery_name(source: str, notice_id: str, recipient: str) -> str:
    """`<source>__<notice id>__<partner>_<office>`, without `.json`: one delivery's file name."""
    name = f"{office_name(source)}__{file_name(notice_id)}__{office_name(recipient)}"
    if len(name) > LONGEST_NAME:
        whole = f"{source}\n{notice_id}\n{recipient}".encode("utf-8", "surrogatepass")
        name = f"{name[:120]}~~{hashlib.sha256(whole).hexdigest()[:32]}"
    return name


class ReceivedFolder:
    """The institution side as a folder: each delivered notice becomes one JSON file.

    Files are written under a temporary name and renamed, so the institution's application
    never reads half a file; the name is the notice's source and id and the office, so a
    notice handed over again overwrites its own file with the same content. A recall
    (`hub.recall`) is written as any notice, and the file of the notice it recalls leaves the
    folder for `recalled`, beside a `.rappel.json` saying why.
    """

    def __init__(self, folder: Path, recalled: Path | None = None) -> None:
        """Write into `folder`, one sub-folder per contract; recalled notices go to `recalled`.

        `recalled` is `rappels/` beside `folder` unless named.
        """
        self.folder = folder
        self.recalled = recalled or folder.parent / "rappels"
        owner_only_folder(folder)

    async def receive(self, notice: Incoming) -> Handling:
        """Write the notice as `<contract>/<source>__<notice id>__<partner>_<office>.json`.

        A copy of a notice already recalled (sent again as the recall was made) is written
        straight to `recalled`, beside its note.
        """
        kind = file_name(notice.contract)
        name = delivery_name(notice.source, notice.notice_id, notice.recipient)
        withdrawn = inside(self.recalled, kind, f"{name}.rappel.json").is_file()
        self._write(kind, name, notice.as_document(), self.recalled if withdrawn else self.folder)
        if notice.contract == RECALL:
            self._withdraw(notice)
        return Handling("processed")

    def _withdraw(self, recall: Incoming) -> None:
        """Move the recalled notice's file to `recalled/<contract>/`, with why beside it.

        The recalled notice is the recalling office's own (only a notice's sender recalls
        it): the file of `(recall's source, notice id)`, never another sender's under that
        id. Done again for a recall handed over again: the file is there already, the note
        rewritten with the same content. A notice that never reached the folder gets its note.
        """
        notice_id, contract = recall.payload.get("notice_id"), recall.payload.get("contract")
        if not isinstance(notice_id, str) or not isinstance(contract, str):
            return  # the hub delivers only recalls that name both
        kind, name = file_name(contract), delivery_name(recall.source, notice_id, recall.recipient)
        note = {
            "notice_id": notice_id,
            "contract": contract,
            "case_id": recall.case_id,
            "recalled_by": recall.source,
            "to": recall.recipient,
            "reason_code": recall.payload.get("reason_code"),
            "recalled_at": recall.payload.get("recalled_at"),
            "recall_id": recall.notice_id,
        }
        self._write(kind, f"{name}.rappel", note, self.recalled)
        received = inside(self.folder, kind, f"{name}.json")
        if not received.is_file():  # written by the previous version, without the source?
            received = inside(
                self.folder, kind, f"{file_name(notice_id)}__{office_name(recall.recipient)}.json"
            )
            if not (received.is_file() and _sender(received) == recall.source):
                return
        received.replace(inside(self.recalled, kind, f"{name}.json"))

    def settled(self, notice_id: str, state: str, origin: tuple[str, int], outcome: Any) -> None:
        """What the hub answered about a line of an export, as `hub.<state>/<notice id>.json`.

        The institution learns there which notice (and case) each line became, or why the hub
        refused it; a later export answers or follows a notice by these ids. The notice is
        the adapter's own: its id alone names it.
        """
        document = {
            "notice_id": notice_id,
            "state": state,
            "export": origin[0],
            "line": origin[1],
            "case_id": outcome.get("case_id"),
            "hub": outcome,
        }
        self.write(ACCEPTANCE if state == "accepted" else REJECTION, notice_id, document)

    def write(self, kind: str, name: str, document: dict[str, Any]) -> None:
        """Write `<kind>/<name>.json` whole, both made safe by `file_name`."""
        self._write(file_name(kind), file_name(name), document)

    def _write(
        self, kind: str, name: str, document: dict[str, Any], base: Path | None = None
    ) -> None:
        """Write `<kind>/<name>.json` under `base` (the folder) whole: a temporary name, renamed."""
        base = base or self.folder
        owner_only_folder(base)  # and the folders above it the adapter makes
        owner_only_folder(inside(base, kind))
        target = inside(base, kind, f"{name}.json")
        temporary = inside(base, kind, f".{name}.json.tmp")
        write_new(temporary, json.dumps(document, ensure_ascii=False, indent=2).encode())
        temporary.replace(target)


def _sender(path: Path) -> Any:
    """The `from` of a received notice's file; None if it cannot be read."""
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("from")
    except (OSError, ValueError, AttributeError):
        return None
