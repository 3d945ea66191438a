"""The catalogue's dated rules in docs/contracts.md: each with its dates and text, each group."""

import dataclasses
from datetime import date

from hub.catalogue.contracts import Catalogue, Contract
from hub.catalogue.directory import PartnerDirectory
from hub.catalogue.docs import markdown
from hub.catalogue.in_force import InForce

DECISION = "logement.decision-ccapex"
REFERRAL = "logement.saisine-departement"
SECTION = "## Dated rules and regimes"


def _flat(text: str) -> str:
    return " ".join(text.split())


def _section(text: str, contract: str) -> str:
    return text.split(f"## `{contract}`", 1)[1].split("\n## ", 1)[0]


def _dated(contract: Contract) -> list[tuple[str, InForce]]:
    """Every dated piece of a contract, read from its metadata here, not by the docs' module."""
    meta = contract.meta
    found = [("the contract", meta.in_force)] if meta.in_force else []
    found += [(f"v{n}", m.in_force) for n, m in meta.majors.items() if m.in_force]
    found += list(meta.producers_in_force.items())
    found += [(c.office, c.in_force) for c in meta.consumers if c.in_force]
    found += [(s.rule, s.in_force) for s in meta.scopes if s.in_force]
    found += [(d.name, d.in_force) for d in meta.deadlines if d.in_force]
    return found


def _with(catalogue: Catalogue, contract_id: str, **update: object) -> Catalogue:
    """The catalogue with one contract's metadata changed (the shared one is left alone)."""
    contract = catalogue.contracts[contract_id]
    changed = dataclasses.replace(contract, meta=contract.meta.model_copy(update=update))
    return Catalogue(
        {**catalogue.contracts, contract_id: changed},
        catalogue.registry,
        catalogue.fast_registry,
        catalogue.categories,
        catalogue.policy,
    )


