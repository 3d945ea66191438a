"""`hub partner add` and `hub adapter new`: a partner joins, with its adapter."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from hub.catalogue.contracts import load_catalogue
from hub.catalogue.directory import load_directory
from hub.settings import PROJECT_ROOT, Settings
from hub.tools.contract_commands import check_contracts
from hub.tools.partner_options import PartnerError, office_option, receives_option, sends_option
from hub.tools.partners import NewPartner, add_partner
from hub.tools.scaffold import ScaffoldError, scaffold


def add_partner_commands(commands: Any) -> None:
    """`partner add`: a partner, its offices, what each sends and receives, its adapter."""
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
        metavar='"CONTRACT:OFFICE=FIELDS[ when FIELD=VALUES]"',
        help="a contract the office receives and the fields it sees, comma-separated; or "
        "=answered: as the office whose notice it answers. Then, quoted for the space, "
        "' when FIELD=VALUE,...': only the notices whose field has one of the values, e.g. "
        '"logement.orientation:ccas=ccapex_reference,orientation when '
        'address.commune_insee=87085" (repeat)',
    )
    add.add_argument("--no-adapter", action="store_true", help="do not write its adapter")
    add.set_defaults(run=_add_partner)


def add_adapter_commands(commands: Any) -> None:
    """`adapter new`: an adapter on the SDK for a partner of the directory."""
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
    code = check_contracts(args)
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
