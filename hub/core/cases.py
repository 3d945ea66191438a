"""The case a keyless notice opens: an id nobody outside the hub can compute.

A notice sent without a key starts a case; the hub derives the case's id from the notice's
`ce_source` and `ce_id` with a secret of its own (HMAC-SHA256), so that the same notice decided
again (after a crash, on another replica holding the same key) opens the same case, and no
partner can compute it beforehand to open that case first and sit in it.

The key is 32 random bytes, base64 in a file that only its owner may read, kept outside the
state's folder (whoever could read the state must not be able to mint case ids), and shared by
every replica: `hub keys case` makes one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import uuid
from pathlib import Path

from hub.storage import owner_only_folder, read_secret

KEY_BYTES = 32


class CaseKeyError(ValueError):
    """A case key that cannot be used; the message names the rule, never the key."""


def case_id_for(key: bytes, source: str, notice_id: str) -> str:
    """The case id of a keyless notice: a UUID (version 8) from the HMAC of its source and id."""
    digest = hmac.new(key, f"{source}\n{notice_id}".encode(), hashlib.sha256).digest()
    raw = bytearray(digest[:16])
    raw[6] = (raw[6] & 0x0F) | 0x80  # version 8: a UUID of a custom derivation
    raw[8] = (raw[8] & 0x3F) | 0x80  # the RFC 9562 variant
    return str(uuid.UUID(bytes=bytes(raw)))


def new_case_key(path: Path) -> None:
    """Write a new key at `path`, owner-only; an existing file is never overwritten."""
    owner_only_folder(path.parent)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(base64.b64encode(secrets.token_bytes(KEY_BYTES)) + b"\n")


def load_case_key(path: Path, state_folder: Path | None = None) -> bytes:
    """The key at `path`: owner-only, at least 32 bytes, and nowhere under the state's folder."""
    try:
        text = read_secret(
            path, state_folder, "the case key", "whoever reads the state could compute case ids"
        )
    except ValueError as error:
        raise CaseKeyError(str(error)) from None
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise CaseKeyError("the case key is not base64") from None
    if len(key) < KEY_BYTES:
        raise CaseKeyError(f"the case key is shorter than {KEY_BYTES} bytes")
    return key


def default_case_key_path(state_folder: Path) -> Path:
    """Where a hub on a SQLite file keeps its case key when none is given: beside the folder."""
    folder = state_folder.resolve()
    return folder.parent / f"{folder.name}-secrets" / "case.key"
