"""The hub's calendar through the month, set as in a drill, and what setting it moves.

The hub judges a file (a case) by the rules in force on the day it accepted the file's first
notice, on its calendar: the clock setting `HUB_DEADLINES_AS_OF` in a drill
(`settings.deadlines_as_of`), else the real day. The month sets it, so that it plays the same
on whatever day it is run: December 2026 for its weeks (the payer decides on the housing
benefit, CCH R824-8), January 2027 for its last part (the CCAPEX decides, CCH L824-2 and décret
2026-84), the hub restarted on the same state in between.

What the setting moves, as the hub's code reads it (`deadlines_as_of` and `deadline_clock`
under hub/): `hub.assembly` gives its day to the intake (`Intake(today=...)`), and
`hub.schedules.tasks.deadline_clock` its instant to the deadline watch and the gauges. The rest
of the hub keeps the real clock: the relay's (acceptance times, and the deadlines that run from
the acceptance), the state's (the ledger's entry times), redelivery's back-off, retention and
checkpoints (`datetime.now` in `hub.schedules.tasks.start_schedules`). `MOVES` and `STAYS` say
it in words; the month prints them when it moves the clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")  # the hub's days are the département's
SETTING = "HUB_DEADLINES_AS_OF"
DECEMBER = datetime(2026, 12, 7, 9, tzinfo=PARIS)  # Monday 7 December 2026: the payer decides
JANUARY = datetime(2027, 1, 15, 9, tzinfo=PARIS)  # Friday 15 January 2027: the CCAPEX decides

MOVES = (
    (
        "the day a new file opens on, whose rules it keeps for good (`regime_on` in the "
        "ledger): which contracts, majors, producers, consumers, scopes (the definition of "
        "arrears) and deadlines are in force for it"
    ),
    "retirements of a contract or of a major, judged on that day",
    "what a redelivery sends again: the kept notice is examined again on that day",
    (
        "the instant deadlines are counted at, hence which ones have run out, and the time "
        "each deadline alert carries"
    ),
    "the gauges of open and overdue deadlines",
)
STAYS = (
    (
        "the time the hub accepts or refuses a notice (its acceptance, its ledger entries), "
        "and so the deadlines that run from the acceptance (an urgent IP's receipt, an ISG "
        "orientation's): they run from the real instant"
    ),
    (
        "when a delivery is sent again (its back-off), when a file's retention has run and it "
        "is erased, when the ledger's head is signed: the real clock"
    ),
    "the dates the notices carry: the institutions' own",
)


def setting(moment: datetime) -> dict[str, str]:
    """The hub's environment for a calendar set to `moment`."""
    return {SETTING: moment.isoformat(timespec="seconds")}


def a_day_later() -> datetime:
    """A day and an hour after the month's December day, and after the real instant.

    Deadlines that run from the hub's acceptance run from the real instant (`STAYS`): a day
    after the December day alone would not reach an urgent IP's 24 hours.
    """
    return max(datetime.now(UTC), DECEMBER) + timedelta(hours=25)
