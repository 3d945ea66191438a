"""The `hub` command: one entry point, `--help` on every command."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hub import telemetry
from hub.audit import AuditError, export
from hub.catalogue_docs import asyncapi, markdown
from hub.checks import consistency, example_problems
from hub.compat import compatibility_problems, freeze
from hub.contracts import ContractError, load_catalogue
from hub.demo import play, where_to_look
from hub.directory import DirectoryError, load_directory
from hub.ledger.sqlite import SqliteLedger
from hub.lifecycle import erase_case
from hub.logs import configure
from hub.runtime import kafka_bootstrap, running_hub, until_signalled
from hub.scaffold import ScaffoldError, scaffold
from hub.settings import PROJECT_ROOT, Settings
from hub.trace import render, trace
from hub.vault import Vault

DOCS = PROJECT_ROOT / "docs"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `hub` command line; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    settings = Settings()
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
        description="Run the hub's intake until SIGTERM or Ctrl-C. Uses HUB_KAFKA_BOOTSTRAP, or "
        "the embedded broker when it is unset.",
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

    ledger = commands.add_parser(
        "ledger", help="inspect the ledger", description="Inspect the ledger."
    )
    ledger_commands = ledger.add_subparsers(required=True, metavar="COMMAND")
    verify = ledger_commands.add_parser(
        "verify",
        help="check the hash chain",
        description="Check the ledger's hash chain; exit 1 naming the first edited or deleted "
        "entry.",
    )
    verify.add_argument("--path", type=Path, help="ledger file (default: HUB_LEDGER_PATH)")
    verify.set_defaults(run=_verify)
    show = ledger_commands.add_parser(
        "show",
        help="print entries as JSON lines",
        description="Print ledger entries as JSON lines, optionally for one notice or one case.",
    )
    show.add_argument("--path", type=Path, help="ledger file (default: HUB_LEDGER_PATH)")
    show.add_argument("--notice", help="only entries about this notice id (ce_id)")
    show.add_argument("--case", help="only entries about this case id")
    show.set_defaults(run=_show)

    _add_record_commands(commands)
    return parser


def _add_record_commands(commands: Any) -> None:
    """`trace`, `erase` and `audit export`: what operators and auditors do with the record."""
    trace_command = commands.add_parser(
        "trace",
        help="the timeline of a notice or a case",
        description="Print every step the ledger holds about a notice (its deliveries, the "
        "fields each office got and did not get, the receipts, the answers) or a case; "
        "exit 1 if the ledger knows neither. The same as GET /trace/{id} on the hub's port.",
    )
    trace_command.add_argument("id", help="a notice id (ce_id) or a case id")
    trace_command.add_argument("--path", type=Path, help="ledger file (default: HUB_LEDGER_PATH)")
    trace_command.add_argument("--json", action="store_true", help="print it as JSON")
    trace_command.set_defaults(run=_trace)

    erase = commands.add_parser(
        "erase",
        help="erase a case: destroy its key, so its payloads can never be read again",
        description="Destroy the case's key in the vault and record the erasure in the ledger. "
        "The ledger's chain and metadata stay verifiable; nothing of the case can be "
        "redelivered. Exit 1 when the vault holds no key for the case (unknown or erased).",
    )
    erase.add_argument("case_id", help="the case id")
    erase.add_argument("--path", type=Path, help="ledger file (default: HUB_LEDGER_PATH)")
    erase.add_argument("--vault", type=Path, help="vault file (default: beside the ledger)")
    erase.set_defaults(run=_erase)

    audit = commands.add_parser(
        "audit", help="exports for auditors", description="Exports for auditors."
    )
    audit_commands = audit.add_subparsers(required=True, metavar="COMMAND")
    audit_export = audit_commands.add_parser(
        "export",
        help="the ledger's entries of a period, as CSV and JSON, with a signed-off manifest",
        description="Verify the chain, then write entries.csv, entries.json and manifest.json "
        "(period, sequence numbers, the chain hashes around the entries, each file's SHA-256, "
        "and an HMAC-SHA256 signature when HUB_AUDIT_KEY is set) to --out. Exit 1 on a broken "
        "chain or an empty period.",
    )
    audit_export.add_argument("--from", dest="start", required=True, help="first day (ISO 8601)")
    audit_export.add_argument("--to", dest="end", required=True, help="day after the last one")
    audit_export.add_argument("--out", type=Path, required=True, help="folder to write")
    audit_export.add_argument("--path", type=Path, help="ledger file (default: HUB_LEDGER_PATH)")
    audit_export.set_defaults(run=_audit_export)


def _up(args: argparse.Namespace) -> int:
    return asyncio.run(
        _run(Settings(), demo=not args.no_demo, exit_after_demo=args.exit_after_demo)
    )


def _serve(_: argparse.Namespace) -> int:
    return asyncio.run(_run(Settings(), demo=False, exit_after_demo=False))


async def _run(settings: Settings, *, demo: bool, exit_after_demo: bool) -> int:
    provider = telemetry.configure("partner-hub")
    try:
        return await _serve_until_stopped(settings, demo=demo, exit_after_demo=exit_after_demo)
    finally:
        if provider is not None:
            provider.shutdown()  # export what is still buffered


async def _serve_until_stopped(settings: Settings, *, demo: bool, exit_after_demo: bool) -> int:
    async with (
        kafka_bootstrap(settings, settings.ledger_path.parent) as (bootstrap, embedded),
        running_hub(settings, bootstrap, embedded=embedded) as hub,
    ):
        where_to_look(hub.bootstrap, hub.ledger_path, hub.topics, hub.http_url, sys.stdout)
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
    problems = consistency(catalogue, directory) + example_problems(catalogue)
    problems += compatibility_problems(catalogue)
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
    generated = {
        DOCS / "contracts.md": markdown(catalogue, directory),
        DOCS / "asyncapi.yaml": asyncapi(catalogue, directory),
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


def _new_adapter(args: argparse.Namespace) -> int:
    try:
        written = scaffold(args.partner, args.root, load_directory(Settings().directory_path))
    except ScaffoldError as error:
        print(f"adapter: {error}")
        return 1
    for path in written:
        print(f"adapter: wrote {path}")
    return 0


def _ledger_path(args: argparse.Namespace) -> Path:
    path: Path = args.path or Settings().ledger_path
    if not path.exists():
        raise SystemExit(f"hub: no ledger at {path}")
    return path


def _verify(args: argparse.Namespace) -> int:
    async def check() -> int:
        ledger = SqliteLedger(_ledger_path(args))
        try:
            result = await ledger.verify()
        finally:
            await ledger.close()
        if result.ok:
            print(f"ledger ok: {result.entries} entries, head {result.head}")
            return 0
        print(f"ledger BROKEN: {result.problem} ({result.entries} entries verified before it)")
        return 1

    return asyncio.run(check())


def _show(args: argparse.Namespace) -> int:
    async def dump() -> int:
        ledger = SqliteLedger(_ledger_path(args))
        try:
            stored = await ledger.entries()
        finally:
            await ledger.close()
        for row in stored:
            entry = row.entry
            if args.notice and entry.notice_id != args.notice:
                continue
            if args.case and entry.case_id != args.case:
                continue
            line = {"seq": row.seq, "recorded_at": row.recorded_at, **asdict(entry)}
            print(json.dumps(line, ensure_ascii=False))
        return 0

    return asyncio.run(dump())


def _trace(args: argparse.Namespace) -> int:
    async def find() -> int:
        ledger = SqliteLedger(_ledger_path(args))
        try:
            found = await trace(ledger, args.id)
        finally:
            await ledger.close()
        if found is None:
            print(f"the ledger holds nothing about {args.id}", file=sys.stderr)
            return 1
        if args.json:
            print(json.dumps(found.as_json(), ensure_ascii=False, indent=2))
        else:
            print(render(found))
        return 0

    return asyncio.run(find())


def _erase(args: argparse.Namespace) -> int:
    async def destroy() -> int:
        ledger_path = _ledger_path(args)
        ledger = SqliteLedger(ledger_path)
        vault = Vault(args.vault or Settings(ledger_path=ledger_path).vault)
        try:
            done = await erase_case(vault, ledger, args.case_id, "request", datetime.now(UTC))
        finally:
            await vault.close()
            await ledger.close()
        if not done:
            print(f"nothing to erase: no key for case {args.case_id}", file=sys.stderr)
            return 1
        print(f"case {args.case_id} erased: its key is destroyed, the ledger records it")
        return 0

    return asyncio.run(destroy())


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _audit_export(args: argparse.Namespace) -> int:
    async def write() -> int:
        ledger = SqliteLedger(_ledger_path(args))
        try:
            stored, verification = await ledger.entries(), await ledger.verify()
        finally:
            await ledger.close()
        key = Settings().audit_key
        try:
            done = export(
                stored,
                verification,
                _moment(args.start),
                _moment(args.end),
                folder=args.out,
                key=key.get_secret_value().encode() if key else None,
            )
        except AuditError as error:
            print(f"hub: {error}", file=sys.stderr)
            return 1
        signed = "signed" if "signature" in done.manifest else "unsigned (no HUB_AUDIT_KEY)"
        print(f"{done.entries} entries written to {done.folder}; manifest {signed}")
        return 0

    return asyncio.run(write())
