"""The `hub` command: one entry point, `--help` on every command.

The hub's own commands (`up`, `serve`, `operators`) are here; each other family registers its
own (`contract_commands`, `partner_commands`, `state_commands`, `cluster`, `keys`).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from aiokafka.errors import KafkaError
from pydantic import ValidationError

from hub.assembly import kafka_bootstrap, running_hub, until_signalled
from hub.catalogue.directory import DirectoryError
from hub.catalogue.in_force import local_day
from hub.catalogue.meta import ContractError
from hub.core.cases import CaseKeyError
from hub.edge.topics import MissingTopicsError
from hub.edge.trace_api import OperatorsError, add_operator
from hub.ledger.checkpoint import CheckpointKeyError
from hub.observability import telemetry
from hub.observability.logs import configure
from hub.settings import Settings
from hub.state import StateUrlError
from hub.tools.cluster import add_cluster_commands
from hub.tools.contract_commands import add_contract_commands
from hub.tools.demo import play, where_to_look
from hub.tools.keys import add_key_commands
from hub.tools.partner_commands import add_adapter_commands, add_partner_commands
from hub.tools.state_commands import add_state_commands


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `hub` command line; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as error:
        # Each refused setting by name, never its value (the settings hide their input).
        refused = "; ".join(
            f"HUB_{'_'.join(map(str, e['loc'])).upper() or 'KAFKA_*'}: {e['msg']}"
            for e in error.errors()
        )
        print(f"hub: settings refused: {refused}", file=sys.stderr)
        return 2
    configure(settings.log_level, structured=settings.log_format == "json")
    code: int = args.run(args)
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hub", description="The partner hub.")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    up = commands.add_parser(
        "up",
        help="broker, topics, hub and demo (what `make run` runs); Ctrl-C stops",
        description="Start the hub (and the embedded broker unless HUB_KAFKA_BOOTSTRAP is set), "
        "play the demo through it, then keep running until Ctrl-C.",
    )
    up.add_argument("--no-demo", action="store_true", help="start without playing the demo")
    up.add_argument(
        "--exit-after-demo", action="store_true", help="stop after the demo; exit 1 if it failed"
    )
    up.set_defaults(run=_up)

    serve = commands.add_parser(
        "serve",
        help="run the hub alone (production entry point)",
        description="Run the hub's intake until SIGTERM or Ctrl-C, on the Kafka cluster that "
        "HUB_KAFKA_BOOTSTRAP names. Without it the hub refuses to start, unless --embedded asks "
        "for the embedded broker, which keeps nothing in memory across a restart.",
    )
    serve.add_argument(
        "--embedded",
        action="store_true",
        help="use the embedded, memory-only broker when HUB_KAFKA_BOOTSTRAP is unset",
    )
    serve.add_argument(
        "--strict",
        action="store_true",
        help="refuse to start when a topic keeps records longer than configured",
    )
    serve.set_defaults(run=_serve)

    add_contract_commands(commands)
    add_adapter_commands(commands)
    add_partner_commands(commands)
    add_state_commands(commands)
    add_cluster_commands(commands)
    add_key_commands(commands)

    operators = commands.add_parser(
        "operators", help="who may look at cases", description="The trace API's operators."
    )
    operator_commands = operators.add_subparsers(required=True, metavar="COMMAND")
    add = operator_commands.add_parser(
        "add",
        help="give an operator a token for the trace API",
        description="Make a token for NAME, keep its SHA-256 in --file (created readable by its "
        "owner only; the hub reads it from HUB_OPERATORS_PATH) and print the token, once. "
        "Adding a name again replaces its token.",
    )
    add.add_argument("name", help="the operator's name, as the ledger will record it")
    add.add_argument("--file", type=Path, required=True, help="the operators file")
    add.set_defaults(run=_add_operator)
    return parser


def _up(args: argparse.Namespace) -> int:
    return asyncio.run(
        _run(Settings(), demo=not args.no_demo, exit_after_demo=args.exit_after_demo, strict=False)
    )


def _serve(args: argparse.Namespace) -> int:
    settings = Settings()
    if not settings.kafka_bootstrap and not args.embedded:
        print(
            "hub serve: HUB_KAFKA_BOOTSTRAP is not set. In production the hub runs on a Kafka "
            "cluster: set HUB_KAFKA_BOOTSTRAP=host:port,... For a trial on the embedded broker, "
            "which keeps nothing across a restart, run `hub serve --embedded` (or `hub up`).",
            file=sys.stderr,
        )
        return 2
    return asyncio.run(_run(settings, demo=False, exit_after_demo=False, strict=args.strict))


async def _run(settings: Settings, *, demo: bool, exit_after_demo: bool, strict: bool) -> int:
    provider = telemetry.configure("partner-hub")
    try:
        return await _serve_until_stopped(
            settings, demo=demo, exit_after_demo=exit_after_demo, strict=strict
        )
    except (
        ContractError,
        DirectoryError,
        CheckpointKeyError,
        CaseKeyError,
        OperatorsError,
        StateUrlError,
        MissingTopicsError,
    ) as error:
        print(f"hub: cannot start: {error}", file=sys.stderr)
        return 2
    except KafkaError as error:
        # The broker refused the connection or the identity (a TLS or SCRAM failure).
        print(f"hub: cannot start: the broker: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    finally:
        if provider is not None:
            provider.shutdown()  # export what is still buffered


async def _serve_until_stopped(
    settings: Settings, *, demo: bool, exit_after_demo: bool, strict: bool
) -> int:
    async with (
        kafka_bootstrap(settings, settings.work_dir) as (bootstrap, embedded),
        running_hub(settings, bootstrap, embedded=embedded, strict=strict) as hub,
    ):
        where_to_look(hub.bootstrap, hub.state_url, hub.topics, hub.http_url, sys.stdout)
        ok = True
        if demo:
            # The hub's calendar, as its intake reads it: a drill's clock setting, else today.
            today = local_day(settings.deadlines_as_of or datetime.now(UTC))
            played = await play(hub.bootstrap, hub.catalogue, hub.directory, today, sys.stdout)
            ok = played.ok
        if exit_after_demo:
            return 0 if ok else 1
        print("hub: running; Ctrl-C to stop", flush=True)
        await until_signalled()
    return 0


def _add_operator(args: argparse.Namespace) -> int:
    try:
        token = add_operator(args.file, args.name)
    except OperatorsError as error:
        print(f"operators: {error}", file=sys.stderr)
        return 1
    print(f"operators: {args.name} added to {args.file}; its token, shown once:")
    print(token)
    return 0
