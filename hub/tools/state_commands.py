"""The commands that read or change the hub's state: `ledger`, `trace`, `erase`, `audit`.

Each opens the state the one way (`open_state`), from `--path` (a SQLite file) or from the
hub's settings (`HUB_STATE_URL`), does its work and closes it. Every command that shows cases
records the look first, under the system user's name (`hub.ledger.looks`), as the trace API
records its operators' looks.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hub.edge.topics import kept_until
from hub.ledger.chain import Entry, Stored
from hub.ledger.checkpoint import CheckpointKeyError, pinned_keys, read_held, shortfalls
from hub.ledger.looks import looked_over, looked_up
from hub.ledger.timeline import Timeline, render, timeline
from hub.schedules.retention import erase_case
from hub.settings import Settings
from hub.state import State, open_state, sqlite_path, sqlite_url
from hub.state.port import ErasureError
from hub.tools.audit import AuditError, export, period_entries
from hub.wire.topics import inbound

PATH_HELP = "the state's SQLite file (default: HUB_STATE_URL, or HUB_LEDGER_PATH)"


def add_state_commands(commands: Any) -> None:
    """`ledger verify|show`, `trace`, `erase` and `audit export`."""
    ledger = commands.add_parser(
        "ledger", help="inspect the ledger", description="Inspect the ledger."
    )
    ledger_commands = ledger.add_subparsers(required=True, metavar="COMMAND")
    verify = ledger_commands.add_parser(
        "verify",
        help="check the hash chain",
        description="Check the ledger's hash chain; exit 1 naming the first edited or deleted "
        "entry. With --checkpoint, also that the ledger extends every head the partners hold "
        "and reaches the newest, under a pinned key; exit 1 naming, by its number, each it "
        "falls short of.",
    )
    verify.add_argument("--path", type=Path, help=PATH_HELP)
    verify.add_argument(
        "--checkpoint",
        type=Path,
        action="append",
        help="a checkpoint a partner holds (hub.ledger-head, its payload or the notice as "
        "delivered), or a folder of them (every .json file under it); give each partner's last "
        "heads: the ledger must extend every one and reach the newest (repeatable)",
    )
    verify.add_argument(
        "--public-key",
        action="append",
        help="a base64 public key the checkpoints may be signed with (repeatable, across a "
        "rotation); default: HUB_CHECKPOINT_PUBLIC_KEY, else HUB_CHECKPOINT_KEY_PATH's key. A "
        "checkpoint's own key proves nothing: without a pinned key, exit 2",
    )
    verify.set_defaults(run=_verify)
    show = ledger_commands.add_parser(
        "show",
        help="print entries as JSON lines",
        description="Print ledger entries as JSON lines, optionally for one notice or one case.",
    )
    show.add_argument("--path", type=Path, help=PATH_HELP)
    show.add_argument("--notice", help="only entries about this notice id (ce_id)")
    show.add_argument("--case", help="only entries about this case id")
    show.set_defaults(run=_show)

    trace_command = commands.add_parser(
        "trace",
        help="the timeline of a notice or a case",
        description="Print every step the ledger holds about a notice (its deliveries, the "
        "fields each office got and did not get, the receipts, the answers) or a case; "
        "exit 1 if the ledger knows neither. The same as GET /trace/{id} on the trace API. The "
        "look is recorded in the ledger, under the system user's name.",
    )
    trace_command.add_argument("id", help="a notice id (ce_id) or a case id")
    trace_command.add_argument("--path", type=Path, help=PATH_HELP)
    trace_command.add_argument("--json", action="store_true", help="print it as JSON")
    trace_command.set_defaults(run=_trace)

    erase = commands.add_parser(
        "erase",
        help="erase a case: destroy its key, so its payloads can never be read again",
        description="Destroy the case's key in the vault and record the erasure in the ledger, "
        "together. The ledger's chain and metadata stay verifiable; nothing of the case can be "
        "redelivered. Exit 1 when the vault holds no key for the case (unknown or erased).",
    )
    erase.add_argument("case_id", help="the case id")
    erase.add_argument("--path", type=Path, help=PATH_HELP)
    erase.add_argument(
        "--vault", type=Path, help="the vault's own file, if kept apart (default: HUB_VAULT_PATH)"
    )
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
    audit_export.add_argument("--path", type=Path, help=PATH_HELP)
    audit_export.set_defaults(run=_audit_export)


def _with_state(args: argparse.Namespace, work: Callable[[State], Awaitable[int]]) -> int:
    """Open the state named by `--path` or the settings, run `work` on it, close it."""
    settings = Settings()
    url = sqlite_url(args.path) if args.path else settings.state
    if not sqlite_path(url).exists():
        raise SystemExit(f"hub: no ledger at {sqlite_path(url)}")
    vault_path = getattr(args, "vault", None) or settings.vault_path

    async def run() -> int:
        state = open_state(url, vault_path=vault_path)
        try:
            return await work(state)
        finally:
            await state.close()

    return asyncio.run(run())


def _verify(args: argparse.Namespace) -> int:
    trusted: tuple[bytes, ...] = ()
    held: list[dict[str, Any]] = []
    if args.checkpoint:
        settings = Settings()
        configured = (settings.checkpoint_public_key or "").split(",")
        try:
            trusted = pinned_keys(
                args.public_key or configured, settings.checkpoint_key_path, settings.work_dir
            )
        except CheckpointKeyError as error:
            print(f"hub: {error}", file=sys.stderr)
            return 2
        try:
            held = read_held(args.checkpoint)
        except ValueError as error:
            raise SystemExit(f"hub: {error}") from None

    async def check(state: State) -> int:
        result = await state.verify()
        if not result.ok:
            print(f"ledger BROKEN: {result.problem} ({result.entries} entries verified before it)")
            return 1
        if held:
            entries = await state.entries()
            found = shortfalls(held, entries, trusted)
            for shortfall in found:
                print(f"{SHORTFALL[shortfall.kind]} #{shortfall.seq}: {shortfall.why}")
            if found:
                return 1
            newest = max(held, key=lambda checkpoint: int(checkpoint["seq"]))
            print(
                f"checkpoint ok: entry #{newest['seq']} is the one key {newest['key_id']} "
                f"signed, the newest of {len({c['seq'] for c in held})} heads held, each extended"
            )
            last = entries[-1].seq if entries else 0
            if last > newest["seq"]:
                print(f"entries #{newest['seq'] + 1} to #{last}: under no head held yet")
        print(f"ledger ok: {result.entries} entries, head {result.head}")
        return 0

    return _with_state(args, check)


SHORTFALL = {
    "refused": "checkpoint REFUSED, that of",
    "rewritten": "ledger BROKEN against the checkpoint of",
    "short": "ledger SHORT of the checkpoint of",
}


def _operator() -> str:
    """Who looks from the machine itself: the system's user name."""
    return f"local:{getpass.getuser()}"


