"""`hub contracts check|docs|freeze|at`: the catalogue checked, documented, frozen, dated."""

from __future__ import annotations

import argparse
from typing import Any

from hub.catalogue.compat import freeze
from hub.catalogue.contracts import load_catalogue
from hub.catalogue.directory import DirectoryError, load_directory
from hub.catalogue.docs import ASYNCAPI_VERSION, asyncapi, markdown
from hub.catalogue.meta import ContractError
from hub.settings import PROJECT_ROOT, Settings
from hub.tools.contracts_at import calendar_day, in_force_on
from hub.tools.partner_list import with_partner_list
from hub.tools.staging import catalogue_problems

DOCS = PROJECT_ROOT / "docs"
MAJOR_MINOR = ".".join(ASYNCAPI_VERSION.split(".")[:2])


def add_contract_commands(commands: Any) -> None:
    """`contracts check`, `contracts docs`, `contracts freeze` and `contracts at`."""
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
    check.set_defaults(run=check_contracts)
    docs = contract_commands.add_parser(
        "docs",
        help="write docs/contracts.md and docs/asyncapi.yaml",
        description=f"Generate the human catalogue and the AsyncAPI {MAJOR_MINOR} document from "
        "the contracts and the directory, and the wire contract's partner list. With --check, "
        "write nothing and exit 1 if they are stale.",
    )
    docs.add_argument("--check", action="store_true", help="only check they are up to date")
    docs.set_defaults(run=_contract_docs)
    frozen = contract_commands.add_parser(
        "freeze",
        help="keep a major's live minor as history before changing it",
        description="Write the live schema of a major, self-contained, to "
        "contracts/<id>/v<major>/history/<major>.<minor>.json. Every later minor must stay "
        "FULL compatible with it (hub contracts check).",
    )
    frozen.add_argument("contract", help="contract id, e.g. ip.transmission")
    frozen.add_argument("--major", type=int, required=True, help="the major version to freeze")
    frozen.set_defaults(run=_freeze_contract)
    at = contract_commands.add_parser(
        "at",
        help="say what is in force on a day",
        description="Print what the catalogue puts in force on a day: each contract in force, "
        "its majors, producers, consumers, scopes and deadlines in force, each dated one with "
        "its dates and text; then the contracts retired by that day or not in force on it.",
    )
    at.add_argument("day", type=calendar_day, metavar="DAY", help="the day, YYYY-MM-DD")
    at.set_defaults(run=_contracts_at)


def check_contracts(_: argparse.Namespace) -> int:
    """`hub contracts check`: every fault printed, exit 1 if there is any."""
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


def _contracts_at(args: argparse.Namespace) -> int:
    settings = Settings()
    try:
        catalogue = load_catalogue(settings.contracts_path)
        directory = load_directory(settings.directory_path)  # the département's agreed periods
    except (ContractError, DirectoryError) as error:
        print(f"contracts BROKEN: {error}")
        return 1
    print(in_force_on(catalogue, args.day, directory.agreements), end="")
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
