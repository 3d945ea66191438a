"""`hub contracts at DAY` as an operator runs it, on a copy of the catalogue given dated rules.

In the copy, the payer's request for the CCAPEX's avis (`logement.demande-avis`) holds until
31 December 2026 and the CCAPEX's own decision (`logement.decision-aide`, its retirement
withdrawn) from 1 January 2027, one regime; the MSA sends requests from 1 July 2026; v1 of the
IP is retired after 31 December 2026; the report to the Parquet is retired after June 2027.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from hub.catalogue.agreements import AgePeriod, Agreement
from hub.catalogue.contracts import Catalogue
from hub.tools.contracts_at import in_force_on
from tests.commands import hub_command
from tests.conftest import CONTRACTS, DIRECTORY

TEXT = "Décret n° 2026-84 du 12 février 2026, art. 3"
REGIME = "logement.suspension-aide"


def _edit(contracts: Path, contract: str, **keys: Any) -> dict[str, Any]:
    """Set keys of a contract.yaml of the copy (a key set to None is removed); its new content."""
    path = contracts / contract / "contract.yaml"
    meta = yaml.safe_load(path.read_text(encoding="utf-8"))
    meta.update(keys)
    meta = {key: value for key, value in meta.items() if value is not None}
    path.write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return dict(meta)


@pytest.fixture(scope="module")
def dated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the contracts and the directory, with the dated rules above."""
    root = tmp_path_factory.mktemp("dated")
    contracts = root / "contracts"
    shutil.copytree(CONTRACTS, contracts)
    shutil.copy(DIRECTORY, root / "directory.yaml")
    producers = [
        "caf/caf",
        {"office": "msa/msa", "in_force": {"from": date(2026, 7, 1), "text": "MSA, convention"}},
    ]
    _edit(
        contracts,
        "logement.demande-avis",
        regime=REGIME,
        in_force={"until": date(2026, 12, 31), "text": TEXT},
        producers=producers,
    )
    _edit(
        contracts,
        "logement.decision-aide",
        regime=REGIME,
        in_force={"from": date(2027, 1, 1), "text": TEXT},
        retired=None,
    )
    retired_v1 = {
        "announced_on": date(2026, 10, 1),
        "last_accepted_on": date(2026, 12, 31),
        "replaced_by": 2,
        "why": "v2 carries the household's consent",
    }
    _edit(contracts, "ip.transmission", majors={1: {"retired": retired_v1}})
    retired = {
        "announced_on": date(2027, 1, 15),
        "last_accepted_on": date(2027, 6, 30),
        "replaced_by": ["instruction.regularisation"],
        "why": "planted",
    }
    _edit(contracts, "instruction.signalement-parquet", retired=retired)
    return root


def _at(root: Path, day: str) -> subprocess.CompletedProcess[str]:
    """`hub contracts at DAY` on the copy."""
    return hub_command("contracts", "at", day, root=root)


def _lines(root: Path, day: str) -> list[str]:
    done = _at(root, day)
    assert done.returncode == 0, done.stdout + done.stderr
    header = f"In force on {day} (for a file opened that day: a file opened earlier keeps the rules"
    assert done.stdout.startswith(header), done.stdout
    return done.stdout.splitlines()


def test_the_day_before_and_the_day_after_a_change_of_regime_differ(dated: Path) -> None:
    before, after = _lines(dated, "2026-12-31"), _lines(dated, "2027-01-01")
    request = f"logement.demande-avis, regime {REGIME} (until 2026-12-31, {TEXT})"
    decision = f"logement.decision-aide, regime {REGIME} (from 2027-01-01, {TEXT})"
    assert request in before
    assert f"not in force: logement.decision-aide (from 2027-01-01, {TEXT})" in before
    assert decision not in before
    assert decision in after
    assert f"not in force: logement.demande-avis (until 2026-12-31, {TEXT})" in after
    assert request not in after
    # Undated contracts are in force either day, in id order, and the ends come last.
    headings = [line for line in after[1:] if line and not line.startswith(" ")]
    ends = ("not in force: ", "retired: ")
    in_force = [h.split(" ")[0].rstrip(",") for h in headings if not h.startswith(ends)]
    assert in_force == sorted(in_force)
    assert "ip.retour" in in_force
    last = headings[len(in_force) :]
    assert f"not in force: logement.demande-avis (until 2026-12-31, {TEXT})" in last
    assert all(h.startswith(ends) for h in last)


