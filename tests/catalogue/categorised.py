"""The tests' own data categories of the shipped contracts' leaf fields, by rules on their paths.

The real categories will be each schema's `x-category` (`hub.catalogue.categories`, issue 22);
until they are wired, the policy check is tested against these: every leaf of every live major
is found by walking the schema, then given the category its path says. `categorised(rules)`
makes a `CategoriesOf` from other rules, for a test that plants a field of its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from hub.catalogue.contracts import Catalogue, Contract

Rules = tuple[tuple[str, str], ...]  # (a regular expression a leaf path matches, its category)

# Per contract first (the same name means another thing there), then for every contract.
OUTCOMES: dict[str, str] = {
    "ip.retour": "evaluation-outcome",
    "instruction.regularisation": "schooling",
}
SHIPPED: Rules = (
    (r"(^|\.)(caf_number|allocataire_number)$", "partner-file-number"),
    (r"^(child|pupil|other_minors\[\])\.", "child-identity"),
    (r"^(guardians\[\]|person|household\.tenants\[\]|contact)\.", "adult-identity"),
    (r"^(contact_phone|family_phone)$", "adult-identity"),
    (r"(^|\.)address\.", "address"),
    (
        r"^(facts\[\]\.|family_informed|family_not_informed_reason|urgency)",
        "child-protection-facts",
    ),
    (r"^(court|parquet_reference)$", "criminal-offence"),
    (
        (
            r"^(school_uai|last_known_school_uai|class_level|unjustified_half_days|measures_taken"
            r"|reason|attendance|commitments)$"
        ),
        "schooling",
    ),
    (
        (
            r"^(assessment\.|avis$|recommendations$|repayment_plan\.|debt_amount$|housing_costs\."
            r"|housing_benefit\.|considered$|grounds$|decision$|household\.(composition|adults"
            r"|dependent_children)$|violence_types$|needs$|minors_|orientation\.(support|purposes)$)"
        ),
        "social-assessment",
    ),
    (r"(_reference|^notice_id|^case_id|^receipt_id|court_case_number)$", "reference"),
    (r"(_on|_at|_since|_by|^period\.(from|to)|date_time|effective_from)$", "date"),
)


def categorised(
    rules: Rules = SHIPPED, outcomes: dict[str, str] | None = None
) -> Callable[[Catalogue, Contract, tuple[str, ...]], dict[str, str]]:
    """A `CategoriesOf` that gives each leaf the category of the first rule its path matches.

    A leaf no rule matches is a `code`; `outcome` takes its contract's category in `outcomes`.
    """
    compiled = [(re.compile(pattern), category) for pattern, category in rules]
    by_contract = OUTCOMES if outcomes is None else outcomes

    def categories_of(
        catalogue: Catalogue, contract: Contract, fields: tuple[str, ...]
    ) -> dict[str, str]:
        found = {}
        for leaf in leaves(catalogue, contract):
            if not any(_delivers(field, leaf) for field in fields):
                continue
            matched = [c for pattern, c in compiled if pattern.search(leaf)]
            if leaf == "outcome" and contract.id in by_contract:
                matched = [by_contract[contract.id]]
            found[leaf] = matched[0] if matched else "code"
        return found

    return categories_of


def leaves(catalogue: Catalogue, contract: Contract) -> list[str]:
    """Every leaf field of every live major, in the projection's syntax."""
    found: dict[str, None] = {}
    for version in contract.versions.values():
        resolver = catalogue.registry.resolver(base_uri=version.schema["$id"])
        _walk(version.schema, resolver, "", found)
    return list(found)


def _delivers(field: str, leaf: str) -> bool:
    return leaf == field or leaf.startswith((f"{field}.", f"{field}["))


def _walk(node: Any, resolver: Any, prefix: str, found: dict[str, None]) -> None:
    while isinstance(node, dict) and "$ref" in node:
        resolved = resolver.lookup(node["$ref"])
        node, resolver = resolved.contents, resolved.resolver
    if not isinstance(node, dict):
        found[prefix] = None
        return
    for key in ("oneOf", "anyOf", "allOf"):
        for sub in node.get(key, []):
            _walk(sub, resolver, prefix, found)
    if "properties" in node:
        for name, sub in node["properties"].items():
            _walk(sub, resolver, f"{prefix}.{name}" if prefix else name, found)
    elif isinstance(node.get("items"), dict) and _is_object(node["items"], resolver):
        _walk(node["items"], resolver, f"{prefix}[]", found)
    elif not any(key in node for key in ("oneOf", "anyOf", "allOf")):
        found[prefix] = None


def _is_object(node: Any, resolver: Any) -> bool:
    while isinstance(node, dict) and "$ref" in node:
        resolved = resolver.lookup(node["$ref"])
        node, resolver = resolved.contents, resolved.resolver
    return isinstance(node, dict) and "properties" in node
