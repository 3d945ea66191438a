"""The contract catalogue: versioned JSON Schemas, and metadata saying who sends and who sees what.

Contracts are data under `contracts/`; this module reads them, checks them, and answers the
pipeline's questions (which contract and version is this record, is its payload valid).
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from pydantic import ValidationError
from referencing import Registry, Resource

from hub.catalogue.category_file import CATEGORIES_FILE, Categories, load_categories
from hub.catalogue.keywords import validators
from hub.catalogue.meta import ContractError, ContractMeta, every_notice_answered, meta_faults
from hub.catalogue.policy import RecipientPolicy, load_policy
from hub.catalogue.projection import FieldPath, parse_path
from hub.catalogue.schemas import schema_has_path
from hub.catalogue.versions import Step, convert, load_steps

VERSION_DIR = re.compile(r"^v([1-9][0-9]*)$")
DEFINITIONS_PREFIX = "_"


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
    """Every contract under a folder, by id and by schema `$id`, and the recipient policy."""

    def __init__(
        self,
        contracts: dict[str, Contract],
        registry: Registry[Any],
        fast_registry: jsonschema_rs.Registry,
        categories: Categories,
        policy: RecipientPolicy,
    ) -> None:
        """Index loaded contracts; use `load_catalogue` to build one from files."""
        self.contracts = contracts
        self.policy = policy  # who may receive what (`contracts/_policy/recipients.yaml`)
        self.registry = registry
        self.fast_registry = fast_registry
        self.categories = categories  # the data categories its fields fall in
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
    """Load and check every contract under `root`, and the recipient policy beside them.

    Raise `ContractError` naming the first fault.
    """
    if not root.is_dir():
        raise ContractError(f"no contract folder at {root}")
    schemas: dict[tuple[str, int], dict[str, Any]] = {}
    metas: dict[str, ContractMeta] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for major, schema in _read_versions(folder):
            schemas[folder.name, major] = schema
        if not folder.name.startswith(DEFINITIONS_PREFIX):
            metas[folder.name] = _read_meta(folder)
    metas = every_notice_answered(metas)
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
    categories = load_categories(root / CATEGORIES_FILE)
    policy = load_policy(root, categories.ids)
    return Catalogue(contracts, registry, fast_registry, categories, policy)


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
    except ValidationError as error:
        raise ContractError(f"{path}: {'; '.join(meta_faults(error))}") from error
    except (OSError, yaml.YAMLError) as error:
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
