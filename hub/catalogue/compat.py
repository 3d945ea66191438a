"""The compatibility gate: within a major, every minor is FULL_TRANSITIVE compatible.

FULL (Confluent's meaning): data written with the new schema is read by the old one and the
reverse; TRANSITIVE: against every earlier minor, not only the last. The check itself is
jsoncompat's. Every published minor is frozen, self-contained (every `$ref` inlined), in
`contracts/<id>/v<major>/history/<major>.<minor>.json`. The live schema must stay FULL
compatible with all of them, so any edit is gated; `hub contracts freeze` publishes a
compatible edit as the next minor.

With the closed content model of the hub's contracts, adding even an optional field breaks
FULL compatibility (an old reader refuses the unknown field): such a change is a new major,
with a migration.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsoncompat
import jsonschema_rs

from hub.catalogue.contracts import Catalogue, Contract, ContractVersion
from hub.catalogue.examples import shown

HISTORY = "history"
ANNOTATIONS = ("$id", "$schema", "$comment")


def bundled(version: ContractVersion, registry: jsonschema_rs.Registry) -> dict[str, Any]:
    """The schema with every `$ref` inlined and no `$id`: self-contained, as frozen."""
    inlined = jsonschema_rs.dereference(version.schema, registry=registry, offline=True)
    stripped: dict[str, Any] = _without_annotations(inlined)
    return stripped


def _without_annotations(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_annotations(v) for k, v in node.items() if k not in ANNOTATIONS}
    if isinstance(node, list):
        return [_without_annotations(v) for v in node]
    return node


def history(contract: Contract, major: int) -> list[Path]:
    """The frozen earlier minors of a major, oldest first."""
    folder = contract.folder / f"v{major}" / HISTORY
    return sorted(folder.glob(f"{major}.*.json"), key=lambda p: int(p.stem.split(".")[1]))


def current_minor(contract: Contract, major: int) -> str:
    """The label of a major's latest published minor, e.g. `1.2` (`<major>.0` before any)."""
    frozen = history(contract, major)
    return frozen[-1].stem if frozen else f"{major}.0"


def _next_minor(contract: Contract, major: int) -> str:
    return f"{major}.{len(history(contract, major))}"


def compatibility_problems(catalogue: Catalogue) -> list[str]:
    """Every live schema not FULL compatible with one of its earlier minors, or never published.

    A major with no frozen minor has nothing to hold its next edits to: its `<major>.0` is
    published with `hub contracts freeze` before partners build on it.
    """
    problems = []
    for contract in catalogue.contracts.values():
        for major, version in contract.versions.items():
            if not history(contract, major):
                folder = shown(contract.folder / f"v{major}" / HISTORY)
                problems.append(
                    f"{folder}: {contract.id} v{major} was never published: run `hub contracts "
                    f"freeze {contract.id} --major {major}`, which writes {major}.0.json there"
                )
                continue
            current = json.dumps(bundled(version, catalogue.fast_registry))
            problems += [
                f"{contract.id} v{major} (live) is not FULL compatible with {frozen.stem}"
                for frozen in history(contract, major)
                if not jsoncompat.check_compat(frozen.read_text(encoding="utf-8"), current, "both")
            ]
    return problems


def freeze(catalogue: Catalogue, contract_id: str, major: int) -> Path:
    """Publish the live schema of a major as its next minor; returns the frozen file."""
    contract = catalogue.contracts[contract_id]
    schema = bundled(contract.versions[major], catalogue.fast_registry)
    path = contract.folder / f"v{major}" / HISTORY / f"{_next_minor(contract, major)}.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
