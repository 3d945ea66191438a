"""Property-based fuzzing of what reads a partner's bytes: whatever comes, a clear answer.

Each reader either returns what it reads or refuses with its own error carrying codes (never a
value); no other exception escapes. The number of examples is bounded so `make test` stays
quick; a failure prints the smallest input hypothesis found.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from adapters.academie.mapping import academie_csv
from adapters.sdk import ExportError
from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory
from hub.catalogue.projection import leaf_paths
from hub.core.intake import Admitted, Intake, Rejected
from hub.core.routing import Router
from hub.wire.envelope import KNOWN_HEADERS, REQUIRED, Record, header_map, read_envelope
from hub.wire.json_value import read_object
from hub.wire.reasons import Refusal
from tests.conftest import FORMAL_NOTICE
from tests.conftest import example as contract_example
from tests.hostile.corpus import headers

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
LIMOGES = contract_example(FORMAL_NOTICE, "limoges-no-known-school")
MARK = "Zz9q"  # put into generated text, so a quote of it would show
texts = st.text(max_size=40).map(lambda s: MARK + s)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=20,
)


def _outcome(read: Any, *args: Any) -> tuple[Any, Refusal | None]:
    """What a reader returned, or the refusal it raised (any other exception escapes)."""
    try:
        return read(*args), None
    except Refusal as refusal:
        return None, refusal


def _no_value_quoted(reasons: tuple[Any, ...]) -> None:
    for reason in reasons:
        assert MARK not in json.dumps(reason.as_json())
        assert reason.pointer is None or reason.pointer in KNOWN_HEADERS or reason.pointer == "key"


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(
            [
                *REQUIRED,
                "content-type",
                "ce_causationid",
                "ce_causationsource",
                "traceparent",
                "x-other",
            ]
        ),
        texts,
    )
)
def test_the_envelope_reader_reads_or_refuses(found: dict[str, str]) -> None:
    envelope, refusal = _outcome(read_envelope, found)
    if refusal is not None:
        _no_value_quoted(refusal.reasons)
    else:
        assert envelope.id == found["ce_id"]
        assert envelope.causation_source == found.get("ce_causationsource")


@FUZZ
@given(st.lists(st.tuples(st.text(max_size=12), st.binary(max_size=24)), max_size=8))
def test_the_header_reader_reads_or_refuses(raw: list[tuple[str, bytes]]) -> None:
    read, refusal = _outcome(header_map, Record("hub.in.isg", 0, 0, None, b"{}", tuple(raw)))
    if refusal is not None:
        assert {r.code for r in refusal.reasons} <= {"header.duplicate", "header.encoding"}
        for reason in refusal.reasons:
            assert reason.pointer is None or reason.pointer in KNOWN_HEADERS
    else:
        assert len(read) == len(raw)


@FUZZ
@given(st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
def test_the_value_reader_reads_an_object_or_refuses(value: bytes) -> None:
    document, refusal = _outcome(read_object, value)
    if refusal is not None:
        assert {r.code for r in refusal.reasons} <= {
            "payload.encoding",
            "payload.not-json",
            "payload.not-object",
            "payload.too-deep",
        }
    else:
        assert isinstance(document, dict)
        assert json.loads(json.dumps(document)) == document  # finite, writable back as JSON


@FUZZ
@given(
    st.dictionaries(texts, json_values, max_size=6),
    st.binary(max_size=40),
    st.sampled_from(["hub.in.academie", "hub.in.isg", "hub.in.other"]),
)
def test_the_intake_decides_on_any_record_and_quotes_nothing(
    intake: Intake, extra: dict[str, Any], key: bytes, topic: str
) -> None:
    payload = {**LIMOGES, **extra}
    record = Record(topic, 0, 0, key, json.dumps(payload).encode(), headers("fz-1"))
    outcome = intake.examine(record)
    assert isinstance(outcome, Admitted | Rejected)
    if isinstance(outcome, Rejected):
        for reason in outcome.reasons:
            assert MARK not in json.dumps(reason.as_json())


@FUZZ
@given(st.dictionaries(texts, json_values, max_size=5), json_values)
def test_a_projection_gives_an_office_only_the_fields_it_names(
    catalogue: Catalogue, directory: PartnerDirectory, extra: dict[str, Any], child: Any
) -> None:
    payload = {**LIMOGES, **extra, "child": child}
    recipients, _ = Router(directory).recipients(catalogue.contracts[FORMAL_NOTICE], payload)
    for recipient in recipients:
        seen = recipient.projection.apply(payload)
        sent, withheld = recipient.projection.split(frozenset(leaf_paths(payload)))
        assert leaf_paths(seen) <= set(sent)
        assert not leaf_paths(seen) & set(withheld)
        assert not any(MARK in key for key in seen)  # no made-up top-level field goes through


WARNING_ROW = (
    "R1;01/11/2026;0870015U;cp;N;P;01/01/2015;M;A;mère;1 rue;87000;Limoges;87085;{};"
    "01/10/2026;31/10/2026"
)


@FUZZ
@given(
    st.lists(st.lists(st.text(max_size=15), min_size=1, max_size=20), max_size=5)
    | st.text(max_size=6).map(lambda half_days: [WARNING_ROW.format(half_days).split(";")]),
    st.sampled_from(["utf-8", "cp1252"]),
)
@example([WARNING_ROW.format("²").split(";")], "utf-8")  # a digit to Python, not to int()
def test_the_academie_csv_mapping_reads_or_refuses_with_reasons(
    rows: list[list[str]], encoding: str
) -> None:
    header = (
        "Référence DASEN;Date d'envoi;UAI établissement;Niveau;Nom élève;Prénoms élève;"
        "Date de naissance;Nom responsable 1;Prénom responsable 1;Lien responsable 1;Adresse;"
        "Code postal;Commune;Code INSEE;Demi-journées non justifiées;Période du;Période au"
    )
    lines = [header] + [";".join(row) for row in rows]
    raw = "\n".join(lines).encode(encoding, "replace")
    try:
        exported, problems = academie_csv(raw), []
    except ExportError as refused:
        exported, problems = [], refused.problems
    assert bool(exported) != bool(problems)  # one or the other, never neither
    assert not any(MARK in problem for problem in problems)
    assert all(e.contract for e in exported)


@pytest.fixture
def intake(catalogue: Catalogue, directory: PartnerDirectory) -> Intake:
    return Intake(catalogue, directory)
