"""The `hub` command as a user runs it, and the README's promise behind `make run`."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub.ledger.chain import Entry
from hub.ledger.checkpoint import load_key, new_key, public_bytes, sign
from hub.settings import PROJECT_ROOT
from hub.state.port import Kept
from hub.state.sqlite import SqliteState
from hub.wire.envelope import Record
from tests.commands import hub_command
from tests.ledger.rewrite import cut_after

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
COMMANDS = [
    [],
    ["up"],
    ["serve"],
    ["ledger"],
    ["ledger", "verify"],
    ["ledger", "show"],
    ["contracts"],
    ["contracts", "check"],
    ["contracts", "docs"],
    ["contracts", "freeze"],
    ["contracts", "at"],
    ["adapter"],
    ["adapter", "new"],
    ["trace"],
    ["erase"],
    ["audit"],
    ["audit", "export"],
    ["keys"],
    ["keys", "new"],
    ["keys", "case"],
    ["operators"],
    ["operators", "add"],
    ["cluster"],
    ["cluster", "render"],
    ["partner"],
    ["partner", "add"],
]


def _hub(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return hub_command(*args, env=env, timeout=timeout)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "hub")
def test_every_command_has_help(command: list[str]) -> None:
    result = _hub(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: hub")


def test_verify_on_a_missing_ledger_says_so(tmp_path: Path) -> None:
    result = _hub("ledger", "verify", "--path", str(tmp_path / "none.sqlite"))
    assert result.returncode == 1
    assert "no ledger at" in result.stderr


@pytest.mark.kafka
@pytest.mark.timeout(180)
def test_hub_up_plays_its_demo_on_the_embedded_broker(tmp_path: Path) -> None:
    """`hub up` (the hub with a Kafka-level demo); --exit-after-demo stops once it is judged."""
    env = {"HUB_LEDGER_PATH": str(tmp_path / "ledger.sqlite"), "HUB_HTTP_PORT": "0"}
    env_without_cluster = {k: v for k, v in os.environ.items() if k != "HUB_KAFKA_BOOTSTRAP"}
    result = subprocess.run(
        [sys.executable, "-m", "hub", "up", "--exit-after-demo"],
        capture_output=True,
        text=True,
        check=False,
        timeout=150,
        env={**env_without_cluster, **env},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "demo: every notice reached exactly its offices" in result.stdout
    assert "hub: state" in result.stdout
    verify = _hub("ledger", "verify", "--path", env["HUB_LEDGER_PATH"])
    assert verify.returncode == 0, verify.stdout


def test_the_readme_shows_the_two_commands_and_the_makefile_backs_them() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme
    assert "make test" in readme
    run = subprocess.run(
        ["make", "-n", "run", "test"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    assert "bin/python -m scenario" in run.stdout
    assert "bin/pytest" in run.stdout
    assert "make test" in (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_make_venv_sets_up_the_venv_alone_and_the_readme_names_it() -> None:
    assert "`make venv`" in (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    # -B: what it would run from nothing, whatever this checkout already has.
    dry = subprocess.run(
        ["make", "-n", "-B", "venv"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    assert "-m venv .venv" in dry.stdout
    assert "pip install --quiet -e '.[embedded,test]'" in dry.stdout
    assert "touch .venv/.installed-stamp" in dry.stdout
    assert "pytest" not in dry.stdout
    assert "scenario" not in dry.stdout
    assert "npm" not in dry.stdout


def test_erase_says_which_copies_remain_and_until_when(tmp_path: Path) -> None:
    state_file = tmp_path / "state.sqlite"

    async def record() -> None:
        state = SqliteState(state_file, clock=lambda: datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
        notice = Record("hub.in.isg", 0, 0, b"k", b"{}", ())
        await state.commit(
            [
                Entry(kind="accepted", sender="/isg/isg", notice_id="ip-1", case_id="c-1"),
                Entry(
                    kind="delivered",
                    sender="/isg/isg",
                    notice_id="ip-1",
                    case_id="c-1",
                    office="departement/crip",
                    detail={"topic": "hub.out.departement"},
                ),
            ],
            [Kept("c-1", "/isg/isg", "ip-1", notice)],
        )
        await state.close()

    asyncio.run(record())
    env = {"HUB_INBOUND_RETENTION_MS": "3600000", "HUB_OUTBOUND_RETENTION_MS": "7200000"}
    result = _hub("erase", "c-1", "--path", str(state_file), env=env)
    assert result.returncode == 0, result.stderr
    assert "hub.in.isg: until 2026-11-23 10:00 UTC at most" in result.stdout
    assert "hub.out.departement: until 2026-11-23 11:00 UTC at most" in result.stdout
    again = _hub("erase", "c-1", "--path", str(state_file), env=env)
    assert again.returncode == 1
    assert "nothing to erase" in again.stderr


def test_erase_names_the_copies_the_partners_adapters_keep(tmp_path: Path) -> None:
    state_file = tmp_path / "state.sqlite"

    async def record() -> None:
        state = SqliteState(state_file, clock=lambda: datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
        notice = Record("hub.in.isg", 0, 0, b"k", b"{}", ())
        delivered = {"topic": "hub.out.departement"}
        await state.commit(
            [
                Entry(kind="accepted", sender="/isg/isg", notice_id="ip-1", case_id="c-1"),
                Entry(
                    kind="delivered",
                    sender="/isg/isg",
                    notice_id="ip-1",
                    case_id="c-1",
                    office="departement/crip",
                    detail=delivered,
                ),
            ],
            [Kept("c-1", "/isg/isg", "ip-1", notice)],
        )
        await state.close()

    asyncio.run(record())
    result = _hub("erase", "c-1", "--path", str(state_file))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    sender = [line for line in lines if line.strip().startswith("isg's adapter")]
    recipient = [line for line in lines if line.strip().startswith("departement's adapter")]
    assert sender, result.stdout
    assert recipient, result.stdout
    assert "outbox" in sender[0]
    assert "payload until the hub's answer" in sender[0]
    assert "received" in recipient[0]
    assert "inbox" in recipient[0]


def _ledger_with_heads(folder: Path) -> tuple[Path, Path, list[Path]]:
    """A ledger of 10 entries, its key, and the heads of #5 and #8 its partners were sent."""
    ledger, key_path = folder / "hub" / "state.sqlite", folder / "secrets" / "checkpoint.pem"
    key = new_key(key_path)
    heads = []

    async def record() -> None:
        state = SqliteState(ledger, clock=lambda: NOW)
        for count in (5, 3, 2):
            head = await state.head()
            if head is not None:
                heads.append(folder / "held" / f"ledger-head-{head[0]}.json")
                heads[-1].parent.mkdir(exist_ok=True)
                heads[-1].write_text(json.dumps(sign(key, *head, NOW)), encoding="utf-8")
            await state.commit(
                [
                    Entry(kind="accepted", sender="/isg/isg", notice_id=f"ip-{i}")
                    for i in range(count)
                ]
            )
        await state.close()

    asyncio.run(record())
    return ledger, key_path, heads