def _section(lines: list[str], contract: str) -> list[str]:
    """A contract's lines in the listing: its heading, then its indented lines."""
    start = next(i for i, line in enumerate(lines) if line.split(",")[0] == contract)
    end = next((i for i in range(start + 1, len(lines)) if not lines[i]), len(lines))
    return lines[start:end]


def test_each_dated_piece_is_followed_by_its_dates_and_text(dated: Path) -> None:
    request = _section(_lines(dated, "2026-12-31"), "logement.demande-avis")
    assert "    caf/caf" in request
    assert "    msa/msa (from 2026-07-01, MSA, convention)" in request
    earlier = _section(_lines(dated, "2026-06-30"), "logement.demande-avis")
    assert "    caf/caf" in earlier
    assert not any(line.strip().startswith("msa/msa") for line in earlier)


def test_a_major_retired_by_then_is_marked(dated: Path) -> None:
    ip_before = _section(_lines(dated, "2026-12-31"), "ip.transmission")
    ip_after = _section(_lines(dated, "2027-01-01"), "ip.transmission")
    assert "    v1: retiring, last accepted 2026-12-31, then v2" in ip_before
    assert "    v1: retired after 2026-12-31, send v2" in ip_after
    assert "    v2" in ip_after


def test_a_contract_retired_by_then_is_listed_at_the_end(dated: Path) -> None:
    june, july = _lines(dated, "2027-06-30"), _lines(dated, "2027-07-01")
    assert _section(june, "instruction.signalement-parquet")[1] == (
        "  retiring: last accepted 2027-06-30, then send instruction.regularisation"
    )
    retired = "retired: instruction.signalement-parquet (after 2027-06-30: send "
    assert f"{retired}instruction.regularisation)" in july
    assert not any(line.startswith(retired) for line in june)


@pytest.mark.parametrize("day", ["2026-02-30", "31/12/2026", "20261231", "tomorrow"])
def test_a_day_that_is_not_one_is_refused_with_how_to_write_it(dated: Path, day: str) -> None:
    done = _at(dated, day)
    assert done.returncode == 2
    assert done.stdout == ""
    assert f"'{day}' is not a day: write it YYYY-MM-DD, as 2027-01-01" in done.stderr


def test_the_departement_s_periods_are_shown_beside_the_contract_s(catalogue: Catalogue) -> None:
    agreements = {
        "ip.transmission": {
            "evaluation": Agreement(period="P2M", by_age=(AgePeriod(under=2, period="P1M"),)),
            "feedback": Agreement(period="P4M"),  # refused by the check: the hub keeps the law's
            "urgent_receipt": Agreement(period="PT12H"),
        }
    }
    lines = in_force_on(catalogue, date(2026, 12, 8), agreements).splitlines()
    section = _section(lines, "ip.transmission")
    items: list[str] = []
    for line in section[section.index("  deadlines:") + 1 :]:
        if line.startswith(" " * 8):  # a wrapped item's next line
            items[-1] += " " + line.strip()
        else:
            items.append(line.strip())
    assert [item.rsplit("; ", 1)[0] for item in items] == [
        "feedback: P3M from sent_on",
        (
            "evaluation: P2M, P1M under 2 years of child.birth_date (the département's "
            "agreement; the contract's: P3M) from the acceptance"
        ),
        (
            "urgent_receipt: PT12H (the département's agreement; the contract's: PT24H) from "
            "the acceptance"
        ),
    ]
