"""Signed checkpoints: the ledger's head signed with Ed25519, which the partners hold.

Whoever holds the ledger's file could delete a row and recompute the whole chain: `ledger
verify` alone would pass. A checkpoint is the head (an entry's number and hash) signed with a
key kept apart from the ledger; each partner keeps the ones it receives. A ledger that was
rewritten below a checkpoint no longer holds that hash at that number, and `hub ledger verify
--checkpoint` says so. The signature covers the canonical JSON (sorted keys, no spaces) of
`seq`, `hash`, `signed_at` and `key_id`. The public key travels with it, but proves nothing
(anyone can sign a head): a checkpoint counts only under a key the verifier pinned.

A ledger cut after a checkpoint still extends it: only a newer head catches the cut. So the
heads every partner holds are checked together (`shortfalls`): the ledger must extend each, and
reach the newest.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hub.ledger.chain import Stored
from hub.storage import owner_only_folder, read_secret

SIGNED_FIELDS = ("seq", "hash", "signed_at", "key_id")


class CheckpointKeyError(ValueError):
    """A signing key that cannot be used as it is."""


def new_key(path: Path) -> Ed25519PrivateKey:
    """Create an Ed25519 key in a PEM file only its owner can read; refuse to overwrite one."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    owner_only_folder(path.parent)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(pem)
    return key


