"""`python -m scenario` (what `make run` runs): broker, hub, six adapters, and the month.

Without `--exit-after` everything keeps running after the summary, for a look at the folders,
the APIs and the ledger, until Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from hub.assembly import kafka_bootstrap, until_signalled
from hub.settings import Settings
from scenario.casemanagement import CaseManagement
from scenario.cast import Cast, fresh
from scenario.clock import DECEMBER, setting
from scenario.institutions import SAMPLES, Incomplete, application_server
from scenario.month import Month
from scenario.summary import summary


def main(argv: list[str] | None = None) -> int:
    """Parse the options and play."""
    parser = argparse.ArgumentParser(prog="python -m scenario", description=__doc__)
    parser.add_argument(
        "--folder", type=Path, default=Path(".demo"), help="where every process keeps its files"
    )
    parser.add_argument(
        "--exit-after",
        action="store_true",
        help="stop once the month is played; exit 1 if anything it waited for did not happen",
    )
    args = parser.parse_args(argv)
    try:
        return asyncio.run(play(args.folder, exit_after=args.exit_after))
    except KeyboardInterrupt:
        return 130


async def play(folder: Path, *, exit_after: bool) -> int:
    """Start everyone, play the month, print the summary."""
    folder = fresh(folder)
    async with kafka_bootstrap(Settings(), folder / "logs") as (bootstrap, embedded):
        cast = Cast(folder, bootstrap, external=not embedded)
        application = CaseManagement(cast.webhook_secret.encode(), SAMPLES / "departement")
        runner, cast.webhook_url = await application_server(application)
        complete = False
        try:
            print(f"Starting the hub and the six adapters in {folder}/ ...", flush=True)
            await asyncio.to_thread(cast.start_hub, **setting(DECEMBER))
            await asyncio.to_thread(cast.start_adapters)
            application.api, application.token = cast.api("departement"), cast.token
            month = Month(cast, sys.stdout, application)
            try:
                await month.play()
                complete = not application.failures
            except Incomplete as error:
                print(f"\nThe month did not complete: {error}", flush=True)
            summary(month, sys.stdout)
            print("\nThe month is complete." if complete else "\nThe month is INCOMPLETE.")
            if not exit_after:
                print("Everything keeps running; Ctrl-C to stop.", flush=True)
                await until_signalled()
        finally:
            codes = await asyncio.to_thread(cast.stop)
            await runner.cleanup()
            failed = {name: code for name, code in codes.items() if code != 0}
            if failed:
                print(f"processes that did not stop cleanly: {failed}", flush=True)
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
