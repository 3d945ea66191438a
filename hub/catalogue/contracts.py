"""The contract catalogue: versioned JSON Schemas, and metadata saying who sends and who sees what.

Contracts are data under `contracts/`; this module reads them, checks them, and answers the
pipeline's questions (which contract and version is this record, is its payload valid).
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

import jsonschema_rs
import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable

from hub.catalogue.identifiers import Identifier
from hub.catalogue.keywords import validators
from hub.catalogue.matches import Match
from hub.catalogue.periods import check_period
from hub.catalogue.projection import FieldPath, parse_path
from hub.catalogue.scopes import Scope
from hub.catalogue.versions import Step, convert, load_steps

VERSION_DIR = re.compile(r"^v([1-9][0-9]*)$")
DEFINITIONS_PREFIX = "_"


class ContractError(ValueError):
    """A contract folder is missing a piece or contradicts itself."""


class Localized(BaseModel):
    """A text in French and in English."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fr: str
    en: str


class Route(BaseModel):
    """How to pick the office of a kind that receives a notice."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    commune: str = Field(
        description="Payload path of the INSEE commune code that selects the office."
    )


class Condition(BaseModel):
    """A consumer that receives a notice only when a payload field has one of some values."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str
    values: tuple[str | bool | int, ...] = Field(alias="in", min_length=1)


# Consumer offices that are not named in advance: the sender of a refused record, and the
# office that sent the notice this one answers.
SENDER = "sender"
ANSWERED = "answered"
RECIPIENTS = "recipients"  # every office the answered notice was delivered to (a recall's)


class Consumer(BaseModel):
    """An office (an office kind, when routed) that receives a contract's notices, and its view."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    office: str = Field(pattern=r"^(sender|answered|recipients|[a-z][a-z0-9-]*/[a-z][a-z0-9:-]*)$")
    route: Route | None = None
    when: Condition | None = None
    fields: tuple[str, ...] = Field(min_length=1)

    @property
    def partner(self) -> str:
        """The partner that owns the office."""
        return self.office.split("/", 1)[0]

    @property
    def office_name(self) -> str:
        """The office id, or the office kind when the consumer is routed."""
        return self.office.split("/", 1)[1]


ACCEPTED = "accepted"  # a deadline's `opens_on` for the time the hub accepted the notice


class Deadline(BaseModel):
    """A deadline a notice opens: from when, until when, on what basis, and what closes it.

    It is due after a `period` (`P15D`, `P3M`, `P6W`, `PT24H`), or on a payload date (`due_on`:
    to the end of that day; `due_before`: before that day starts). A law's period is the law's;
    an agreement's may be set otherwise by a département (the directory's `agreements`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    opens_on: str = Field(
        description="Payload date or date-time field it runs from; `accepted`: the acceptance."
    )
    fallback: str | None = Field(default=None, description="Used when `opens_on` is absent.")
    period: str | None = Field(default=None, description="How long it runs (ISO 8601).")
    due_on: str | None = Field(default=None, description="Payload date it is due on, all day.")
    due_before: str | None = Field(default=None, description="Payload date it is due before.")
    when: Condition | None = Field(
        default=None, description="Opened only when a payload field has one of these values."
    )
    closed_by: tuple[str, ...] = Field(
        min_length=1, description="Contracts whose notice, answering this one, closes it."
    )
    closed_from: tuple[str, ...] = Field(
        default=(),
        description="Only a closing notice from these offices (a kind: any of it) closes it.",
    )
    closed_in: Literal["answer", "case"] = Field(
        default="answer",
        description="`case`: a later notice of `closed_by` in the same case closes it too.",
    )
    alert: tuple[str, ...] = Field(
        min_length=1, description="Offices alerted when it is overdue; `sender` is allowed."
    )
    basis: Literal["law", "agreement"] = Field(
        description="Whether the law sets it (`article` says where) or the partners' agreement."
    )
    article: str | None = Field(default=None, description="The law's article, for `law`.")
    description: str

    @field_validator("period")
    @classmethod
    def _period_is_read(cls, value: str | None) -> str | None:
        return None if value is None else check_period(value)

    @model_validator(mode="after")
    def _due_one_way_on_a_basis(self) -> Deadline:
        dues = [d for d in (self.period, self.due_on, self.due_before) if d is not None]
        if len(dues) != 1:
            raise ValueError(f"{self.name}: give one of period, due_on and due_before")
        if self.basis == "law" and not self.article:
            raise ValueError(f"{self.name}: a deadline the law sets names its `article`")
        return self