def _show(args: argparse.Namespace) -> int:
    async def dump(state: State) -> int:
        shown = [
            row
            for row in await state.entries()
            if (not args.notice or row.entry.notice_id == args.notice)
            and (not args.case or row.entry.case_id == args.case)
        ]
        await state.commit(_looks_shown(args.notice, args.case, shown))
        for row in shown:
            line = {"seq": row.seq, "recorded_at": row.recorded_at, **asdict(row.entry)}
            print(json.dumps(line, ensure_ascii=False))
        return 0

    return _with_state(args, dump)


def _looks_shown(notice: str | None, case: str | None, shown: list[Stored]) -> list[Entry]:
    """The look `ledger show` makes: at a notice (in every case it names), a case, or all."""
    if not notice and not case:
        return [looked_over(_operator(), shown, None)]
    if notice:
        return looked_up(
            _operator(), notice, Timeline(notice, "notice", tuple(shown)) if shown else None
        )
    return looked_up(
        _operator(), case, Timeline(case or "", "case", tuple(shown)) if shown else None
    )


def _trace(args: argparse.Namespace) -> int:
    async def find(state: State) -> int:
        found = await timeline(state.about, args.id)
        await state.commit(looked_up(_operator(), args.id, found))
        if found is None:
            print(f"the ledger holds nothing about {args.id}", file=sys.stderr)
            return 1
        if args.json:
            print(json.dumps(found.as_json(), ensure_ascii=False, indent=2))
        else:
            print(render(found))
        return 0

    return _with_state(args, find)


def _erase(args: argparse.Namespace) -> int:
    async def destroy(state: State) -> int:
        try:
            done = await erase_case(state, args.case_id, "request", datetime.now(UTC))
        except ErasureError as error:
            print(f"hub erase FAILED: {error}", file=sys.stderr)
            return 1
        if not done:
            print(f"nothing to erase: no key for case {args.case_id}", file=sys.stderr)
            return 1
        print(f"case {args.case_id} erased: its key is destroyed, the ledger records it")
        for line in _copies_left(await state.about({args.case_id}), Settings()):
            print(line)
        return 0

    return _with_state(args, destroy)


def _copies_left(steps: list[Stored], settings: Settings) -> list[str]:
    """Where copies of an erased case remain, and until when at most."""
    until: dict[str, datetime] = {}
    senders: set[str] = set()
    receivers: set[str] = set()
    for stored in steps:
        entry = stored.entry
        if entry.kind == "accepted":
            senders.add(entry.sender.strip("/").split("/", 1)[0])
            topic = inbound(entry.sender.strip("/").split("/", 1)[0])
        elif entry.kind == "delivered":
            receivers.add((entry.office or "").split("/", 1)[0])
            topic = str(entry.detail.get("topic"))
        else:
            continue
        end = kept_until(topic, datetime.fromisoformat(stored.recorded_at), settings)
        until[topic] = max(until.get(topic, end), end)
    lines = ["copies that remain (the broker deletes them at its topics' retention):"]
    lines += [
        f"  {topic}: until {end:%Y-%m-%d %H:%M} UTC at most" for topic, end in sorted(until.items())
    ]
    lines += [
        f"  {p}'s adapter: its outbox keeps the payload until the hub's answer, then only the "
        "headers and key; an export file it read stays in its drop folder's traites/ under the "
        "partner's retention"
        for p in sorted(senders)
        if p != "hub"
    ]
    lines += [
        f"  {p}'s adapter: the received files (recus/, rappels/) or what its webhook handed "
        "over, under the partner's retention; its inbox keeps ids only"
        for p in sorted(receivers)
        if p
    ]
    lines.append("  the partners' own systems: under their own retention")
    lines.append("  the ledger: ids, codes and field names only, kept as evidence")
    return lines


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _audit_export(args: argparse.Namespace) -> int:
    async def write(state: State) -> int:
        stored, verification = await state.entries(), await state.verify()
        key = Settings().audit_key
        start, end = _moment(args.start), _moment(args.end)
        try:
            chosen = period_entries(stored, verification, start, end)
        except AuditError as error:
            print(f"hub: {error}", file=sys.stderr)
            return 1
        await state.commit([looked_over(_operator(), chosen, (start, end))])
        done = export(
            chosen,
            verification,
            start,
            end,
            folder=args.out,
            key=key.get_secret_value().encode() if key else None,
        )
        signed = "signed" if "signature" in done.manifest else "unsigned (no HUB_AUDIT_KEY)"
        print(f"{done.entries} entries written to {done.folder}; manifest {signed}")
        return 0

    return _with_state(args, write)
