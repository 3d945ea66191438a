"""Who plays the month: the broker, the hub and the six adapters, each its own process.

Everything lives under one folder (`.demo/` by default), emptied at the start: the embedded
broker keeps nothing across runs, so neither do the adapters' outboxes and inboxes. Each
process writes its log to `logs/`.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from hub.core.cases import new_case_key
from hub.edge.embedded import die_with_parent, free_port
from hub.edge.trace_api import add_operator
from hub.ledger.checkpoint import new_key
from hub.state import sqlite_url

FILE_PARTNERS = ("academie", "caf", "msa", "ccapex")
API_PARTNERS = ("isg", "departement")
START_WAIT_S = 60.0


@dataclass
class Cast:
    """The processes of one run and where each keeps its files."""

    folder: Path
    bootstrap: str
    external: bool
    webhook_url: str = ""
    # 43 characters each: the adapters refuse a token or a secret under 32.
    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    webhook_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    ports: dict[str, int] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    operator_token: str = ""

    @property
    def logs(self) -> Path:
        """Where every process writes its log."""
        return self.folder / "logs"

    @property
    def state(self) -> Path:
        """The hub's state: its ledger and its vault, one SQLite file."""
        return self.folder / "hub" / "state.sqlite"

    def root(self, partner: str) -> Path:
        """A partner adapter's folder (drop folder, received notices, state)."""
        return self.folder / partner

    def api(self, partner: str) -> str:
        """The base address of a process's HTTP port (the hub, or an API adapter)."""
        return f"http://127.0.0.1:{self.ports[partner]}"

    @property
    def secrets(self) -> Path:
        """The hub's keys and operators file: in a folder of their own, not the state's."""
        return self.folder / "secrets"

    def start_hub(self, **drill: str) -> None:
        """Start `hub serve` and wait until it runs (`drill`: more `HUB_*` settings).

        The demo signs checkpoints with a key of its own and lets one operator, `demo`, look.
        """
        key, operators = self.secrets / "checkpoint.pem", self.secrets / "operators.json"
        case_key = self.secrets / "case.key"
        if not key.exists():
            new_key(key)
        if not case_key.exists():
            new_case_key(case_key)
        self.operator_token = add_operator(operators, "demo")
        env = {
            "HUB_KAFKA_BOOTSTRAP": self.bootstrap,
            "HUB_KAFKA_IDEMPOTENCE": str(self.external).lower(),
            "HUB_STATE_URL": sqlite_url(self.state),
            "HUB_HTTP_PORT": str(self.ports.setdefault("hub", free_port())),
            "HUB_TRACE_PORT": str(self.ports.setdefault("trace", free_port())),
            "HUB_OPERATORS_PATH": str(operators),
            "HUB_CHECKPOINT_KEY_PATH": str(key),
            "HUB_CASE_KEY_PATH": str(case_key),
            "HUB_CHECKPOINT_EVERY_S": "20",
            # The embedded broker is the hub's to furnish; a real cluster declares its topics.
            **({} if self.external else {"HUB_TOPICS_OWNER": "hub"}),
            **drill,
        }
        log = self.logs / "hub.log"
        lives = log.read_bytes().count(b"hub: running") if log.exists() else 0
        self._spawn("hub", ["-m", "hub", "serve"], env)
        self._wait_for_log("hub", b"hub: running", lives + 1)

    def restart_hub(self, **drill: str) -> None:
        """Stop the hub (SIGTERM, as an operator would) and start it again with `drill`."""
        process = self.processes["hub"]
        process.send_signal(signal.SIGTERM)
        process.wait(30)
        self.start_hub(**drill)

    def start_adapters(self) -> None:
        """Start the six adapters; the API ones are up when this returns."""
        for partner in FILE_PARTNERS:
            prefix = partner.upper()
            env = self._common(partner)
            env[f"{prefix}_POLL_SECONDS"] = "0.5"
            self._spawn(partner, ["-m", f"adapters.{partner}"], env)
        for partner in API_PARTNERS:
            prefix = partner.upper()
            self.ports[partner] = free_port()
            env = self._common(partner)
            env[f"{prefix}_API_TOKEN"] = self.token
            env[f"{prefix}_API_PORT"] = str(self.ports[partner])
            if partner == "departement":
                env["DEPARTEMENT_WEBHOOK_URL"] = self.webhook_url
                env["DEPARTEMENT_WEBHOOK_SECRET"] = self.webhook_secret
            self._spawn(partner, ["-m", f"adapters.{partner}"], env)
        for partner in API_PARTNERS:
            self._wait_for_log(partner, b"API on http://")

    def _common(self, partner: str) -> dict[str, str]:
        prefix = partner.upper()
        return {
            f"{prefix}_KAFKA_BOOTSTRAP": self.bootstrap,
            f"{prefix}_KAFKA_IDEMPOTENCE": str(self.external).lower(),
            f"{prefix}_ROOT": str(self.root(partner)),
            f"{prefix}_RESEND_AFTER_SECONDS": "10",
        }

    def _spawn(self, name: str, arguments: list[str], env: dict[str, str]) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        with (self.logs / f"{name}.log").open("ab") as log:
            self.processes[name] = subprocess.Popen(  # noqa: S603 - this interpreter, fixed args
                [sys.executable, *arguments],
                env={**os.environ, **env},
                stdout=log,
                stderr=log,
                start_new_session=True,  # Ctrl-C reaches the scenario, which stops them in order
                preexec_fn=die_with_parent,  # noqa: PLW1509 - only prctl
            )

    def _wait_for_log(self, name: str, line: bytes, count: int = 1) -> None:
        log, process = self.logs / f"{name}.log", self.processes[name]
        deadline = time.monotonic() + START_WAIT_S
        while log.read_bytes().count(line) < count:
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
                raise RuntimeError(f"{name} did not start; the end of its log:\n{tail}")
            time.sleep(0.1)

    def stop(self) -> dict[str, int]:
        """Stop the adapters, then the hub (SIGTERM, as an operator would); their exit codes."""
        codes = {}
        for name in [*FILE_PARTNERS, *API_PARTNERS, "hub"]:
            process = self.processes.get(name)
            if process is None:
                continue
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                codes[name] = process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                codes[name] = process.wait()
        return codes


def fresh(folder: Path) -> Path:
    """Empty the run's folder (its broker is new: old adapter state would only confuse)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder
