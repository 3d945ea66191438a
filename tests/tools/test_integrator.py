"""An integrator adds a partner as README.md says, then a notice goes through it.

The shell block under "How to add a partner" runs as it is, with `bash -euo pipefail`, in a
copy of the project (its files as git sees them, and this checkout's `.venv`); the copy's own
code runs there (PYTHONPATH), so the directory, contracts and adapter it writes are the ones
used. Then the copy's checks pass, and its hub and the new adapter carry an information
préoccupante from the CHU to the CRIP, the CRIP's feedback back, and the CHU's receipt of it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from hub.edge.embedded import die_with_parent
from hub.settings import PROJECT_ROOT
from tests.conftest import example
from tests.integration.plain import PlainKafka, Received, by_id, notice_headers

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(480)]

T = TypeVar("T")
HEADING = "## How to add a partner"
BLOCK_S = 300.0  # the block runs the new adapter's conformance suite: about 45 s
STEP_S = 90.0
IP = {
    **example("ip.transmission", "caf-panazol-siblings", major=2),
    "sender_reference": "CHU87-SSH-2026-0042",
    "sender_role": "other_professional",
    "sender_service": {"name": "CHU de Limoges, service social hospitalier"},
}
FEEDBACK = {
    **example("ip.retour", "mesure-administrative-service-social"),
    "sender_reference": IP["sender_reference"],
}


def readme_block() -> str:
    """The one shell block of README.md's "How to add a partner"."""
    readme = (PROJECT_ROOT / "README.md").read_text("utf-8")
    assert HEADING in readme, f"README.md has no {HEADING!r}"
    section = readme.split(HEADING, 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```sh\n(.*?)^```", section, re.DOTALL | re.MULTILINE)
    assert len(blocks) == 1, f"{HEADING!r} should hold one sh block, not {len(blocks)}"
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


def integrator_env(copy: Path) -> dict[str, str]:
    """A shell as an integrator's: the copy's code first, no test or hub setting inherited."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "PYTEST_", "CHU_"))}
    return {**kept, "PYTHONPATH": str(copy)}


@contextlib.contextmanager
def running(command: list[str], cwd: Path, env: dict[str, str], log: Path) -> Iterator[None]:
    """A process of the copy for the block, its output in `log`; stopped (SIGTERM) after."""
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


def receipt_of(records: list[Received], notice_id: str) -> Received | None:
    """The `hub.receipt` delivered in answer to `notice_id`, if any."""
    found = [
        r
        for r in records
        if r.headers.get("ce_type") == "hub.receipt"
        and r.headers.get("ce_causationid") == notice_id
    ]
    return found[0] if found else None


def test_an_integrator_adds_the_chu_as_the_readme_says_and_an_ip_and_its_feedback_go_through(
    tmp_path: Path,
) -> None:
    copy = tmp_path / "project"
    copy_project(copy)
    env = integrator_env(copy)
    add_the_chu_as_the_readme_says(copy, env)
    with hub_and_chu_adapter(copy, env, tmp_path) as (bootstrap, root, logs):
        ip_id, case_id = the_chu_sends_an_ip(root, logs)
        plain = PlainKafka(bootstrap)
        at_crip = plain.read("hub.out.departement", lambda got: bool(by_id(got, ip_id)), STEP_S)
        [delivered] = by_id(at_crip, ip_id)
        assert delivered.headers["ce_recipient"] == "departement/crip"
        assert delivered.headers["ce_source"] == "/chu/chu"
        assert delivered.headers["ce_type"] == "ip.transmission"
        assert delivered.json() == IP

        feedback_id = str(uuid.uuid4())
        headers = notice_headers(
            feedback_id,
            "/departement/crip",
            "ip.retour",
            answers=ip_id,
            answers_from=delivered.headers["ce_source"],
        )
        plain.send("hub.in.departement", json.dumps(FEEDBACK).encode(), headers, delivered.key)
        at_chu = wait_for(
            lambda: json_file(
                root / "recus" / "ip.retour" / f"departement_crip__{feedback_id}__chu_chu.json"
            ),
            "the CRIP's feedback in the CHU's recus/ip.retour/",
            logs,
        )
        assert (at_chu["from"], at_chu["to"], at_chu["answers"]) == (
            "/departement/crip",
            "chu/chu",
            ip_id,
        )
        assert at_chu["case_id"] == case_id
        assert at_chu["payload"] == FEEDBACK

        answered = plain.read(
            "hub.out.departement", lambda got: receipt_of(got, feedback_id) is not None, STEP_S
        )
        receipt = receipt_of(answered, feedback_id)
        assert receipt is not None
        assert receipt.headers["ce_source"] == "/chu/chu"
        assert receipt.headers["ce_recipient"] == "departement/crip"
        assert receipt.json()["notice_id"] == feedback_id
        assert receipt.json()["status"] == "processed"


def add_the_chu_as_the_readme_says(copy: Path, env: dict[str, str]) -> None:
    """The README's block, verbatim, then the copy's checks."""
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
    block = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", readme_block()],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=BLOCK_S,
        check=False,
    )
    said = block.stdout + block.stderr
    assert block.returncode == 0, said
    assert "partner: chu added" in block.stdout, said
    assert (copy / "adapters" / "chu" / "app.py").is_file()
    assert re.search(r"^tests/adapters/chu/test_conformance\.py \.+ ", said, re.MULTILINE), said
    assert re.search(r"^=+ \d+ passed in [\d.]+s", said, re.MULTILINE), said  # none skipped
    acls = (copy / "deploy" / "kafka" / "kafka-acls.sh").read_text()
    assert "--allow-principal User:chu --operation Write --topic hub.in.chu " in acls
    assert "| `chu` | `chu` |" in (copy / "docs" / "wire-contract.md").read_text()
    for check in (["contracts", "check"], ["contracts", "docs", "--check"]):
        done = subprocess.run(
            [str(copy / ".venv" / "bin" / "hub"), *check],
            cwd=copy,
            env=env,
            capture_output=True,
            text=True,
            timeout=STEP_S,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr


@contextlib.contextmanager
def hub_and_chu_adapter(
    copy: Path, env: dict[str, str], folder: Path
) -> Iterator[tuple[str, Path, list[Path]]]:
    """The copy's `hub serve --embedded` and `python -m adapters.chu` on its broker.

    Yields the broker's address (as the hub prints it), the adapter's root and both logs.
    """
    hub_log, adapter_log, root = folder / "hub.log", folder / "adapter.log", folder / "chu"
    logs = [hub_log, adapter_log]
    hub_env = {**env, "HUB_HTTP_PORT": "0", "HUB_TRACE_PORT": "0"}
    with running([".venv/bin/hub", "serve", "--embedded"], copy, hub_env, hub_log):
        said = wait_for(
            lambda: re.search(r"hub: broker +(\S+)[\s\S]*hub: running", hub_log.read_text()),
            "the hub to run",
            logs,
        )
        bootstrap = said.group(1)
        adapter_env = {
            **env,
            "CHU_KAFKA_BOOTSTRAP": bootstrap,
            "CHU_ROOT": str(root),
            "CHU_POLL_SECONDS": "0.2",
        }
        with running([".venv/bin/python", "-m", "adapters.chu"], copy, adapter_env, adapter_log):
            yield bootstrap, root, logs


def the_chu_sends_an_ip(root: Path, logs: list[Path]) -> tuple[str, str]:
    """The CHU's system drops an export (a temporary name, then renamed); the hub accepts it.

    Returns the notice's id and its case's, as `recus/hub.acceptance/` tells the CHU.
    """
    (root / "depot").mkdir(parents=True, exist_ok=True)
    export = {"contract": "ip.transmission", "office": "chu", "notices": [IP]}
    (root / "depot" / "ip-0042.json.tmp").write_text(json.dumps(export), "utf-8")
    (root / "depot" / "ip-0042.json.tmp").rename(root / "depot" / "ip-0042.json")
    acceptances = root / "recus" / "hub.acceptance"
    accepted = wait_for(
        lambda: (
            next((json_file(p) for p in acceptances.glob("*.json")), None)
            if acceptances.is_dir()
            else None
        ),
        "the hub's acceptance of the CHU's IP",
        logs,
    )
    assert (accepted["state"], accepted["export"], accepted["line"]) == (
        "accepted",
        "ip-0042.json",
        1,
    )
    assert not (root / "recus" / "hub.rejection").exists()
    return accepted["notice_id"], accepted["case_id"]
