"""The hub's command line as an operator runs it, in a child process, for the tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def hub_command(
    *args: str,
    root: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """`python -m hub ARGS`, its output captured as text, whatever its exit code.

    With `root`, a copy of the project: its `contracts/` and `directory.yaml` are the ones read,
    and the command runs from there (faults name files as found from the working folder).
    """
    copy = (
        {
            "HUB_CONTRACTS_PATH": str(root / "contracts"),
            "HUB_DIRECTORY_PATH": str(root / "directory.yaml"),
        }
        if root is not None
        else {}
    )
    return subprocess.run(
        [sys.executable, "-m", "hub", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        cwd=root,
        env={**os.environ, **copy, **(env or {})},
    )