def load_key(path: Path, state_folder: Path | None = None) -> Ed25519PrivateKey:
    """The signing key at `path`: owner-only, and nowhere under the state's folder."""
    try:
        pem = read_secret(
            path, state_folder, "the checkpoint key", "whoever could rewrite the ledger could sign"
        )
    except ValueError as error:
        raise CheckpointKeyError(str(error)) from None
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        raise CheckpointKeyError("the checkpoint key is not a PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointKeyError("the checkpoint key is not an Ed25519 key")
    return key


def public_bytes(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """The raw 32 bytes of the public key."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public: bytes) -> str:
    """A short name for a public key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(public).hexdigest()[:16]


def sign(key: Ed25519PrivateKey, seq: int, head_hash: str, at: datetime) -> dict[str, Any]:
    """The checkpoint of the head (`seq`, `head_hash`), as partners receive it."""
    public = public_bytes(key)
    signed = {
        "seq": seq,
        "hash": head_hash,
        "signed_at": at.isoformat(timespec="seconds"),
        "key_id": key_id(public),
    }
    return {
        **signed,
        "public_key": base64.b64encode(public).decode(),
        "signature": base64.b64encode(key.sign(_canonical(signed))).decode(),
    }


def public_key(text: str) -> bytes:
    """A pinned public key given as base64: its raw 32 bytes (`CheckpointKeyError` otherwise)."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
        Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, binascii.Error):
        raise CheckpointKeyError("a pinned public key is not a base64 Ed25519 public key") from None
    return raw


@dataclass(frozen=True, slots=True)
class Shortfall:
    """A held checkpoint the ledger does not extend: its number, and why.

    `refused`: its signature does not hold under a pinned key (its number is only what it
    says); `rewritten`: the entry at its number has another hash; `short`: the ledger ends
    before its number.
    """

    seq: object
    kind: Literal["refused", "rewritten", "short"]
    why: str


def shortfalls(
    checkpoints: Iterable[Mapping[str, Any]], entries: Iterable[Stored], trusted: Collection[bytes]
) -> list[Shortfall]:
    """Every checkpoint (each once) that the ledger's entries do not extend, by number.

    A checkpoint counts only signed by one of the `trusted` public keys; then the entry at its
    number must have its hash. The newest head any partner holds is thereby within the ledger.
    """
    hashes = {stored.seq: stored.hash for stored in entries}
    last = max(hashes, default=0)
    found, seen = [], set()
    for checkpoint in checkpoints:
        same = _canonical(checkpoint)
        if same in seen:
            continue  # every partner holds the same head: each is checked once
        seen.add(same)
        refused = _signature_problem(checkpoint, trusted)
        seq = checkpoint.get("seq")
        if refused is not None or not isinstance(seq, int) or isinstance(seq, bool):
            found.append(Shortfall(seq, "refused", refused or "it names no entry number"))
        elif seq > last:
            why = f"it ends at entry #{last}: the entries after #{last} were deleted"
            found.append(Shortfall(seq, "short", why))
        elif seq not in hashes:
            found.append(Shortfall(seq, "rewritten", f"the ledger has no entry #{seq}"))
        elif hashes[seq] != checkpoint["hash"]:
            why = f"entry #{seq} is not the one the checkpoint signed: rewritten"
            found.append(Shortfall(seq, "rewritten", why))
    return sorted(found, key=lambda shortfall: _number(shortfall.seq))


def problem(
    checkpoint: Mapping[str, Any], entries: Iterable[Stored], trusted: Collection[bytes]
) -> str | None:
    """Why the ledger's entries do not extend this checkpoint; None when they do."""
    found = shortfalls([checkpoint], entries, trusted)
    return found[0].why if found else None


def _number(seq: object) -> int:
    return seq if isinstance(seq, int) else -1


def _signature_problem(checkpoint: Mapping[str, Any], trusted: Collection[bytes]) -> str | None:
    """Why the checkpoint's signature does not hold under a trusted key; None when it does."""
    try:
        public = base64.b64decode(checkpoint["public_key"], validate=True)
        signature = base64.b64decode(checkpoint["signature"], validate=True)
        signed = {name: checkpoint[name] for name in SIGNED_FIELDS}
        Ed25519PublicKey.from_public_bytes(public).verify(signature, _canonical(signed))
    except (KeyError, TypeError, ValueError, binascii.Error, InvalidSignature):
        return "the checkpoint's signature does not hold: it was not signed by that key"
    if key_id(public) != signed["key_id"]:
        return "the checkpoint names another key than the one it carries"
    if public not in trusted:
        return "the checkpoint was signed with another key than the one pinned"
    return None


def read_checkpoint(text: str) -> dict[str, Any]:
    """A checkpoint from a file: its payload alone, or a delivered notice holding it."""
    document = json.loads(text)
    if not isinstance(document, dict):
        raise TypeError("not a JSON object")
    payload = document.get("payload", document)
    if not isinstance(payload, dict):
        raise TypeError("not a JSON object")
    return payload


def read_held(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """The checkpoints in these files and in every .json file under these folders.

    `ValueError` names the file that cannot be read, or says there is none.
    """
    files = [
        file
        for path in paths
        for file in (sorted(path.rglob("*.json")) if path.is_dir() else [path])
    ]
    if not files:
        raise ValueError("no checkpoint there (a folder holds them as .json files)")
    held = []
    for file in files:
        try:
            held.append(read_checkpoint(file.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError) as error:
            raise ValueError(
                f"cannot read the checkpoint {file} ({type(error).__name__})"
            ) from None
    return held


def pinned_keys(
    given: Iterable[str], key_path: Path | None, state_folder: Path
) -> tuple[bytes, ...]:
    """The public keys a checkpoint may be signed with; `CheckpointKeyError` when none is.

    Those `given` (base64), else the public half of the hub's own key at `key_path`.
    """
    texts = [text for text in given if text.strip()]
    if texts:
        return tuple(public_key(text) for text in texts)
    if key_path is not None:
        return (public_bytes(load_key(key_path, state_folder)),)
    raise CheckpointKeyError(
        "pin the key the checkpoints are signed with: give --public-key, set "
        "HUB_CHECKPOINT_PUBLIC_KEY, or run where HUB_CHECKPOINT_KEY_PATH names the hub's key "
        "(the key a checkpoint carries proves nothing: anyone can sign one)"
    )


def _canonical(signed: Mapping[str, Any]) -> bytes:
    return json.dumps(signed, sort_keys=True, separators=(",", ":")).encode()