def test_every_dated_rule_shows_its_dates_and_text_in_its_contracts_section(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    text = markdown(catalogue, directory)
    shown = 0
    for contract in catalogue.contracts.values():
        section = _flat(_section(text, contract.id))
        for what, in_force in _dated(contract):
            assert in_force.label() in section, (contract.id, what)
            assert _flat(in_force.text) in section, (contract.id, what)
            shown += 1
    assert shown >= 9  # the housing contracts' dates: contracts, a major, scopes, a deadline
    section = _section(text, DECISION)
    assert "- **In force** from 2027-01-01, under CCH L824-2 (loi n° 2023-668, art. 13)" in section
    assert "regime [`logement.benefit-decision`](#regime-logementbenefit-decision)" in section
    assert "`contract.not-in-force`" in section


def test_a_rule_whose_dates_are_removed_is_no_longer_shown_as_dated(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    undated = markdown(_with(catalogue, DECISION, in_force=None, regime=None), directory)
    section = _section(undated, DECISION)
    assert "**In force**" not in section
    assert "from 2027-01-01" not in section
    group = undated.split("### Regime `logement.benefit-decision`", 1)[1].split("\n### ", 1)[0]
    assert DECISION not in group


def test_each_regime_lists_its_members_in_date_order_with_their_texts(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    text = markdown(catalogue, directory)
    dated = _flat(text.split(SECTION, 1)[1].split("\n## `", 1)[0])
    groups: dict[str, list[InForce]] = {}
    for contract in catalogue.contracts.values():
        meta = contract.meta
        pieces = [(meta.regime, meta.in_force)]
        pieces += [(s.regime, s.in_force) for s in meta.scopes]
        pieces += [(d.regime, d.in_force) for d in meta.deadlines]
        for regime, in_force in pieces:
            if regime and in_force:
                groups.setdefault(regime, []).append(in_force)
    assert {"logement.benefit-decision", "logement.arrears-definition"} <= set(groups)
    for name, members in groups.items():
        table = text.split(f"### Regime `{name}`", 1)[1].split("\n#", 1)[0]
        rows = [row for row in table.splitlines() if row.startswith("| ") and "---" not in row]
        assert len(rows) == len(members) + 1, name  # its heading, then one row a member
        firsts = [
            date.fromisoformat(row.split("from ", 1)[1][:10]) if "| from " in row else date.min
            for row in rows[1:]
        ]
        assert firsts == sorted(firsts), name
        for in_force in members:
            assert _flat(in_force.text) in _flat(table), name
    assert "| until 2026-12-31 | `logement.decision-payeur` |" in dated
    assert "| from 2027-01-01 | `logement.decision-ccapex` |" in dated


def test_retirements_are_listed_with_their_last_day_and_code(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    text = markdown(catalogue, directory)
    others = text.split("### Other dated rules", 1)[1].split("\n## ", 1)[0]
    assert (
        "| accepted until 2026-12-06, then `contract.major-retired` | v1 of "
        "`logement.orientation`, retired on its own: send v2 |"
    ) in others
    assert "| accepted until 2027-02-28, then `contract.retired` | `logement.decision-aide`" in (
        others
    )
    assert "| until 2026-12-31 | `logement.demande-avis` |" in others
    orientation = _section(text, "logement.orientation")
    assert "- **v1 retired on its own**: announced 2026-12-06, accepted until 2026-12-06" in (
        orientation
    )


def test_dated_producers_consumers_deadlines_and_older_files_are_shown(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    meta = catalogue.contracts[REFERRAL].meta
    sent = InForce.model_validate({"from": "2027-01-01", "text": "Décret 2026-83, art. 2"})
    received = InForce.model_validate({"until": "2026-12-31", "text": "Accord local, art. 4"})
    reaching = InForce.model_validate(
        {"from": "2027-03-01", "text": "Décret 2026-84, art. 5", "older_files": "art. 9 du décret"}
    )
    consumer = meta.consumers[0].model_copy(update={"in_force": received})
    changed = _with(
        catalogue,
        REFERRAL,
        producers_in_force={"departement/mdd": sent},
        consumers=(consumer,),
        in_force=reaching,
    )
    section = _section(markdown(changed, directory), REFERRAL)
    assert (
        "- **Sent by `departement/mdd`** from 2027-01-01, under Décret 2026-83, art. 2 "
        "(else `contract.not-in-force`, `ce_source`)"
    ) in section
    assert "- **Received by `ccapex/ccapex`** until 2026-12-31, under Accord local, art. 4" in (
        section
    )
    assert "| `ccapex/ccapex` | always; until 2026-12-31 |" in section
    assert (
        "- **In force** from 2027-03-01, and files opened before it: art. 9 du décret, under "
        "Décret 2026-84, art. 5."
    ) in section
    others = markdown(changed, directory).split("### Other dated rules", 1)[1]
    assert "| from 2027-01-01 | producer `departement/mdd` of `logement.saisine-departement` |" in (
        others
    )


def test_a_regime_of_deadlines_is_shown_on_each_deadline_and_in_its_table(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    request = "logement.demande-diagnostic"
    answer, commandement, hearing = catalogue.contracts[request].meta.deadlines
    before = InForce.model_validate({"until": "2026-12-31", "text": "Accord de 2019, art. 3"})
    after = InForce.model_validate({"from": "2027-01-01", "text": "Accord de 2027, art. 1"})
    regime = "logement.dsf-term"
    deadlines = (
        answer,
        commandement.model_copy(update={"in_force": after, "regime": regime}),
        hearing.model_copy(update={"in_force": before, "regime": regime}),
    )
    text = markdown(_with(catalogue, request, deadlines=deadlines), directory)
    section = _section(text, request)
    assert (
        "Opened only in files it governs: in force until 2026-12-31, under Accord de 2019, "
        "art. 3. Regime [`logement.dsf-term`](#regime-logementdsf-term)."
    ) in section
    table = text.split("### Regime `logement.dsf-term`", 1)[1].split("\n#", 1)[0]
    assert table.index("deadline `hearing`") < table.index("deadline `commandement`")
    assert "| from 2027-01-01 | deadline `commandement` of `logement.demande-diagnostic` |" in table
