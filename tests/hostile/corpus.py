"""A corpus of hostile records, generated from the catalogue and the wire contract.

Each case is one record a partner could write, with the one fault it carries and the codes
the hub must refuse it with. Every value a case makes up carries the canary, so a test can look
for it everywhere the hub writes. `Coverage` lists what the corpus must cover: every rejection
code of the wire contract, every envelope attribute missing, malformed and spoofed (where that
means something), every field of every contract wrongly typed, missing and out of range (where
it has a range), and the odd shapes, encodings and sizes the issue names.

Records are built by hand, as a partner's own client would (no hub code builds them); the
catalogue is read only to know the contracts' fields and examples.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from hub.catalogue.compat import bundled
from hub.catalogue.contracts import Catalogue, Contract
from hub.catalogue.directory import PartnerDirectory
from hub.catalogue.in_force import local_day
from hub.settings import PROJECT_ROOT
from tests.conftest import PAYER_DECIDES
from tests.notices import SCHEMA

CANARY = "CANARY_Zephyrine_Lagarde_2014"
# A day of the hub's calendar a test may judge the corpus on, not the real date: December 2026,
# the payer's regime (logement.decision-ccapex not yet in force), logement.orientation v1 retired.
DAY: date = PAYER_DECIDES.date()
WIRE_CONTRACT = PROJECT_ROOT / "docs" / "wire-contract.md"
CASE_A = "7d2b6f7e-0c1a-4c55-9a6e-2f3b4c5d6e7f"  # opened by the académie in the set-up
CASE_ERASED = "0b6f3c1e-5d2a-4e8b-9c7d-3a1f2e4b5c6d"  # opened in the set-up, then erased
FORMAL_NOTICE = "instruction.mise-en-demeure"
REGULARISATION = "instruction.regularisation"
RECALL = "hub.recall"
ATTRIBUTES = (
    "ce_specversion",
    "ce_id",
    "ce_source",
    "ce_type",
    "ce_time",
    "ce_dataschema",
    "content-type",
    "ce_causationid",
    "ce_causationsource",
    "traceparent",
    "key",
)
KINDS = ("missing", "malformed", "spoofed")
# Where a kind means nothing: an optional attribute may be absent, a time cannot be spoofed.
NOT_A_FAULT = {
    ("ce_specversion", "spoofed"),
    ("ce_time", "spoofed"),
    ("content-type", "spoofed"),
    ("traceparent", "missing"),
    ("traceparent", "spoofed"),
}
MAX_RECORD_BYTES = 256 * 1024


@dataclass(frozen=True)
class Case:
    """One hostile record, what it covers, and the codes that must refuse it."""

    name: str
    topic: str
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]
    codes: frozenset[str]  # exactly these codes; or, for a field's fault, these code prefixes
    covers: frozenset[str]
    pointer: str | None = None  # a field's fault: a reason must point at it (or its parent)

    @property
    def partner(self) -> str:
        """The partner that wrote it (its topic's)."""
        return self.topic.removeprefix("hub.in.")


@dataclass(frozen=True)
class Setup:
    """Valid notices sent first, so that conflicts, foreign cases and answers have a target."""

    records: tuple[tuple[str, bytes, tuple[tuple[str, bytes], ...], bytes], ...]
    # Sent after `records`, then their cases erased (`hub erase`): only a test that holds the
    # hub's state can play them.
    erased: tuple[tuple[str, bytes, tuple[tuple[str, bytes], ...], bytes], ...] = ()


@dataclass
class Corpus:
    """The set-up and the cases."""

    setup: Setup
    cases: list[Case] = field(default_factory=list)

    def covered(self) -> set[str]:
        """Every coverage tag some case carries."""
        return {tag for case in self.cases for tag in case.covers}


def wire_codes() -> set[str]:
    """Every rejection code the wire contract's table lists."""
    text = WIRE_CONTRACT.read_text(encoding="utf-8")
    table = text.split("| code | meaning |", 1)[1].split("\n\n", 1)[0]
    return {
        code
        for line in table.splitlines()[2:]
        for code in re.findall(r"`([a-z-]+\.[a-z<>-]+)`", line.split("|")[1])
        if "<" not in code
    }


def headers(  # noqa: PLR0913 - one keyword per attribute a case may change
    notice_id: str,
    *,
    source: str = "/academie/dsden",
    contract: str = FORMAL_NOTICE,
    major: int = 1,
    answers: str | None = None,
    answers_from: str = "/academie/dsden",
    changed: dict[str, str | bytes | None] | None = None,
) -> tuple[tuple[str, bytes], ...]:
    """CloudEvents headers; `changed` sets any of them to other bytes, or drops it (None).

    An answer names the notice `answers` of `answers_from` (the set-up's notices are the
    DSDEN's).
    """
    base: dict[str, str | bytes | None] = {
        "ce_specversion": "1.0",
        "ce_id": notice_id,
        "ce_source": source,
        "ce_type": contract,
        "ce_time": "2026-11-23T09:00:00+01:00",
        "ce_dataschema": SCHEMA.format(contract, major),
        "content-type": "application/json",
    }
    if answers:
        base["ce_causationid"] = answers
        base["ce_causationsource"] = answers_from
    base.update(changed or {})
    return tuple(
        (name, value if isinstance(value, bytes) else value.encode())
        for name, value in base.items()
        if value is not None
    )


def example(contract: Contract, major: int) -> dict[str, Any]:
    """The contract's first valid example of that major, without its comment."""
    folder = contract.folder / f"v{major}" / "examples" / "valid"
    first = min(folder.glob("*.json"))
    payload: dict[str, Any] = json.loads(first.read_text("utf-8"))
    payload.pop("$comment", None)
    return payload


def build(catalogue: Catalogue, directory: PartnerDirectory, today: date | None = None) -> Corpus:
    """The whole corpus, for a hub whose calendar says `today` (by default, the real day)."""
    today = today or local_day(datetime.now(UTC))
    notice = example(catalogue.contracts[FORMAL_NOTICE], 1)
    setup = Setup(
        (
            (
                "hub.in.academie",
                json.dumps(notice).encode(),
                headers("base-1"),
                CASE_A.encode(),
            ),
            # A second notice, recalled by its sender: recalling it again is refused.
            ("hub.in.academie", json.dumps(notice).encode(), headers("base-2"), CASE_A.encode()),
            (
                "hub.in.academie",
                json.dumps(_recall("base-2")).encode(),
                headers("recall-1", contract=RECALL, answers="base-2"),
                CASE_A.encode(),
            ),
        )
    )
    # A formal notice in a case of its own, erased once accepted: what answers it is refused.
    erased = (
        "hub.in.academie",
        json.dumps(notice).encode(),
        headers("base-e"),
        CASE_ERASED.encode(),
    )
    corpus = Corpus(replace(setup, erased=(erased,)))
    corpus.cases += list(_envelope_cases(catalogue, notice))
    corpus.cases += list(_value_cases(notice))
    corpus.cases += list(_shape_cases(notice))
    corpus.cases += list(_recall_cases())
    for contract in catalogue.contracts.values():
        if contract.meta.producers and contract.meta.producers != ("hub",):
            corpus.cases += list(_field_cases(catalogue, directory, contract, today))
            corpus.cases += list(_scope_cases(directory, contract, today))
            corpus.cases += list(_dated_cases(directory, contract, today))
    corpus.cases.append(
        _case(
            "a formal notice dated 9999",
            headers("far-1"),
            json.dumps({**notice, "notified_on": "9999-12-31"}).encode(),
            {"schema.date-range"},
            {"value:far-date"},
        )
    )
    corpus.cases.append(  # what the hub reads for a batch in another codec (hub/wire/bounded.py)
        _case(
            "a batch compressed with another codec, as the hub reads it",
            (*headers("zstd-1"), ("hub-refused-batch", b"record.compression")),
            None,
            {"record.compression"},
            {"value:compression"},
        )
    )
    requests = catalogue.contracts["logement.demande-avis"].folder / "v1" / "examples" / "valid"
    of_msa = (requests / "msa-payment-to-landlord.json").read_text("utf-8")
    corpus.cases.append(  # the CAF asks about a file of the MSA's
        _case(
            "a payer names another payer as the owner of the number it sends",
            headers("payer-1", source="/caf/caf", contract="logement.demande-avis"),
            of_msa.encode(),
            {"identifier.foreign"},
            {"code:identifier.foreign"},
            topic="hub.in.caf",
        )
    )
    corpus.cases.append(
        _case(
            "a partner writes a hub.rejection as if it were the hub",
            headers("spoof-hub-1", contract="hub.rejection"),
            json.dumps({"refused": {"id": CANARY}}).encode(),
            {"sender.not-producer"},
            {"code:sender.not-producer"},
        )
    )
    return corpus


def _case(  # noqa: PLR0913 - a case is all of these
    name: str,
    record_headers: tuple[tuple[str, bytes], ...],
    value: bytes | None,
    codes: set[str],
    covers: set[str],
    *,
    topic: str = "hub.in.academie",
    key: bytes | None = None,
    pointer: str | None = None,
    keyless: bool = False,
) -> Case:
    key = None if keyless else key if key is not None else str(uuid.uuid4()).encode()
    tags = covers | {f"code:{c}" for c in codes if not c.endswith(".")}
    return Case(name, topic, key, value, record_headers, frozenset(codes), frozenset(tags), pointer)


def _envelope_cases(catalogue: Catalogue, notice: dict[str, Any]) -> Iterator[Case]:
    value = json.dumps(notice).encode()
    regularisation = json.dumps(example(catalogue.contracts["instruction.regularisation"], 1))
    orientation = json.dumps(example(catalogue.contracts["isg.orientation"], 1)).encode()
    malformed = f"../{CANARY}/x"
    yield from (
        _case(
            f"{attribute} missing",
            headers(f"m-{i}", changed={attribute: None}),
            value,
            {"envelope.missing"},
            {f"attribute:{attribute}:missing"},
        )
        for i, attribute in enumerate(
            ("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_dataschema")
        )
    )
    yield _case(
        "content-type missing",
        headers("m-ct", changed={"content-type": None}),
        value,
        {"envelope.content-type"},
        {"attribute:content-type:missing"},
    )
    yield _case(
        "content-type malformed",
        headers("x-ct", changed={"content-type": f"text/{CANARY}"}),
        value,
        {"envelope.content-type"},
        {"attribute:content-type:malformed"},
    )
    for attribute, bad in (
        ("ce_specversion", f"0.3-{CANARY}"),
        ("ce_id", malformed),
        ("ce_source", CANARY),
        ("ce_type", f"Not A Type {CANARY}"),
        ("ce_time", f"yesterday {CANARY}"),
        ("ce_dataschema", f"ftp://{CANARY}"),
        ("traceparent", f"00-{CANARY}"),
    ):
        yield _case(
            f"{attribute} malformed",
            headers(f"x-{attribute}", changed={attribute: bad}),
            value,
            {"envelope.invalid"},
            {f"attribute:{attribute}:malformed"},
        )
    # Spoofed: well formed, but not the truth.
    yield _case(
        "ce_source of another partner",
        headers("s-1", source="/departement/sdas"),
        value,
        {"sender.spoofed"},
        {"attribute:ce_source:spoofed"},
    )
    yield _case(
        "ce_source the hub's own",
        headers("s-2", source="/hub"),
        value,
        {"envelope.invalid"},
        {"attribute:ce_source:spoofed"},
    )
    yield _case(
        "ce_source of no office",
        headers("s-3", source="/academie/nobody"),
        value,
        {"sender.unknown-office"},
        {"attribute:ce_source:spoofed"},
    )
    yield _case(
        "ce_type the office does not produce",
        headers("s-4", contract="ip.retour"),
        value,
        {"sender.not-producer"},
        {"attribute:ce_type:spoofed"},
    )
    yield _case(
        "ce_type of no contract",
        headers("s-5", contract="made.up"),
        value,
        {"contract.unknown"},
        {"attribute:ce_type:spoofed"},
    )
    yield _case(
        "ce_dataschema of no live version",
        headers("s-6", major=9),
        value,
        {"contract.version-unknown"},
        {"attribute:ce_dataschema:spoofed"},
    )
    yield _case(
        "ce_id replayed with changed content",
        headers("base-1"),
        json.dumps({**notice, "sent_on": "2026-10-01"}).encode(),
        {"notice.conflict"},
        {"attribute:ce_id:spoofed"},
        key=CASE_A.encode(),
    )
    # Answers: a regularisation answers the formal notice of the set-up.

    yield _case(
        "ce_causationid missing on an answer",
        headers(
            "a-1",
            contract=REGULARISATION,
            answers="base-1",
            changed={"ce_causationid": None},
        ),
        regularisation.encode(),
        {"answer.missing"},
        {"attribute:ce_causationid:missing"},
        key=CASE_A.encode(),
    )
    yield _case(
        "ce_causationsource missing on an answer",
        headers(
            "a-7",
            contract=REGULARISATION,
            answers="base-1",
            changed={"ce_causationsource": None},
        ),
        regularisation.encode(),
        {"answer.missing"},
        {"attribute:ce_causationsource:missing"},
        key=CASE_A.encode(),
    )
    yield _case(
        "the key missing on an answer",
        headers("a-8", contract=REGULARISATION, answers="base-1"),
        regularisation.encode(),
        {"answer.missing"},
        {"attribute:key:missing"},
        keyless=True,
    )
    yield _case(
        "ce_causationsource malformed",
        headers(
            "a-9",
            contract=REGULARISATION,
            answers="base-1",
            changed={"ce_causationsource": f"academie/{CANARY}/x"},
        ),
        regularisation.encode(),
        {"envelope.invalid"},
        {"attribute:ce_causationsource:malformed"},
        key=CASE_A.encode(),
    )
    yield _case(
        "an answer naming the id of a notice of another source",
        headers("a-10", contract=REGULARISATION, answers="base-1", answers_from="/isg/isg"),
        regularisation.encode(),
        {"answer.unknown-notice"},
        {"attribute:ce_causationsource:spoofed"},
        key=CASE_A.encode(),
    )
    yield _case(
        "ce_causationid malformed",
        headers("a-2", answers=malformed, contract=REGULARISATION),
        regularisation.encode(),
        {"envelope.invalid"},
        {"attribute:ce_causationid:malformed"},
        key=CASE_A.encode(),
    )
    yield _case(
        "an answer to a notice of another case",
        headers("a-3", answers="base-1", contract=REGULARISATION),
        regularisation.encode(),
        {"answer.unknown-notice"},
        {"attribute:ce_causationid:spoofed"},
    )
    yield _case(
        "an answer from an office that never saw the notice",
        headers("a-4", source="/caf/caf", contract="hub.receipt", answers="base-1"),
        json.dumps(
            {"notice_id": "base-1", "status": "processed", "at": "2026-11-23T10:00:00+01:00"}
        ).encode(),
        {"answer.unknown-notice"},
        {"attribute:ce_causationid:spoofed"},
        topic="hub.in.caf",
        key=CASE_A.encode(),
    )
    about = json.loads(regularisation)
    yield _case(
        "a regularisation of another child, dated before the formal notice",
        headers("a-5", answers="base-1", contract=REGULARISATION),
        json.dumps(
            {**about, "sent_on": "1999-01-01", "child": {**about["child"], "last_name": CANARY}}
        ).encode(),
        {"answer.mismatch"},
        {"value:answer-mismatch"},
        key=CASE_A.encode(),
    )
    yield _case(
        "an answer to a notice whose case was erased",
        headers("a-6", answers="base-e", contract=REGULARISATION),
        regularisation.encode(),
        {"answer.case-erased"},
        {"value:answer-case-erased"},
        key=CASE_ERASED.encode(),
    )
    yield _case(
        "a key that is not a case id",
        headers("k-1"),
        value,
        {"envelope.key"},
        {"attribute:key:malformed"},
        key=CANARY.encode(),
    )
    yield _case(
        "a key naming another partner's case",
        headers("k-2", source="/isg/isg", contract="isg.orientation"),
        orientation,
        {"case.foreign"},
        {"attribute:key:spoofed"},
        topic="hub.in.isg",
        key=CASE_A.encode(),
    )


def _recall(answered: str, **changed: str) -> dict[str, str]:
    """A recall's payload naming a notice of the set-up, then `changed`."""
    payload = {
        "notice_id": answered,
        "contract": FORMAL_NOTICE,
        "reason_code": "duplicate",
        "recalled_at": "2026-11-23T11:05:00+01:00",
    }
    return payload | changed


def _recall_cases() -> Iterator[Case]:
    """Recalls the hub refuses: of no notice, by another office, twice, naming something else."""
    yield _recall_case("of a notice never accepted", "nobody-1", "recall.unknown-notice")
    other = "/academie/service-social"
    yield _recall_case("by another office", "base-1", "recall.unknown-notice", source=other)
    recipient = "/departement/sdas"
    yield _recall_case("by a recipient", "base-1", "recall.unknown-notice", source=recipient)
    yield _recall_case(
        "naming another office's source", "base-1", "recall.unknown-notice", answers_from=other
    )
    yield _recall_case("of a notice recalled", "base-2", "recall.already-recalled")
    yield _recall_case("naming another notice", "base-1", "recall.mismatch", notice_id=CANARY)
    yield _recall_case(
        "naming another contract", "base-1", "recall.mismatch", contract=REGULARISATION
    )


def _recall_case(
    what: str,
    answers: str,
    code: str,
    *,
    source: str = "/academie/dsden",
    answers_from: str = "/academie/dsden",
    **changed: str,
) -> Case:
    """A recall of `answers` of `answers_from`, from `source`, its payload `changed`."""
    return _case(
        f"a recall {what}",
        headers(
            f"rc-{uuid.uuid4().hex[:8]}",
            source=source,
            contract=RECALL,
            answers=answers,
            answers_from=answers_from,
        ),
        json.dumps(_recall(answers, **changed)).encode(),
        {code},
        set(),
        topic=f"hub.in.{source.split('/')[1]}",
        key=CASE_A.encode(),
    )


def _value_cases(notice: dict[str, Any]) -> Iterator[Case]:
    text = json.dumps(notice)
    cases: list[tuple[str, bytes | None, str, str]] = [
        ("no value", None, "record.empty", "value:empty"),
        (
            "value not UTF-8",
            f'{{"x": "{CANARY}"}}'.encode("utf-16"),
            "payload.encoding",
            "value:encoding",
        ),
        ("value truncated", text[: len(text) // 2].encode(), "payload.not-json", "value:truncated"),
        (
            "value with NaN",
            text.replace('"reason"', '"x": NaN, "reason"').encode(),
            "payload.not-json",
            "value:nan",
        ),
        (
            "value with a key twice",
            f'{{"a": "{CANARY}", "a": 2}}'.encode(),
            "payload.not-json",
            "value:duplicate-keys",
        ),
        ("value an array", json.dumps([CANARY]).encode(), "payload.not-object", "value:array"),
        (
            "value nested deep",
            (b'{"a":' * 200) + b"1" + (b"}" * 200),
            "payload.too-deep",
            "value:deep",
        ),
        (
            "value nested past the parser",
            (b"[" * 20000) + (b"]" * 20000),
            "payload.not-json",
            "value:deeper",
        ),
        (
            "a number beyond a double",
            text.replace('"reason"', '"x": 1e400, "reason"').encode(),
            "payload.not-json",
            "value:huge-number",
        ),
        (
            "an integer of 5000 digits",
            text[:-1].encode() + b', "n": ' + b"9" * 5000 + b"}",
            "payload.not-json",
            "value:huge-integer",
        ),
        (
            "a record past the size limit",
            json.dumps({"x": CANARY * 20000}).encode(),
            "record.oversize",
            "value:oversize",
        ),
    ]
    for i, (name, value, code, tag) in enumerate(cases):
        yield _case(name, headers(f"v-{i}"), value, {code}, {tag})


def _shape_cases(notice: dict[str, Any]) -> Iterator[Case]:
    value = json.dumps(notice).encode()
    for i, odd in enumerate(
        (
            "",
            ".hidden",
            "-dash",
            "a" * 201,
            "a b",
            "a/b",
            "a\\b",
            "é",
            "a\x00b",
            "a\r\nX-Injected: 1",
        )
    ):
        yield _case(
            f"an odd notice id ({i})",
            headers("n", changed={"ce_id": odd + CANARY if odd else odd}),
            value,
            {"envelope.invalid"},
            {"shape:id"},
        )
    for i, odd_key in enumerate((b"\xff\xfe", b"not-a-uuid", b"../" + CANARY.encode())):
        yield _case(
            f"an odd key ({i})",
            headers(f"key-{i}"),
            value,
            {"envelope.key"},
            {"shape:key"},
            key=odd_key,
        )
    twice = (*headers("dup-1"), ("ce_id", b"dup-2"))
    yield _case("a header given twice", twice, value, {"header.duplicate"}, {"shape:header-twice"})
    yield _case(
        "a header name of the sender's own given twice",
        (*headers("dup-3"), (CANARY, b"1"), (CANARY, b"2")),
        value,
        {"header.duplicate"},
        {"shape:header-name"},
    )
    yield _case(
        "a header not UTF-8",
        (*headers("enc-1"), ("x-note", b"\xff" + CANARY.encode())),
        value,
        {"header.encoding"},
        {"shape:header-encoding"},
    )
    yield _case(
        "header injection in ce_source",
        headers("inj-1", changed={"ce_source": f"/academie/dsden\r\nce_recipient: {CANARY}"}),
        value,
        {"envelope.invalid"},
        {"shape:header-injection"},
    )


def _producer(directory: PartnerDirectory, contract: Contract) -> tuple[str, str]:
    """A (partner, office) that may send the contract."""
    for producer in contract.meta.producers:
        partner, office = producer.split("/", 1)
        for name in directory.offices(partner):
            if name == office or name.split(":", 1)[0] == office:
                return partner, name
    raise AssertionError(f"no office produces {contract.id}")


def judged(contract: Contract, today: date) -> list[int]:
    """The majors whose fields the hub judges on `today`: not retired, of a live contract."""
    if contract.meta.retired and contract.meta.retired.over(today):
        return []
    return [major for major in sorted(contract.versions) if not _retired(contract, major, today)]


def _retired(contract: Contract, major: int, today: date) -> bool:
    own = contract.meta.majors.get(major)
    return bool(own and own.retired and own.retired.over(today))


def _dated_cases(directory: PartnerDirectory, contract: Contract, today: date) -> Iterator[Case]:
    """A valid notice of a contract, or a major, the hub no longer or not yet takes on `today`."""
    partner, office = _producer(directory, contract)
    retired = contract.meta.retired is not None and contract.meta.retired.over(today)
    dated = contract.meta.in_force is not None and not contract.meta.in_force.holds(today)
    for major in sorted(contract.versions):
        code = (
            "contract.retired"
            if retired
            else "contract.major-retired"
            if _retired(contract, major, today)
            else "contract.not-in-force"
            if dated
            else None
        )
        if code is not None:
            yield _case(
                f"{contract.id} v{major} on {today.isoformat()}: {code}",
                headers(
                    f"d-{uuid.uuid4().hex[:8]}",
                    source=f"/{partner}/{office}",
                    contract=contract.id,
                    major=major,
                ),
                json.dumps(example(contract, major)).encode(),
                {code},
                set(),
                topic=f"hub.in.{partner}",
            )


def _field_cases(
    catalogue: Catalogue, directory: PartnerDirectory, contract: Contract, today: date
) -> Iterator[Case]:
    partner, office = _producer(directory, contract)
    for major in judged(contract, today):
        version = contract.versions[major]
        payload = example(contract, major)
        schema = bundled(version, catalogue.fast_registry)
        for pointer, node, required in fields(schema):
            tag = f"field:{contract.id}:v{major}:{pointer}"
            source = f"/{partner}/{office}"
            topic = f"hub.in.{partner}"
            faults = [("wrong-type", _wrong_type(node))]
            if required:
                faults.append(("missing", _MISSING))
            if (far := _out_of_range(node)) is not _NO_RANGE:
                faults.append(("out-of-range", far))
            for i, (fault, bad) in enumerate(faults):
                mutated = _set(payload, pointer, bad)
                if mutated is None:
                    continue  # the example does not reach this field (an absent parent)
                yield _case(
                    f"{contract.id} v{major} {pointer} {fault}",
                    headers(
                        f"f-{uuid.uuid4().hex[:8]}-{i}",
                        source=source,
                        contract=contract.id,
                        major=major,
                    ),
                    json.dumps(mutated).encode(),
                    {"schema."},
                    {f"{tag}:{fault}"},
                    topic=topic,
                    pointer=pointer,
                )


def _scope_cases(directory: PartnerDirectory, contract: Contract, today: date) -> Iterator[Case]:
    """A contract's invalid examples that its schema passes and one of its scopes refuses."""
    partner, office = _producer(directory, contract)
    for major in judged(contract, today):
        folder = contract.folder / f"v{major}" / "examples" / "invalid"
        for path in sorted(folder.glob("*.json")):
            payload = json.loads(path.read_text("utf-8"))
            code = str(payload.pop("$comment", "")).split(":", 1)[0]
            if code.startswith("scope."):
                yield _case(
                    f"{contract.id} v{major} out of scope: {path.stem}",
                    headers(
                        f"s-{uuid.uuid4().hex[:8]}",
                        source=f"/{partner}/{office}",
                        contract=contract.id,
                        major=major,
                    ),
                    json.dumps(payload).encode(),
                    {code},
                    set(),
                    topic=f"hub.in.{partner}",
                )


_MISSING = object()
_NO_RANGE = object()


def fields(schema: dict[str, Any], at: str = "") -> Iterator[tuple[str, dict[str, Any], bool]]:
    """Every property of a bundled schema (objects, and objects inside arrays, as `/0`)."""
    required = set(schema.get("required", ()))
    for name, node in schema.get("properties", {}).items():
        pointer = f"{at}/{name}"
        yield pointer, node, name in required
        if node.get("type") == "object" or "properties" in node:
            yield from fields(node, pointer)
        items = node.get("items")
        if isinstance(items, dict) and (items.get("type") == "object" or "properties" in items):
            yield from fields(items, f"{pointer}/0")


def _wrong_type(node: dict[str, Any]) -> Any:
    kinds = node.get("type")
    kinds = set(kinds if isinstance(kinds, list) else [kinds] if kinds else [])
    return {CANARY: CANARY} if "string" in kinds or not kinds else CANARY


def _out_of_range(node: dict[str, Any]) -> Any:
    if "x-hub-range" in node:
        return "9999-12-31"
    if "enum" in node or "const" in node:
        return f"not-{CANARY}"
    if "maxLength" in node:
        return CANARY + "x" * node["maxLength"]
    if "maximum" in node:
        return node["maximum"] + 1
    if "pattern" in node:
        return f"\u00e9 {CANARY} \u00e9"  # a space and an accent: no pattern here allows them
    return _NO_RANGE


def _set(payload: dict[str, Any], pointer: str, value: Any) -> dict[str, Any] | None:
    """A copy of the payload with the field at `pointer` set (or deleted), if it is reachable."""
    copy: dict[str, Any] = json.loads(json.dumps(payload))
    *parents, last = pointer.strip("/").split("/")
    node: Any = copy
    for part in parents:
        try:
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError):
            return None
    if not isinstance(node, dict):
        return None
    if value is _MISSING:
        if last not in node:
            return None
        del node[last]
    else:
        node[last] = value
    return copy


# Codes no record can be crafted to cause, and where they are proved instead.
NO_RECORD_CAUSES = {
    "hub.internal": "a fault of the hub's own: tests/test_hostile_input.py (defect 2)",
    "schema.invalid": "the two validators disagreeing: tests/catalogue checks they agree",
}
# Codes a record gets only on another day than today: the corpus runs on the hub's calendar.
ON_ANOTHER_DAY = {
    "contract.retired": "a retired contract past its last day: tests/core/test_intake.py and "
    "tests/integration/test_housing_payer.py, on a calendar set past it",
}


def expected_coverage(catalogue: Catalogue, today: date | None = None) -> set[str]:
    """What the corpus must cover, from the wire contract and the catalogue alone."""
    today = today or local_day(datetime.now(UTC))
    needed = {f"code:{code}" for code in wire_codes() - set(NO_RECORD_CAUSES) - set(ON_ANOTHER_DAY)}
    needed |= {
        "value:empty",
        "value:encoding",
        "value:truncated",
        "value:nan",
        "value:duplicate-keys",
        "value:array",
        "value:deep",
        "value:deeper",
        "value:huge-number",
        "value:huge-integer",
        "value:oversize",
        "value:far-date",
        "value:compression",
        "shape:id",
        "shape:key",
        "shape:header-twice",
        "shape:header-name",
        "shape:header-encoding",
        "shape:header-injection",
    }
    needed |= {f"attribute:{a}:{k}" for a in ATTRIBUTES for k in KINDS if (a, k) not in NOT_A_FAULT}
    for contract in catalogue.contracts.values():
        if not contract.meta.producers or contract.meta.producers == ("hub",):
            continue
        for major in judged(contract, today):
            schema = bundled(contract.versions[major], catalogue.fast_registry)
            for pointer, node, required in fields(schema):
                if _set(example(contract, major), pointer, CANARY) is None:
                    continue
                tag = f"field:{contract.id}:v{major}:{pointer}"
                needed.add(f"{tag}:wrong-type")
                if required:
                    needed.add(f"{tag}:missing")
                if _out_of_range(node) is not _NO_RANGE:
                    needed.add(f"{tag}:out-of-range")
    return needed