class Retirement(BaseModel):
    """A contract announced as retired: accepted until a last date, refused after it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    announced_on: date
    last_accepted_on: date = Field(
        description="The last day a notice of it is accepted; from the next, `contract.retired`."
    )
    replaced_by: tuple[str, ...] = Field(min_length=1)
    why: str

    @model_validator(mode="after")
    def _announced_before_the_last_day(self) -> Retirement:
        if self.last_accepted_on < self.announced_on:
            raise ValueError("last_accepted_on comes before announced_on")
        return self

    def over(self, day: date) -> bool:
        """Whether a notice sent on `day` is refused."""
        return day > self.last_accepted_on


class ContractMeta(BaseModel):
    """The metadata file `contract.yaml`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$")
    kind: Literal["notice", "hub"]
    title: Localized
    description: Localized
    legal_basis: tuple[str, ...] = Field(
        min_length=1, description="The law each flow rests on: every contract names one."
    )
    sensitivity: str
    retention: str = Field(pattern=r"^P(?:[0-9]+Y)?(?:[0-9]+M)?(?:[0-9]+D)?$")
    producers: tuple[str, ...] = Field(min_length=1)
    consumers: tuple[Consumer, ...] = Field(min_length=1)
    answers: tuple[str, ...] = Field(
        default=(), description="Contracts a notice of this one may answer (ce_causationid)."
    )
    matches: dict[str, Match] = Field(
        default_factory=dict,
        description="Per contract it answers: the fields both share, the dates it may not precede.",
    )
    deadlines: tuple[Deadline, ...] = ()
    retired: Retirement | None = None
    scopes: tuple[Scope, ...] = Field(
        default=(), description="Whom its notices are for, as its documents say, checked."
    )
    identifiers: tuple[Identifier, ...] = Field(
        default=(), description="Numbers it carries of one partner's files, and who sees them all."
    )

    def produced_by(self, partner: str, office: str) -> bool:
        """Whether `partner/office` may send this contract (`partner/kind` covers a kind)."""
        return (
            f"{partner}/{office}" in self.producers
            or f"{partner}/{office.split(':', 1)[0]}" in self.producers
        )


@dataclass(frozen=True, slots=True)
class ContractVersion:
    """One major version of a contract: its schema and two validators of it.

    `accepts` decides, compiled once by jsonschema-rs (microseconds a notice); `validator`
    (python-jsonschema) explains a refusal field by field, on the rare invalid notice.
    """

    contract_id: str
    major: int
    schema_id: str
    schema: dict[str, Any]
    validator: Draft202012Validator
    fast: jsonschema_rs.Validator

    def accepts(self, payload: Any) -> bool:
        """Whether the payload satisfies the schema (formats asserted)."""
        return bool(self.fast.is_valid(payload))


@dataclass(frozen=True, slots=True)
class Contract:
    """A contract: its metadata, its live major versions and the migrations between them."""

    meta: ContractMeta
    versions: dict[int, ContractVersion]
    folder: Path
    migrations: tuple[Step, ...] = ()

    def convert(self, payload: dict[str, Any], source: int, target: int) -> dict[str, Any]:
        """A payload of major `source` as major `target`."""
        return payload if source == target else convert(payload, source, target, self.migrations)

    @property
    def id(self) -> str:
        """The contract id, also the CloudEvents `type` of its notices."""
        return self.meta.id

    @property
    def latest(self) -> ContractVersion:
        """The highest live major version."""
        return self.versions[max(self.versions)]

    def projections(self) -> dict[str, tuple[FieldPath, ...]]:
        """The parsed field list of each consumer, by consumer office."""
        return {c.office: tuple(parse_path(f) for f in c.fields) for c in self.meta.consumers}


class Catalogue:
    """Every contract under a folder, indexed by id and by schema `$id`."""

    def __init__(
        self,
        contracts: dict[str, Contract],
        registry: Registry[Any],
        fast_registry: jsonschema_rs.Registry,
    ) -> None:
        """Index loaded contracts; use `load_catalogue` to build one from files."""
        self.contracts = contracts
        self.registry = registry
        self.fast_registry = fast_registry
        self._by_schema = {
            version.schema_id: version
            for contract in contracts.values()
            for version in contract.versions.values()
        }

    def get(self, contract_id: str) -> Contract | None:
        """The contract with this id, if the catalogue has it."""
        return self.contracts.get(contract_id)

    def version_for(self, schema_id: str) -> ContractVersion | None:
        """The contract version whose schema `$id` is `schema_id`."""
        return self._by_schema.get(schema_id)


def schema_id_for(contract_id: str, major: int) -> str:
    """The `$id` (and `ce_dataschema`) of a contract version; it mirrors the folder layout."""
    return f"https://partner-hub.example/contracts/{contract_id}/v{major}/schema.json"


def load_catalogue(root: Path) -> Catalogue:
    """Load and check every contract under `root`; raise `ContractError` naming the first fault."""
    if not root.is_dir():
        raise ContractError(f"no contract folder at {root}")
    schemas: dict[tuple[str, int], dict[str, Any]] = {}
    metas: dict[str, ContractMeta] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for major, schema in _read_versions(folder):
            schemas[folder.name, major] = schema
        if not folder.name.startswith(DEFINITIONS_PREFIX):
            metas[folder.name] = _read_meta(folder)
    registry: Registry[Any] = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas.values()
    )
    fast_registry = jsonschema_rs.Registry([(s["$id"], s) for s in schemas.values()])
    contracts: dict[str, Contract] = {}
    for name, meta in metas.items():
        versions = {
            major: _compile(name, major, schema, registry, fast_registry)
            for (folder, major), schema in schemas.items()
            if folder == name
        }
        if not versions:
            raise ContractError(f"contract {name} has no version folder (v1, v2, ...)")
        migrations = load_steps(root / name / "migrations.yaml")
        contract = Contract(meta, versions, root / name, migrations)
        _check_migrations(contract)
        _check_projections(contract, registry)
        _check_scopes(contract, registry)
        contracts[name] = contract
    return Catalogue(contracts, registry, fast_registry)


