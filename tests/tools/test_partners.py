"""`hub partner add`: the directory and the contracts edited in place, nothing else touched."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hub.catalogue.checks import consistency
from hub.catalogue.contracts import load_catalogue
from hub.catalogue.directory import load_directory
from hub.settings import PROJECT_ROOT
from hub.tools.cli import main
from hub.tools.partners import (
    NewPartner,
    PartnerError,
    Receiving,
    add_partner,
    office_option,
    receives_option,
    sends_option,
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for part in ("contracts", "directory"):
        shutil.copytree(PROJECT_ROOT / part, tmp_path / part)
    return tmp_path


HOSPITAL = NewPartner(
    "chu",
    "Centre hospitalier universitaire",
    {"service-social": "Service social hospitalier"},
    sends=(("ip.transmission", "service-social"),),
    receives=(
        Receiving("ip.retour", "service-social", answered=True),
        Receiving("logement.orientation", "service-social", ("ccapex_reference", "sent_on")),
    ),
)


def _added(lines_before: list[str], lines_after: list[str]) -> list[str]:
    """The lines added, checking every line of before is still there, in order."""
    added, rest = [], iter(lines_before)
    expected = next(rest, None)
    for line in lines_after:
        if line == expected:
            expected = next(rest, None)
        else:
            added.append(line)
    assert expected is None, f"a line was changed or removed: {expected!r}"
    return added


def test_a_partner_is_added_with_only_new_lines(project: Path) -> None:
    directory_path = project / "directory" / "haute-vienne.yaml"
    files = [directory_path, *sorted((project / "contracts").glob("*/contract.yaml"))]
    before = {p: p.read_text("utf-8").splitlines() for p in files}
    catalogue = load_catalogue(project / "contracts")
    done = add_partner(HOSPITAL, catalogue, load_directory(directory_path), directory_path)

    added = {
        p.relative_to(project).as_posix(): lines
        for p in files
        if (lines := _added(before[p], p.read_text("utf-8").splitlines()))
    }
    assert added == {
        "directory/haute-vienne.yaml": [
            "  chu:",
            '    name: "Centre hospitalier universitaire"',
            "    offices:",
            '      service-social: {name: "Service social hospitalier"}',
        ],
        "contracts/ip.transmission/contract.yaml": ["  - chu/service-social"],
        "contracts/hub.recall/contract.yaml": ["  - chu/service-social"],
        "contracts/hub.receipt/contract.yaml": ["  - chu/service-social"],
        "contracts/logement.orientation/contract.yaml": [
            "  - office: chu/service-social",
            "    fields:",
            "      - ccapex_reference",
            "      - sent_on",
        ],
        # Like every partner, it keeps the ledger's signed heads, at its first office.
        "contracts/hub.ledger-head/contract.yaml": [
            "  - office: chu/service-social",
            "    fields:",
            "      - seq",
            "      - hash",
            "      - signed_at",
            "      - key_id",
            "      - public_key",
            "      - signature",
        ],
    }
    assert any("ip.retour" in line and "office that asked" in line for line in done)
    # The result is a catalogue the hub runs on.
    directory = load_directory(directory_path)
    assert consistency(load_catalogue(project / "contracts"), directory) == []
    assert directory.offices("chu") == ("service-social",)


@pytest.mark.parametrize(
    ("new", "fault"),
    [
        (NewPartner("caf", "x", {"caf": "x"}), "already in the directory"),
        (NewPartner("chu", "x", {"a": "x"}, sends=(("nope.nope", "a"),)), "no such contract"),
        (NewPartner("chu", "x", {"a": "x"}, sends=(("ip.transmission", "b"),)), "not one of its"),
        (
            NewPartner("chu", "x", {"a": "x"}, sends=(("hub.acceptance", "a"),)),
            "hub's own records",
        ),
        (
            NewPartner("chu", "x", {"a": "x"}, receives=(Receiving("ip.retour", "a", ("x",)),)),
            "has no field x",
        ),
        (
            NewPartner(
                "chu", "x", {"a": "x"}, receives=(Receiving("ip.retour", "a", answered=True),)
            ),
            "only if it sends one of ip.transmission",
        ),
        (
            NewPartner(
                "chu", "x", {"a": "x"}, receives=(Receiving("ip.transmission", "a", answered=True),)
            ),
            "no `answered` consumer",
        ),
    ],
)
def test_a_wrong_request_writes_nothing(project: Path, new: NewPartner, fault: str) -> None:
    directory_path = project / "directory" / "haute-vienne.yaml"
    before = directory_path.read_text("utf-8")
    with pytest.raises(PartnerError, match=fault):
        add_partner(
            new,
            load_catalogue(project / "contracts"),
            load_directory(directory_path),
            directory_path,
        )
    assert directory_path.read_text("utf-8") == before


def _files(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(
    ("options", "fault"),
    [
        # `sdk` names the adapters' SDK package: its adapter cannot be written.
        (
            ["--sends", "ip.transmission:sdk", "--receives", "ip.retour:sdk=answered"],
            "adapters/sdk is the adapters' SDK",
        ),
        # Sending a request whose answer comes back to it makes it receive without receipting.
        (
            ["--sends", "logement.demande-avis:sdk", "--no-adapter"],
            "is not a producer of hub.receipt",
        ),
    ],
)
def test_a_partner_is_written_only_when_every_check_passes(
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    options: list[str],
    fault: str,
) -> None:
    monkeypatch.setenv("HUB_DIRECTORY_PATH", str(project / "directory" / "haute-vienne.yaml"))
    monkeypatch.setenv("HUB_CONTRACTS_PATH", str(project / "contracts"))
    before = _files(project)
    adapters = _files(PROJECT_ROOT / "adapters" / "sdk")
    code = main(["partner", "add", "sdk", "--name", "SDK", "--office", "sdk=SDK", *options])
    assert code == 1
    assert _files(project) == before
    assert _files(PROJECT_ROOT / "adapters" / "sdk") == adapters
    out = capsys.readouterr()
    assert fault in out.out + out.err


def test_the_options_read_as_an_integrator_types_them() -> None:
    assert office_option("msa=MSA du Limousin") == ("msa", "MSA du Limousin")
    assert sends_option("logement.demande-avis:msa") == ("logement.demande-avis", "msa")
    assert receives_option("logement.avis:msa=answered") == Receiving(
        "logement.avis", "msa", answered=True
    )
    assert receives_option("a.b:o=x, y.z") == Receiving("a.b", "o", ("x", "y.z"))
    for wrong in ("msa", "a.b:o", "a.b=x"):
        with pytest.raises(PartnerError):
            receives_option(wrong)
