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
from hub.tools.partner_options import (
    PartnerError,
    Receiving,
    office_option,
    receives_option,
    sends_option,
)
from hub.tools.partners import NewPartner, add_partner


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
    kind="hospital",
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
            "    kind: hospital",
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
    assert directory.kind_of("chu", "service-social") == "hospital"


@pytest.mark.parametrize(
    ("new", "fault"),
    [
        (NewPartner("caf", "x", {"caf": "x"}, kind="benefit-payer"), "already in the directory"),
        (
            NewPartner("chu", "x", {"a": "x"}, sends=(("nope.nope", "a"),), kind="hospital"),
            "no such contract",
        ),
        (
            NewPartner("chu", "x", {"a": "x"}, sends=(("ip.transmission", "b"),), kind="hospital"),
            "not one of its",
        ),
        (
            NewPartner("chu", "x", {"a": "x"}, sends=(("hub.acceptance", "a"),), kind="hospital"),
            "hub's own records",
        ),
        (
            NewPartner(
                "chu",
                "x",
                {"a": "x"},
                receives=(Receiving("ip.retour", "a", ("x",)),),
                kind="hospital",
            ),
            "has no field x",
        ),
        (
            NewPartner(
                "chu",
                "x",
                {"a": "x"},
                receives=(Receiving("ip.retour", "a", answered=True),),
                kind="hospital",
            ),
            "only if it sends one of ip.transmission",
        ),
        (
            NewPartner(
                "chu",
                "x",
                {"a": "x"},
                receives=(Receiving("ip.transmission", "a", answered=True),),
                kind="hospital",
            ),
            "no `answered` consumer",
        ),
        (
            NewPartner("chu", "x", {"a": "x"}, kind="clinic"),
            "--kind clinic: not a legal kind of the recipient policy; one of child-protection, ",
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
        # Every payer's numbers: no `when` on payer.organisation can name it, none is proposed.
        (
            ["--receives", "logement.demande-avis:sdk=ccapex_reference", "--no-adapter"],
            "payer.organisation can name only caf, msa, not sdk, so no `when` on it",
        ),
        # A condition its field can never meet would deliver nothing.
        (
            ["--receives", "logement.orientation:sdk=sent_on when orientation.service=ccas"],
            "when orientation.service is ccas, which it can never be (it holds mdd, fsl)",
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
    named = ["partner", "add", "sdk", "--name", "SDK", "--kind", "hospital", "--office", "sdk=SDK"]
    code = main([*named, *options])
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
    assert receives_option("a.b:o=x,y when c.d=e, f") == Receiving(
        "a.b", "o", ("x", "y"), when=("c.d", ("e", "f"))
    )
    wrong_ones = (
        "msa",
        "a.b:o",
        "a.b=x",
        "a.b:o=answered when c=d",
        "a.b:o=x when c",
        "a.b:o=x when =d",
    )
    for wrong in wrong_ones:
        with pytest.raises(PartnerError):
            receives_option(wrong)


def test_the_legal_kind_of_a_new_partner_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    # No default: the kind decides what its offices may receive, so the integrator chooses it.
    with pytest.raises(SystemExit) as exited:
        main(["partner", "add", "chu", "--name", "CHU", "--office", "chu=CHU"])
    assert exited.value.code == 2
    assert "the following arguments are required: --kind" in capsys.readouterr().err


def test_a_condition_is_written_as_the_contracts_write_one_each_value_as_its_field_holds_it(
    project: Path,
) -> None:
    directory_path = project / "directory" / "haute-vienne.yaml"
    orientation = project / "contracts" / "logement.orientation" / "contract.yaml"
    avis = project / "contracts" / "logement.demande-diagnostic" / "contract.yaml"
    before = {p: p.read_text("utf-8").splitlines() for p in (orientation, avis)}
    ccas = NewPartner(
        "ccas",
        "CCAS de Limoges",
        {"ccas": "Centre communal d'action sociale"},
        kind="social-services",
        receives=(
            receives_option(
                "logement.orientation:ccas=ccapex_reference,orientation"
                " when address.commune_insee=87085"
            ),
            receives_option(
                "logement.demande-diagnostic:ccas=ccapex_reference when consent.agreed=true"
            ),
        ),
    )
    catalogue = load_catalogue(project / "contracts")
    done = add_partner(ccas, catalogue, load_directory(directory_path), directory_path)
    assert _added(before[orientation], orientation.read_text("utf-8").splitlines()) == [
        "  - office: ccas/ccas",
        "    when: {field: address.commune_insee, in: ['87085']}",  # a commune code: a string
        "    fields:",
        "      - ccapex_reference",
        "      - orientation",
    ]
    assert "    when: {field: consent.agreed, in: [true]}" in _added(  # a boolean
        before[avis], avis.read_text("utf-8").splitlines()
    )
    assert (
        "logement.orientation: consumer ccas/ccas sees ccapex_reference, orientation, "
        "when: {field: address.commune_insee, in: ['87085']}"
    ) in done
    written = load_catalogue(project / "contracts")
    diagnosis = written.contracts["logement.demande-diagnostic"]
    [mine] = [c for c in diagnosis.meta.consumers if c.partner == "ccas"]
    assert mine.when is not None
    assert mine.when.values == (True,)


def test_a_condition_on_a_field_the_contract_lacks_writes_nothing(project: Path) -> None:
    directory_path = project / "directory" / "haute-vienne.yaml"
    new = NewPartner(
        "ccas",
        "x",
        {"ccas": "x"},
        kind="social-services",
        receives=(receives_option("logement.avis:ccas=sent_on when acting.ccas=true"),),
    )
    with pytest.raises(PartnerError, match=r"logement\.avis v1 has no field acting\.ccas"):
        add_partner(
            new,
            load_catalogue(project / "contracts"),
            load_directory(directory_path),
            directory_path,
        )


def test_the_help_says_how_to_write_a_condition(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["partner", "add", "--help"])
    said = " ".join(capsys.readouterr().out.split())
    assert '--receives "CONTRACT:OFFICE=FIELDS[ when FIELD=VALUES]"' in said
    assert "' when FIELD=VALUE,...': only the notices whose field has one of the values" in said
