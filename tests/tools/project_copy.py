"""A copy of the project where a README's shell block runs as an integrator runs it.

The copy holds the project's files as git sees them and this checkout's `.venv`; its own code
runs there (PYTHONPATH), so what a block writes (directory, contracts, adapters) is what the
copy's checks, hub and adapters then use. Its processes are stopped after, and every wait is
for an event, bounded, failing with the processes' logs.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from hub.edge.embedded import die_with_parent
from hub.settings import PROJECT_ROOT
from tests.integration.plain import Received

T = TypeVar("T")
STEP_S = 90.0  # the longest wait for one event (a process up, a file written, a record read)


def shell_block(document: Path, heading: str) -> str:
    """The one `sh` block under `heading` in `document` (up to the next heading of its level)."""
    text = document.read_text("utf-8")
    assert heading in text, f"{document.name} has no {heading!r}"
    level = heading.split(" ", 1)[0]
    section = text.split(heading, 1)[1].split(f"\n{level} ", 1)[0]
    blocks = re.findall(r"^```sh\n(.*?)^```", section, re.DOTALL | re.MULTILINE)
    assert len(blocks) == 1, f"{heading!r} should hold one sh block, not {len(blocks)}"
    return str(blocks[0])


def copy_project(target: Path) -> None:
    """The project's files as git sees them (tracked, and new ones not ignored), and its .venv."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = PROJECT_ROOT / name
        if source.is_file() or source.is_symlink():  # a tracked file deleted here is not copied
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name, follow_symlinks=False)
    (target / ".venv").symlink_to(PROJECT_ROOT / ".venv")


def integrator_env(copy: Path, *partners: str) -> dict[str, str]:
    """A shell as an integrator's: the copy's code first, no test, hub or adapter setting."""
    dropped = ("HUB_", "PYTEST_", *(f"{p.upper()}_" for p in partners))
    kept = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    return {**kept, "PYTHONPATH": str(copy)}


def run_block(copy: Path, env: dict[str, str], block: str, timeout: float) -> str:
    """The block as it is, with `bash -euo pipefail`, in the copy; its output, once it passed."""
    imported = subprocess.run(
        [str(copy / ".venv" / "bin" / "python"), "-c", "import hub; print(hub.__file__)"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=STEP_S,
        check=True,
    )
    # Else the block would write into this checkout's directory and contracts.
    assert Path(imported.stdout.strip()).is_relative_to(copy), imported.stdout
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    said = done.stdout + done.stderr
    assert done.returncode == 0, said
    return said


def hub_command(copy: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`hub ARGS` run in the copy."""
    return subprocess.run(
        [str(copy / ".venv" / "bin" / "hub"), *args],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=STEP_S,
        check=False,
    )


def assert_checks_pass(copy: Path, env: dict[str, str]) -> None:
    """`hub contracts check` and `hub contracts docs --check` pass in the copy."""
    for check in (["contracts", "check"], ["contracts", "docs", "--check"]):
        done = hub_command(copy, env, *check)
        assert done.returncode == 0, done.stdout + done.stderr


@contextlib.contextmanager
def running(command: list[str], cwd: Path, env: dict[str, str], log: Path) -> Iterator[None]:
    """A process of the copy, its output in `log`; stopped (SIGTERM) after."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,  # noqa: PLW1509 - only prctl
        )
    try:
        yield
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@contextlib.contextmanager
def serving_hub(copy: Path, env: dict[str, str], logs: list[Path]) -> Iterator[str]:
    """The copy's `hub serve --embedded`, its log first in `logs`; yields the broker's address."""
    hub_log = logs[0]
    hub_env = {**env, "HUB_HTTP_PORT": "0", "HUB_TRACE_PORT": "0"}
    with running([".venv/bin/hub", "serve", "--embedded"], copy, hub_env, hub_log):
        said = wait_for(
            lambda: re.search(r"hub: broker +(\S+)[\s\S]*hub: running", hub_log.read_text()),
            "the hub to run",
            logs,
        )
        yield said.group(1)


@contextlib.contextmanager
def running_adapter(  # noqa: PLR0913 - the copy, its shell, then what the adapter is given
    copy: Path, env: dict[str, str], partner: str, *, bootstrap: str, root: Path, log: Path
) -> Iterator[None]:
    """`python -m adapters.<partner>` of the copy on the broker, its folders under `root`."""
    prefix = partner.upper()
    adapter_env = {
        **env,
        f"{prefix}_KAFKA_BOOTSTRAP": bootstrap,
        f"{prefix}_ROOT": str(root),
        f"{prefix}_POLL_SECONDS": "0.2",
    }
    with running([".venv/bin/python", "-m", f"adapters.{partner}"], copy, adapter_env, log):
        yield


def wait_for(found: Callable[[], T | None], what: str, logs: list[Path]) -> T:
    """What `found()` returns once it is not None; fails after STEP_S with the processes' logs."""
    deadline = time.monotonic() + STEP_S
    while (value := found()) is None:
        if time.monotonic() > deadline:
            shown = "\n".join(f"--- {p.name}\n{p.read_text()[-4000:]}" for p in logs if p.exists())
            pytest.fail(f"after {STEP_S:.0f} s, still waiting for {what}\n{shown}")
        time.sleep(0.1)
    return value


def json_file(path: Path) -> Any:
    """The JSON file's content once it is there (the adapter renames it whole into place)."""
    return json.loads(path.read_text("utf-8")) if path.is_file() else None


def first_json(folder: Path) -> Any:
    """The content of a JSON file in `folder`, once there is one."""
    return next((json_file(p) for p in folder.glob("*.json")), None) if folder.is_dir() else None


def drop_export(root: Path, name: str, export: dict[str, Any]) -> None:
    """An export dropped in the adapter's `depot/` as its system does: a temporary, renamed."""
    (root / "depot").mkdir(parents=True, exist_ok=True)
    temporary = root / "depot" / f"{name}.tmp"
    temporary.write_text(json.dumps(export), "utf-8")
    temporary.rename(root / "depot" / name)


def receipt_of(records: list[Received], notice_id: str) -> Received | None:
    """The `hub.receipt` delivered in answer to `notice_id`, if any."""
    found = [
        r
        for r in records
        if r.headers.get("ce_type") == "hub.receipt"
        and r.headers.get("ce_causationid") == notice_id
    ]
    return found[0] if found else None
