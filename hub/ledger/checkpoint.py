"""Signed checkpoints: the ledger's head signed with Ed25519, which the partners hold.

Whoever holds the ledger's file could delete a row and recompute the whole chain: `ledger
verify` alone would pass. A checkpoint is the head (an entry's number and hash) signed with a
key kept apart from the ledger; each partner keeps the ones it receives. A ledger that was
rewritten below a checkpoint no longer holds that hash at that number, and `hub ledger verify
--checkpoint` says so. The signature covers the canonical JSON (sorted keys, no spaces) of
`seq`, `hash`, `signed_at` and `key_id`; the public key travels with it, and a partner may pin
the key it trusts.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import stat
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hub.ledger.chain import Stored
from hub.storage import under

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
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(pem)
    return key


def load_key(path: Path, state_folder: Path | None = None) -> Ed25519PrivateKey:
    """The signing key at `path`: owner-only, and nowhere under the state's folder."""
    if state_folder is not None and under(path, state_folder):
        raise CheckpointKeyError(
            "the checkpoint key must not be kept under the state's folder: whoever could "
            "rewrite the ledger could then sign for it (give a path in another folder or a "
            "mounted secret)"
        )
    try:
        mode = path.stat().st_mode
        pem = path.read_bytes()
    except OSError as error:
        raise CheckpointKeyError(f"cannot read the checkpoint key ({error.strerror})") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CheckpointKeyError("the checkpoint key is readable by others than its owner")
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


def problem(
    checkpoint: Mapping[str, Any], entries: Iterable[Stored], pinned: bytes | None = None
) -> str | None:
    """Why the ledger's entries do not extend this checkpoint; None when they do.

    The signature is checked first (with `pinned`, the public key a partner trusts, when it
    gives one); then the entry at the checkpoint's number must have the checkpoint's hash.
    """
    try:
        public = base64.b64decode(checkpoint["public_key"], validate=True)
        signature = base64.b64decode(checkpoint["signature"], validate=True)
        signed = {name: checkpoint[name] for name in SIGNED_FIELDS}
        Ed25519PublicKey.from_public_bytes(public).verify(signature, _canonical(signed))
    except (KeyError, TypeError, ValueError, binascii.Error, InvalidSignature):
        return "the checkpoint's signature does not hold: it was not signed by that key"
    if key_id(public) != signed["key_id"]:
        return "the checkpoint names another key than the one it carries"
    if pinned is not None and public != pinned:
        return "the checkpoint was signed with another key than the one pinned"
    for stored in entries:
        if stored.seq == signed["seq"]:
            if stored.hash != signed["hash"]:
                return f"entry #{stored.seq} is not the one the checkpoint signed: rewritten"
            return None
    return f"the ledger has no entry #{signed['seq']}: it was cut below the checkpoint"


def read_checkpoint(text: str) -> dict[str, Any]:
    """A checkpoint from a file: its payload alone, or a delivered notice holding it."""
    document = json.loads(text)
    if not isinstance(document, dict):
        raise TypeError("not a JSON object")
    payload = document.get("payload", document)
    if not isinstance(payload, dict):
        raise TypeError("not a JSON object")
    return payload


def _canonical(signed: Mapping[str, Any]) -> bytes:
    return json.dumps(signed, sort_keys=True, separators=(",", ":")).encode()
