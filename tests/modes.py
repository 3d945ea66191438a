"""The permissions of what the hub and the adapters create, under a chosen umask."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

# A permissive umask (0) and the usual one: what is created must be owner-only under both.
UMASKS = (0o000, 0o022)


@contextlib.contextmanager
def umask(mask: int) -> Iterator[None]:
    """Run the block under `mask` (the process's umask), then restore the previous one."""
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def modes(root: Path) -> dict[str, int]:
    """Each folder and file under `root` (relative name) with its permission bits."""
    return {
        str(path.relative_to(root)): path.lstat().st_mode & 0o777
        for path in sorted(root.rglob("*"))
    }


def not_owner_only(root: Path) -> dict[str, str]:
    """What under `root` another user could read or enter: folders not 0700, files not 0600."""
    return {
        name: oct(mode)
        for name, mode in modes(root).items()
        if mode != (0o700 if (root / name).is_dir() else 0o600)
    }
