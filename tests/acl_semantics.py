"""Apache Kafka's ACL semantics, written apart from the hub's code, to judge what it renders.

Bindings are read from the rendered files themselves (Strimzi `KafkaUser` resources, or the
`kafka-acls.sh` lines of the script, as the tool would parse their arguments) and evaluated
as Kafka's authorizer does (`allow.everyone.if.no.acl.found=false`, no super user):

- a LITERAL pattern matches its exact name, or every name when it is `*`; a PREFIXED pattern
  matches every name that starts with it;
- a binding applies to its principal exactly, or to everyone when it is `User:*`; to its host,
  or to every host when it is `*`;
- a binding's operation matches the one asked, or every one when it is ALL; an allowed READ,
  WRITE, DELETE or ALTER allows DESCRIBE, and an allowed ALTER_CONFIGS allows DESCRIBE_CONFIGS
  (a DENY denies only its own operation, or every one when it is ALL);
- any DENY that matches wins over every ALLOW; without a matching ALLOW the answer is no.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import yaml

CLUSTER_NAME = "kafka-cluster"
OPERATIONS = (
    "READ",
    "WRITE",
    "CREATE",
    "DELETE",
    "ALTER",
    "DESCRIBE",
    "CLUSTER_ACTION",
    "DESCRIBE_CONFIGS",
    "ALTER_CONFIGS",
    "IDEMPOTENT_WRITE",
    "CREATE_TOKENS",
    "DESCRIBE_TOKENS",
    "ALL",
)
# The allowed operations that also allow another one (Kafka's AclAuthorizer, StandardAuthorizer).
IMPLIED_BY = {
    "DESCRIBE": {"READ", "WRITE", "DELETE", "ALTER"},
    "DESCRIBE_CONFIGS": {"ALTER_CONFIGS"},
}
STRIMZI_RESOURCES = {
    "topic": "TOPIC",
    "group": "GROUP",
    "cluster": "CLUSTER",
    "transactionalId": "TRANSACTIONAL_ID",
}
STRIMZI_PATTERNS = {"literal": "LITERAL", "prefix": "PREFIXED"}
# kafka-acls.sh options that take a value; the first two say only how to reach the cluster.
VALUED_OPTIONS = {
    "--bootstrap-server",
    "--command-config",
    "--allow-principal",
    "--deny-principal",
    "--allow-host",
    "--deny-host",
    "--operation",
    "--topic",
    "--group",
    "--transactional-id",
    "--resource-pattern-type",
}
FLAGS = {"--add", "--remove", "--list", "--cluster", "--force"}


class UnreadableAclError(ValueError):
    """A rendered ACL that this reader cannot turn into bindings without guessing."""


@dataclass(frozen=True)
class Binding:
    """One ACL binding as Kafka stores it: names in Kafka's own upper-case spelling."""

    principal: str
    host: str
    resource_type: str  # TOPIC, GROUP, CLUSTER, TRANSACTIONAL_ID
    pattern_type: str  # LITERAL, PREFIXED
    name: str
    operation: str  # READ, WRITE, ..., ALL
    permission: str  # ALLOW, DENY


def operation(spelled: str) -> str:
    """Kafka's name for an operation, however spelled: `DescribeConfigs`, `describe_configs`."""
    wanted = spelled.replace("_", "").lower()
    for name in OPERATIONS:
        if name.replace("_", "").lower() == wanted:
            return name
    raise UnreadableAclError(f"no such operation {spelled!r}")


def authorized(  # noqa: PLR0913 - the question Kafka's authorizer answers, where from last
    bindings: Iterable[Binding],
    principal: str,
    resource_type: str,
    name: str,
    asked: str,
    *,
    host: str = "192.0.2.10",
) -> bool:
    """Whether Kafka lets `principal`, connected from `host`, do `asked` on one resource."""
    wanted = operation(asked)
    matching = [
        b
        for b in bindings
        if b.principal in (principal, "User:*")
        and b.host in (host, "*")
        and b.resource_type == resource_type
        and _pattern_matches(b, name)
    ]
    if any(b.permission == "DENY" and b.operation in (wanted, "ALL") for b in matching):
        return False
    allowing = {wanted, "ALL"} | IMPLIED_BY.get(wanted, set())
    return any(b.permission == "ALLOW" and b.operation in allowing for b in matching)


def _pattern_matches(binding: Binding, name: str) -> bool:
    if binding.pattern_type == "LITERAL":
        return binding.name in (name, "*")
    if binding.pattern_type == "PREFIXED":
        return name.startswith(binding.name)
    raise UnreadableAclError(f"no such pattern type {binding.pattern_type!r}")


