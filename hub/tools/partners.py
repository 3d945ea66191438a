"""`hub partner add`: a new partner in the directory and the contracts, in one step.

It writes what a partner's joining changes, and only that: the partner, the legal kind of its
offices (what the law lets them receive, `hub.catalogue.policy`) and its offices in the
directory, each sending office among its contracts' producers (and of `hub.recall`, to recall
what it sent), each receiving office among its contracts' consumers with the fields chosen for
it (or as the office that asked, for a contract whose `answered` consumer it reaches) and
among the producers of `hub.receipt`, which answers every delivery. The files are read with a
round-trip YAML parser, which says where each node is, and the new lines are inserted there:
every other line, its comments and its layout, stays as it was. Each file written is read
again and must hold exactly what was meant; the adapter's files must be new; the contracts and
the directory as they would be must pass every check of `hub contracts check`: only then is
anything written, all of it together (`hub.tools.staging`).
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import KW_ONLY, dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from hub.catalogue.contracts import Catalogue, Contract
from hub.catalogue.directory import PartnerDirectory
from hub.catalogue.directory_file import OFFICE_ID, PARTNER_ID
from hub.catalogue.hub_contracts import LEDGER_HEAD, RECALL, RECEIPT
from hub.catalogue.meta import ANSWERED
from hub.catalogue.projection import parse_path
from hub.catalogue.schemas import schema_at, schema_has_path, value_as_held
from hub.tools.partner_options import PartnerError, Receiving
from hub.tools.scaffold import ScaffoldError, adapter_files
from hub.tools.staging import staged_problems, write_together


@dataclass(frozen=True, slots=True)
class NewPartner:
    """What an integrator says of a partner joining: who, its offices, what each sends, receives.

    `kind` is the legal kind of its offices, one of the recipient policy's: no default, since
    it decides what they may receive.
    """

    partner: str
    name: str
    offices: dict[str, str]
    sends: tuple[tuple[str, str], ...] = ()
    receives: tuple[Receiving, ...] = ()
    _: KW_ONLY
    kind: str


def problems(new: NewPartner, catalogue: Catalogue, directory: PartnerDirectory) -> list[str]:
    """Why the partner cannot be added as asked; empty when it can."""
    found = []
    if not PARTNER_ID.match(new.partner):
        found.append(f"{new.partner!r} is not a partner id ({PARTNER_ID.pattern})")
    if new.partner in directory.partners:
        found.append(f"{new.partner} is already in the directory")
    if new.kind not in catalogue.policy.kinds:
        kinds = ", ".join(catalogue.policy.kinds)
        found.append(f"--kind {new.kind}: not a legal kind of the recipient policy; one of {kinds}")
    if not new.offices:
        found.append("no office: give at least one --office")
    found += [f"{o!r} is not an office id" for o in new.offices if not OFFICE_ID.match(o)]
    for contract_id, office in new.sends:
        found += _known(new, catalogue, contract_id, office, "--sends")
    for receiving in new.receives:
        found += _known(new, catalogue, receiving.contract, receiving.office, "--receives")
        contract = catalogue.get(receiving.contract)
        if contract is not None:
            found += _receiving(new, catalogue, contract, receiving)
    return found


def _receiving(
    new: NewPartner, catalogue: Catalogue, contract: Contract, receiving: Receiving
) -> list[str]:
    if receiving.answered:
        asked = {c for c, o in new.sends if o == receiving.office}
        if not any(c.office == ANSWERED for c in contract.meta.consumers):
            return [f"{contract.id} has no `answered` consumer: name the fields"]
        if not asked & set(contract.meta.answers):
            answered = ", ".join(contract.meta.answers)
            why = f"{receiving.office} receives {contract.id} as the office that asked"
            return [f"{why} only if it sends one of {answered}"]
        return []
    if not receiving.fields:
        return [f"--receives {contract.id}:{receiving.office}: no field named"]
    found = []
    for name in receiving.fields + ((receiving.when[0],) if receiving.when else ()):
        try:
            defined = schema_has_path(contract.latest.schema, parse_path(name), catalogue.registry)
        except ValueError:
            defined = False
        if not defined:
            found.append(f"{contract.id} v{contract.latest.major} has no field {name}")
    return found


def _known(
    new: NewPartner, catalogue: Catalogue, contract_id: str, office: str, option: str
) -> list[str]:
    contract = catalogue.get(contract_id)
    if contract is None:
        return [f"{option} {contract_id}: no such contract"]
    found = []
    if contract.meta.kind != "notice":
        found.append(f"{option} {contract_id}: the hub's own records are not sent by a partner")
    if contract.meta.retired is not None:
        found.append(
            f"{option} {contract_id}: retired; use {', '.join(contract.meta.retired.replaced_by)}"
        )
    if office not in new.offices:
        found.append(f"{option} {contract_id}:{office}: {office} is not one of its --office")
    return found


def add_partner(
    new: NewPartner,
    catalogue: Catalogue,
    directory: PartnerDirectory,
    directory_path: Path,
    adapter_root: Path | None = None,
) -> list[str]:
    """Write the partner into the directory and the contracts; returns what was done, by line.

    Its adapter is written too when `adapter_root` is given. Raises `PartnerError` before
    writing anything when `problems` finds any, when the adapter cannot be written, or when
    the contracts and directory as they would be fail a check.
    """
    texts, done = _planned(new, catalogue, directory, directory_path)
    contracts_path = next(iter(catalogue.contracts.values())).folder.parent  # one folder each
    faults = [
        f"with {new.partner} added, hub contracts check would find: {problem}"
        for problem in staged_problems(texts, contracts_path, directory_path)
    ]
    if adapter_root is not None:
        try:
            adapter = adapter_files(new.partner, adapter_root)
        except ScaffoldError as error:
            faults.append(str(error))
        else:
            texts.update(adapter)
            done += [f"adapter: wrote {path}" for path in adapter]
    if faults:
        raise PartnerError("nothing written: " + "; ".join(faults))
    write_together(texts)
    return done


def _planned(
    new: NewPartner, catalogue: Catalogue, directory: PartnerDirectory, directory_path: Path
) -> tuple[dict[Path, str], list[str]]:
    """Each file's new text, and what is done, line by line; raises `PartnerError`."""
    faults = problems(new, catalogue, directory)
    if faults:
        raise PartnerError("; ".join(faults))
    texts = {directory_path: _add_to_directory(new, directory_path)}
    offices = ", ".join(new.offices)
    done = [f"directory: {new.partner} ({new.name}), offices {offices}, of the kind {new.kind}"]
    edits = _edits(new, catalogue)
    ledger = catalogue.get(LEDGER_HEAD)
    if ledger is not None:  # every partner keeps the ledger's signed heads, at its first office
        keeper = f"{new.partner}/{next(iter(new.offices))}"
        fields = list(ledger.meta.consumers[0].fields)
        edits.setdefault(LEDGER_HEAD, ([], []))[1].append({"office": keeper, "fields": fields})
    for contract_id, (producers, consumers) in sorted(edits.items()):
        contract = catalogue.get(contract_id)
        if contract is None:  # hub.recall or hub.receipt absent from a catalogue
            continue
        path = contract.folder / "contract.yaml"
        new_producers = [p for p in dict.fromkeys(producers) if p not in contract.meta.producers]
        texts[path] = _add_to_contract(path, new_producers, consumers)
        done += [f"{contract_id}: producer {p}" for p in new_producers]
        done += [
            f"{contract_id}: consumer {c['office']} sees {', '.join(c['fields'])}"
            + (f", {_render({'when': c['when']}, 0)[0]}" if "when" in c else "")
            for c in consumers
        ]
    for receiving in new.receives:
        if receiving.answered:
            done.append(
                f"{receiving.contract}: {new.partner}/{receiving.office} receives it as the "
                "office that asked (its `answered` consumer), its own notices' answers only"
            )
    return texts, done


