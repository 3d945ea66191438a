"""The `hub` command: one entry point, `--help` on every command."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from aiokafka.errors import KafkaError
from pydantic import ValidationError

from hub.assembly import kafka_bootstrap, running_hub, until_signalled
from hub.catalogue.access import AUTHENTICATIONS, HUB_USER, AccessError
from hub.catalogue.compat import freeze
from hub.catalogue.contracts import load_catalogue
from hub.catalogue.directory import DirectoryError, load_directory
from hub.catalogue.docs import asyncapi, markdown
from hub.catalogue.meta import ContractError
from hub.core.cases import CaseKeyError
from hub.edge.topics import MissingTopicsError
from hub.edge.trace_api import OperatorsError, add_operator
from hub.ledger.checkpoint import CheckpointKeyError
from hub.observability import telemetry
from hub.observability.logs import configure
from hub.settings import PROJECT_ROOT, Settings
from hub.state import StateUrlError
from hub.tools.cluster import render, write
from hub.tools.demo import play, where_to_look
from hub.tools.keys import add_key_commands
from hub.tools.partner_list import with_partner_list
from hub.tools.partners import (
    NewPartner,
    PartnerError,
    add_partner,
    office_option,
    receives_option,
    sends_option,
)
from hub.tools.scaffold import ScaffoldError, scaffold
from hub.tools.staging import catalogue_problems
from hub.tools.state_commands import add_state_commands

DOCS = PROJECT_ROOT / "docs"


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

    contracts = commands.add_parser(
        "contracts", help="work on the contract catalogue", description="The contract catalogue."
    )
    contract_commands = contracts.add_subparsers(required=True, metavar="COMMAND")
    check = contract_commands.add_parser(
        "check",
        help="check every contract, example, migration and the directory",
        description="Load every contract (schemas, $ids, projections, migrations), check them "
        "against the partner directory, and check every example passes or fails as labelled "
        "and every migration keeps valid examples valid. Exit 1 listing the faults.",
    )
    check.set_defaults(run=_check_contracts)
    docs = contract_commands.add_parser(
        "docs",
        help="write docs/contracts.md and docs/asyncapi.yaml",
        description="Generate the human catalogue and the AsyncAPI 3.0 document from the "
        "contracts and the directory. With --check, write nothing and exit 1 if they are stale.",
    )
    docs.add_argument("--check", action="store_true", help="only check they are up to date")
    docs.set_defaults(run=_contract_docs)
    freeze = contract_commands.add_parser(
        "freeze",
        help="keep a major's live minor as history before changing it",
        description="Write the live schema of a major, self-contained, to "
        "contracts/<id>/v<major>/history/<major>.<minor>.json. Every later minor must stay "
        "FULL compatible with it (hub contracts check).",
    )
    freeze.add_argument("contract", help="contract id, e.g. ip.transmission")
    freeze.add_argument("--major", type=int, required=True, help="the major version to freeze")
    freeze.set_defaults(run=_freeze_contract)

    adapter = commands.add_parser(
        "adapter", help="work on partner adapters", description="Partner adapters."
    )
    adapter_commands = adapter.add_subparsers(required=True, metavar="COMMAND")
    new = adapter_commands.add_parser(
        "new",
        help="write a new adapter on the SDK, with its tests",
        description="Write adapters/<partner>/ (settings, mapping, app; a file-exchange adapter "
        "on the SDK) and tests/adapters/<partner>/ for a partner of the directory.",
    )
    new.add_argument("partner", help="the partner id, as in the directory")
    new.add_argument("--root", type=Path, default=PROJECT_ROOT, help="the project folder")
    new.set_defaults(run=_new_adapter)

    _partner_commands(commands)
    add_state_commands(commands)

    cluster = commands.add_parser(
        "cluster",
        help="the Kafka cluster's topics, identities and ACLs",
        description="The Kafka cluster.",
    )
    cluster_commands = cluster.add_subparsers(required=True, metavar="COMMAND")
    render_cluster = cluster_commands.add_parser(
        "render",
        help="write the topics, identities and ACLs the directory needs",
        description="From the partner directory, write to --out: kafka-users.yaml (a Strimzi "
        "KafkaUser per partner and one for the hub, with its ACLs), kafka-topics.yaml (a Strimzi "
        "KafkaTopic per topic) and kafka-acls.sh (the same topics and ACLs with kafka-topics.sh "
        "and kafka-acls.sh, for a cluster without Strimzi). Partitions, replicas, retention and "
        "the hub's group come from the HUB_* settings.",
    )
    render_cluster.add_argument("--out", type=Path, required=True, help="the folder to write")
    render_cluster.add_argument(
        "--directory", type=Path, help="the partner directory (default: HUB_DIRECTORY_PATH)"
    )
    render_cluster.add_argument(
        "--cluster", default="partner-hub", help="the Strimzi Kafka cluster's name"
    )
    render_cluster.add_argument(
        "--authentication",
        choices=AUTHENTICATIONS,
        default="scram-sha-512",
        help="how identities authenticate: SCRAM (User:<name>) or mutual TLS (User:CN=<name>)",
    )
    render_cluster.add_argument(
        "--hub-user", default=HUB_USER, help="the hub's own Kafka user name"
    )
    render_cluster.set_defaults(run=_render_cluster)

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


def _partner_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    partner = commands.add_parser(
        "partner", help="the partners of the directory", description="Partner institutions."
    )
    partner_commands = partner.add_subparsers(required=True, metavar="COMMAND")
    add = partner_commands.add_parser(
        "add",
        help="add a partner: directory, contracts, receipts, its adapter; then check",
        description="Add PARTNER to the directory with its offices and their legal kind; name "
        "each sending office a "
        "producer of what it sends (and of hub.recall), each receiving office a consumer of what "
        "it receives with the fields it sees, and a producer of hub.receipt; write its adapter "
        "and tests (hub adapter new); then run the checks of hub contracts check. Comments and "
        "layout of the files are kept; nothing is written when an option is wrong.",
    )
    add.add_argument("partner", help="the partner's id, e.g. msa")
    add.add_argument("--name", required=True, help="the institution's name")
    add.add_argument(
        "--kind",
        required=True,
        metavar="KIND",
        help="the legal kind of its offices, one of contracts/_policy/recipients.yaml's "
        "(hospital, landlord...): it decides what they may lawfully receive",
    )
    add.add_argument(
        "--office",
        action="append",
        required=True,
        type=office_option,
        metavar="OFFICE=NAME",
        help="an office and its name (repeat for each office)",
    )
    add.add_argument(
        "--sends",
        action="append",
        default=[],
        type=sends_option,
        metavar="CONTRACT:OFFICE",
        help="a contract the office sends (repeat)",
    )
    add.add_argument(
        "--receives",
        action="append",
        default=[],
        type=receives_option,
        metavar="CONTRACT:OFFICE=FIELDS",
        help="a contract the office receives and the fields it sees, comma-separated; or "
        "=answered: as the office whose notice it answers (repeat)",
    )
    add.add_argument("--no-adapter", action="store_true", help="do not write its adapter")
    add.set_defaults(run=_add_partner)


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
            ok = (await play(hub.bootstrap, hub.catalogue, hub.directory, sys.stdout)).ok
        if exit_after_demo:
            return 0 if ok else 1
        print("hub: running; Ctrl-C to stop", flush=True)
        await until_signalled()
    return 0


def _check_contracts(_: argparse.Namespace) -> int:
    settings = Settings()
    try:
        catalogue = load_catalogue(settings.contracts_path)
        directory = load_directory(settings.directory_path)
    except (ContractError, DirectoryError) as error:
        print(f"contracts BROKEN: {error}")
        return 1
    problems = catalogue_problems(catalogue, directory)
    for problem in problems:
        print(f"contracts: {problem}")
    if problems:
        print(f"contracts BROKEN: {len(problems)} faults")
        return 1
    versions = sum(len(c.versions) for c in catalogue.contracts.values())
    print(f"contracts ok: {len(catalogue.contracts)} contracts, {versions} live versions")
    return 0


def _contract_docs(args: argparse.Namespace) -> int:
    settings = Settings()
    catalogue = load_catalogue(settings.contracts_path)
    directory = load_directory(settings.directory_path)
    wire = DOCS / "wire-contract.md"
    generated = {
        DOCS / "contracts.md": markdown(catalogue, directory),
        DOCS / "asyncapi.yaml": asyncapi(catalogue, directory),
        wire: with_partner_list(wire.read_text("utf-8"), directory),  # its partner list only
    }
    stale = [p for p, text in generated.items() if not p.exists() or p.read_text("utf-8") != text]
    if args.check:
        for path in stale:
            print(f"contracts: {path} is stale; run hub contracts docs")
        return 1 if stale else 0
    for path in stale:
        path.write_text(generated[path], encoding="utf-8")
        print(f"contracts: wrote {path}")
    return 0


def _freeze_contract(args: argparse.Namespace) -> int:
    catalogue = load_catalogue(Settings().contracts_path)
    contract = catalogue.get(args.contract)
    if contract is None or args.major not in contract.versions:
        print(f"contracts: no live {args.contract} v{args.major}")
        return 1
    print(f"contracts: froze {freeze(catalogue, args.contract, args.major)}")
    return 0


def _add_partner(args: argparse.Namespace) -> int:
    settings = Settings()
    catalogue = load_catalogue(settings.contracts_path)
    directory = load_directory(settings.directory_path)
    new = NewPartner(
        args.partner,
        args.name,
        dict(args.office),
        tuple(args.sends),
        tuple(args.receives),
        kind=args.kind,
    )
    adapter_root = None if args.no_adapter else PROJECT_ROOT
    try:
        done = add_partner(new, catalogue, directory, settings.directory_path, adapter_root)
    except PartnerError as error:
        print(f"partner: {error}", file=sys.stderr)
        return 1
    for line in done:
        print(f"partner: {line}")
    code = _check_contracts(args)
    if code == 0:
        print(
            f"partner: {args.partner} added; now `hub contracts docs` and "
            "`hub cluster render --out deploy/kafka`"
        )
    return code


def _new_adapter(args: argparse.Namespace) -> int:
    try:
        written = scaffold(args.partner, args.root, load_directory(Settings().directory_path))
    except ScaffoldError as error:
        print(f"adapter: {error}")
        return 1
    for path in written:
        print(f"adapter: wrote {path}")
    return 0


def _render_cluster(args: argparse.Namespace) -> int:
    settings = Settings()
    path = args.directory or settings.directory_path
    try:
        rendered = render(
            load_directory(path),
            settings,
            source=path.name,
            cluster=args.cluster,
            authentication=args.authentication,
            hub_user=args.hub_user,
        )
    except (DirectoryError, AccessError) as error:
        print(f"cluster: {error}", file=sys.stderr)
        return 1
    for written in write(rendered, args.out):
        print(f"cluster: wrote {written}")
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