def from_strimzi(text: str) -> list[Binding]:
    """The bindings the Strimzi User Operator would create for these `KafkaUser` resources."""
    found = []
    for document in yaml.safe_load_all(text):
        if not document or document.get("kind") != "KafkaUser":
            continue
        user = document["metadata"]["name"]
        spec = document["spec"]
        kind = spec["authentication"]["type"]
        if kind in ("tls", "tls-external"):
            principal = f"User:CN={user}"
        elif kind == "scram-sha-512":
            principal = f"User:{user}"
        else:
            raise UnreadableAclError(f"{user}: unknown authentication {kind!r}")
        authorization = spec.get("authorization")
        if authorization is None:
            continue
        if authorization["type"] != "simple":
            raise UnreadableAclError(
                f"{user}: authorization {authorization['type']!r} is not simple"
            )
        found += [b for rule in authorization["acls"] for b in _strimzi_rule(principal, rule)]
    return found


def _strimzi_rule(principal: str, rule: dict[str, Any]) -> list[Binding]:
    resource = rule["resource"]
    resource_type = STRIMZI_RESOURCES[resource["type"]]
    if resource_type == "CLUSTER":
        name, pattern = CLUSTER_NAME, "LITERAL"
    else:
        name, pattern = resource["name"], STRIMZI_PATTERNS[resource.get("patternType", "literal")]
    operations = rule.get("operations") or [rule["operation"]]
    permission = {"allow": "ALLOW", "deny": "DENY"}[rule.get("type", "allow")]
    return [
        Binding(
            principal,
            rule.get("host", "*"),
            resource_type,
            pattern,
            name,
            operation(op),
            permission,
        )
        for op in operations
    ]


def from_script(text: str) -> list[Binding]:
    """The bindings the script's `kafka-acls.sh --add` lines would create, read from their argv."""
    found = []
    for line in text.splitlines():
        argv = shlex.split(line, comments=True)
        if argv and argv[0].rsplit("/", 1)[-1] == "kafka-acls.sh":
            found += _acls_command(argv[1:])
    return found


def _acls_command(arguments: list[str]) -> list[Binding]:
    given: dict[str, list[str]] = {}
    flags: set[str] = set()
    words = iter(arguments)
    for word in words:
        if word in FLAGS:
            flags.add(word)
        elif word in VALUED_OPTIONS:
            given.setdefault(word, []).append(next(words))
        else:
            raise UnreadableAclError(f"kafka-acls.sh option this reader does not know: {word}")
    if flags & {"--remove", "--list"} or "--add" not in flags:
        raise UnreadableAclError("only `kafka-acls.sh --add` lines are read")
    pattern = given.get("--resource-pattern-type", ["literal"])[-1].upper()
    if pattern not in ("LITERAL", "PREFIXED"):
        raise UnreadableAclError(f"pattern type {pattern} does not add a binding")
    resources = [("TOPIC", pattern, n) for n in given.get("--topic", [])]
    resources += [("GROUP", pattern, n) for n in given.get("--group", [])]
    resources += [("TRANSACTIONAL_ID", pattern, n) for n in given.get("--transactional-id", [])]
    if "--cluster" in flags:
        resources.append(("CLUSTER", "LITERAL", CLUSTER_NAME))
    operations = [operation(op) for op in given.get("--operation", [])]
    if not resources or not operations:
        raise UnreadableAclError("a kafka-acls.sh --add line without a resource or an operation")
    found = []
    for permission in ("allow", "deny"):
        principals = given.get(f"--{permission}-principal", [])
        hosts = given.get(f"--{permission}-host", ["*"])  # the tool's default when unset
        found += [
            Binding(who, host, kind, pattern_type, name, op, permission.upper())
            for who in principals
            for host in hosts
            for kind, pattern_type, name in resources
            for op in operations
        ]
    return found


@dataclass(frozen=True)
class Difference:
    """One answer of the authorizer that is not the intended one."""

    principal: str
    resource_type: str
    name: str
    operation: str
    authorized: bool  # what the bindings answer; the intent is the opposite


Intent = Callable[[str, str, str, str], bool]


def differences(
    bindings: list[Binding],
    intended: Intent,
    principals: Iterable[str],
    resources: Iterable[tuple[str, str]],
    operations: Iterable[str],
) -> list[Difference]:
    """Every (principal, resource, operation) where the bindings answer otherwise than intended."""
    asked = list(operations)
    every_resource = list(resources)
    return [
        Difference(who, kind, name, op, answer)
        for who in principals
        for kind, name in every_resource
        for op in asked
        if (answer := authorized(bindings, who, kind, name, op)) != intended(who, kind, name, op)
    ]