def _edits(
    new: NewPartner, catalogue: Catalogue
) -> dict[str, tuple[list[str], list[dict[str, Any]]]]:
    """Per contract, the producers and the consumers to add."""
    edits: dict[str, tuple[list[str], list[dict[str, Any]]]] = {}

    def edit(contract: str) -> tuple[list[str], list[dict[str, Any]]]:
        return edits.setdefault(contract, ([], []))

    for contract, office in new.sends:
        edit(contract)[0].append(f"{new.partner}/{office}")
        edit(RECALL)[0].append(f"{new.partner}/{office}")  # it may recall what it sent
    for receiving in new.receives:
        if not receiving.answered:
            consumer: dict[str, Any] = {"office": f"{new.partner}/{receiving.office}"}
            if receiving.when is not None:
                consumer["when"] = _condition_for(catalogue, receiving.contract, *receiving.when)
            edit(receiving.contract)[1].append({**consumer, "fields": list(receiving.fields)})
        edit(RECEIPT)[0].append(f"{new.partner}/{receiving.office}")  # every delivery answered
    return edits


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _condition_for(
    catalogue: Catalogue, contract: str, field: str, values: tuple[str, ...]
) -> CommentedMap:
    """`{field: acting.fsl, in: [true]}`, typed by the field's schema, on one line."""
    latest = catalogue.contracts[contract].latest
    node = schema_at(latest.schema, parse_path(field), catalogue.registry)
    flow = CommentedMap(field=field)
    flow["in"] = [value_as_held(node, value) for value in values]
    flow.fa.set_flow_style()
    return flow