def test_verify_refuses_a_checkpoint_without_a_pinned_key(tmp_path: Path) -> None:
    ledger, _, _ = _ledger_with_heads(tmp_path)
    other = new_key(tmp_path / "elsewhere" / "key.pem")  # anyone's key
    forged = tmp_path / "forged.json"

    async def head() -> tuple[int, str]:
        state = SqliteState(ledger, clock=lambda: NOW)
        try:
            found = await state.head()
        finally:
            await state.close()
        assert found is not None
        return found

    forged.write_text(json.dumps(sign(other, *asyncio.run(head()), NOW)), encoding="utf-8")
    result = _hub("ledger", "verify", "--path", str(ledger), "--checkpoint", str(forged))
    assert result.returncode == 2, result.stdout
    assert "pin the key the checkpoints are signed with" in result.stderr


def test_verify_reports_a_ledger_shorter_than_the_newest_head_held(tmp_path: Path) -> None:
    ledger, key, (older, newer) = _ledger_with_heads(tmp_path)
    cut_after(ledger, 5)  # what was recorded after the head of #5 deleted
    public = base64.b64encode(public_bytes(load_key(key))).decode()
    result = _hub(
        "ledger",
        "verify",
        "--path",
        str(ledger),
        "--public-key",
        public,
        "--checkpoint",
        str(newer),
        "--checkpoint",
        str(older),
    )
    assert result.returncode == 1, result.stdout
    assert "ledger SHORT of the checkpoint of #8: it ends at entry #5" in result.stdout


def test_verify_reads_the_heads_the_partners_kept_and_pins_the_configured_key(
    tmp_path: Path,
) -> None:
    ledger, key, (older, newer) = _ledger_with_heads(tmp_path)
    heads = tmp_path / "heads"  # each partner's hub.ledger-head folder, copied as it is
    for partner, head in (("caf", newer), ("msa", older), ("isg", newer)):
        (heads / partner).mkdir(parents=True)
        (heads / partner / head.name).write_bytes(head.read_bytes())
    public = base64.b64encode(public_bytes(load_key(key))).decode()
    configured = _hub(
        "ledger",
        "verify",
        "--path",
        str(ledger),
        "--checkpoint",
        str(heads),
        env={"HUB_CHECKPOINT_PUBLIC_KEY": public},
    )
    assert configured.returncode == 0, configured.stdout + configured.stderr
    assert "checkpoint ok: entry #8 is the one key" in configured.stdout
    assert "the newest of 2 heads held, each extended" in configured.stdout
    assert "entries #9 to #10: under no head held yet" in configured.stdout
    cut_after(ledger, 7)
    beside = _hub(  # where the hub runs: its own key is pinned
        "ledger",
        "verify",
        "--path",
        str(ledger),
        "--checkpoint",
        str(heads),
        env={"HUB_CHECKPOINT_KEY_PATH": str(key)},
    )
    assert beside.returncode == 1, beside.stdout + beside.stderr
    short = "ledger SHORT of the checkpoint of #8: it ends at entry #7"
    assert beside.stdout.splitlines() == [f"{short}: the entries after #7 were deleted"]
    other = base64.b64encode(public_bytes(new_key(tmp_path / "other.pem"))).decode()
    foreign = _hub(
        "ledger", "verify", "--path", str(ledger), "--checkpoint", str(older), "--public-key", other
    )
    assert foreign.returncode == 1
    assert "checkpoint REFUSED, that of #5: the checkpoint was signed with another key" in (
        foreign.stdout
    )