def _read_versions(folder: Path) -> list[tuple[int, dict[str, Any]]]:
    found = []
    for version_dir in sorted(folder.iterdir()):
        match = VERSION_DIR.match(version_dir.name)
        if not match or not version_dir.is_dir():
            continue
        path = version_dir / "schema.json"
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise ContractError(f"{path}: cannot read the schema: {error}") from error
        major = int(match.group(1))
        expected = schema_id_for(folder.name, major)
        if schema.get("$id") != expected:
            raise ContractError(f"{path}: $id must be {expected}")
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as error:
            raise ContractError(f"{path}: not a valid 2020-12 schema: {error.message}") from error
        found.append((major, schema))
    return found


def _read_meta(folder: Path) -> ContractMeta:
    path = folder / "contract.yaml"
    try:
        meta = ContractMeta.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as error:
        raise ContractError(f"{path}: {error}") from error
    if meta.id != folder.name:
        raise ContractError(f"{path}: id {meta.id} differs from its folder name {folder.name}")
    return meta


def _compile(
    name: str,
    major: int,
    schema: dict[str, Any],
    registry: Registry[Any],
    fast_registry: jsonschema_rs.Registry,
) -> ContractVersion:
    validator, fast = validators(schema, registry, fast_registry)
    return ContractVersion(name, major, schema["$id"], schema, validator, fast)


def _check_migrations(contract: Contract) -> None:
    declared = {(s.source, s.target) for s in contract.migrations}
    majors = sorted(contract.versions)
    for older, newer in itertools.pairwise(majors):
        for pair in ((older, newer), (newer, older)):
            if pair not in declared:
                raise ContractError(f"{contract.id}: no migration from v{pair[0]} to v{pair[1]}")


def _check_projections(contract: Contract, registry: Registry[Any]) -> None:
    # A path may name a field that only some majors have (a recipient pinned to an older
    # major simply does not receive it); it must exist in at least one.
    for consumer in contract.meta.consumers:
        paths = list(consumer.fields)
        paths += [consumer.route.commune] if consumer.route else []
        paths += [consumer.when.field] if consumer.when else []
        for field in paths:
            if not any(
                schema_has_path(v.schema, parse_path(field), registry)
                for v in contract.versions.values()
            ):
                raise ContractError(
                    f"{contract.id}: consumer {consumer.office} names {field}, "
                    "which no version of the schema defines"
                )


def _check_scopes(contract: Contract, registry: Registry[Any]) -> None:
    """A scope names a rule the hub implements, live majors, and fields their schemas define."""
    where = contract.folder / "contract.yaml"
    for scope in contract.meta.scopes:
        if scope.fault:
            raise ContractError(f"{where}: scope `{scope.rule}` {scope.fault}")
        for major in scope.majors or tuple(contract.versions):
            version = contract.versions.get(major)
            if version is None:
                raise ContractError(
                    f"{where}: scope `{scope.rule}` holds for v{major}, which is not live: "
                    "correct its `majors`"
                )
            for field in scope.fields:
                if not schema_has_path(version.schema, parse_path(field), registry):
                    raise ContractError(
                        f"{where}: scope `{scope.rule}` names {field}, which v{major} of the "
                        "schema does not define: correct the path, or name in `majors` the "
                        "versions that have it"
                    )


def schema_has_path(schema: dict[str, Any], path: FieldPath, registry: Registry[Any]) -> bool:
    """Whether `path` names a property the schema defines (following `$ref`s)."""
    return schema_at(schema, path, registry) is not None


def schema_at(schema: dict[str, Any], path: FieldPath, registry: Registry[Any]) -> Any | None:
    """The schema of the property `path` names (its `$ref`s followed), or None if undefined."""
    resolver = registry.resolver(base_uri=schema["$id"])
    node: Any = schema
    for step in path:
        node, resolver = _deref(node, resolver)
        properties = node.get("properties", {}) if isinstance(node, dict) else {}
        if step.name not in properties:
            return None
        node = properties[step.name]
        if step.each:
            node, resolver = _deref(node, resolver)
            node = node.get("items") if isinstance(node, dict) else None
            if node is None:
                return None
    return _deref(node, resolver)[0]


def _deref(node: Any, resolver: Any) -> tuple[Any, Any]:
    while isinstance(node, dict) and "$ref" in node:
        try:
            resolved = resolver.lookup(node["$ref"])
        except Unresolvable as error:
            raise ContractError(f"unresolvable $ref {node['$ref']}") from error
        node, resolver = resolved.contents, resolved.resolver
    return node, resolver