def _load(text: str) -> Any:
    return _yaml().load(text)


def _render(value: Any, indent: int) -> list[str]:
    """`value` as block YAML lines, each indented by `indent` spaces."""
    out = io.StringIO()
    _yaml().dump(value, out)
    return [" " * indent + line for line in textwrap.dedent(out.getvalue()).splitlines()]


def _end_of(mapping: CommentedMap, key: str, lines: list[str]) -> int:
    """The line index just after `key`'s value: before the next key and the comments above it."""
    keys = list(mapping)
    after = keys[keys.index(key) + 1 :]
    end = mapping.lc.key(after[0])[0] if after else len(lines)
    while end > 0 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    return end


def _checked(path: Path, lines: list[str], expected: Any) -> str:
    text = "\n".join(lines) + "\n"
    if _load(text) != expected:
        raise PartnerError(f"{path}: the edit would not read back as meant; edit it by hand")
    return text


def _add_to_directory(new: NewPartner, path: Path) -> str:
    """The directory's new text."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    data = _load(text)
    partners = data["partners"]
    column = partners.lc.key(next(iter(partners)))[1]
    offices = CommentedMap()
    for office, office_name in new.offices.items():
        offices[office] = CommentedMap(name=DoubleQuotedScalarString(office_name))
        offices[office].fa.set_flow_style()  # `crip: {name: "..."}`, as the directory writes them
    entry = CommentedMap(name=DoubleQuotedScalarString(new.name), kind=new.kind, offices=offices)
    insert = _end_of(data, "partners", lines)
    lines[insert:insert] = _render({new.partner: entry}, column)
    partners[new.partner] = entry
    return _checked(path, lines, data)


def _add_to_contract(path: Path, producers: list[str], consumers: list[dict[str, Any]]) -> str:
    """The contract's new text."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    data = _load(text)
    additions: list[tuple[str, list[Any]]] = [("producers", producers), ("consumers", consumers)]
    # From the end of the file up, so that earlier positions stay true.
    for key, items in sorted(additions, key=lambda pair: -data.lc.key(pair[0])[0]):
        if not items:
            continue
        sequence = data[key]
        if not isinstance(sequence, CommentedSeq) or sequence.fa.flow_style() or not sequence:
            raise PartnerError(f"{path}: `{key}` is not a block list; add {items} by hand")
        column = sequence.lc.item(0)[1] - 2  # the dash's column
        insert = _end_of(data, key, lines)
        lines[insert:insert] = [line for item in items for line in _render([item], column)]
        sequence.extend(items)
    return _checked(path, lines, data)
