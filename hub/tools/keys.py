"""`hub keys new` and `hub keys case`: the hub's two keys, each written once, owner-only."""

from __future__ import annotations

import argparse
import base64
import sys
from pathlib import Path
from typing import Any

from hub.core.cases import new_case_key
from hub.ledger.checkpoint import key_id, new_key, public_bytes


def add_key_commands(commands: Any) -> None:
    """`keys new` (the checkpoints' signing key) and `keys case` (the case key)."""
    keys = commands.add_parser(
        "keys",
        help="the hub's keys",
        description="The key that signs checkpoints, and the key case ids are derived from.",
    )
    key_commands = keys.add_subparsers(required=True, metavar="COMMAND")
    signing = key_commands.add_parser(
        "new",
        help="make the Ed25519 key that signs the ledger's checkpoints",
        description="Write a new Ed25519 key (PEM, readable by its owner only) to --out, which "
        "must not exist, and print its id and public key. Keep it apart from the ledger and "
        "point HUB_CHECKPOINT_KEY_PATH at it.",
    )
    signing.add_argument("--out", type=Path, required=True, help="the key file to write")
    signing.set_defaults(run=_new_key)
    case = key_commands.add_parser(
        "case",
        help="make the key from which keyless notices' case ids are derived",
        description="Write a new case key (32 random bytes, base64, readable by its owner "
        "only) to --out, which must not exist. Keep it apart from the state, give the same key "
        "to every replica and point HUB_CASE_KEY_PATH at it.",
    )
    case.add_argument("--out", type=Path, required=True, help="the key file to write")
    case.set_defaults(run=_new_case_key)


def _new_key(args: argparse.Namespace) -> int:
    try:
        key = new_key(args.out)
    except FileExistsError:
        print(f"keys: {args.out} exists: a key is never overwritten", file=sys.stderr)
        return 1
    public = public_bytes(key)
    print(f"keys: wrote {args.out} (key {key_id(public)})")
    print(f"keys: public key {base64.b64encode(public).decode()} (give it to the partners)")
    return 0


def _new_case_key(args: argparse.Namespace) -> int:
    try:
        new_case_key(args.out)
    except FileExistsError:
        print(f"keys: {args.out} exists: a key is never overwritten", file=sys.stderr)
        return 1
    print(f"keys: wrote the case key {args.out} (give the same file to every replica)")
    return 0
