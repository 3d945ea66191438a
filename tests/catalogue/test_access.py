"""The grants of one Kafka identity per partner, and the Kafka ACL evaluator that judges them.

What the grants allow, principal by resource by operation, is proved on the rendered files in
`tests/tools/test_cluster.py`; here, the refusals, and the evaluator on cases small enough
to check by hand.
"""

from __future__ import annotations

import pytest

from hub.catalogue.access import AccessError, grants, principal
from tests.acl_semantics import (
    Binding,
    UnreadableAclError,
    authorized,
    from_script,
    from_strimzi,
    operation,
)


def _allow(  # noqa: PLR0913, PLR0917 - a binding's fields, on every host
    who: str, kind: str, pattern: str, name: str, op: str, permission: str = "ALLOW"
) -> Binding:
    return Binding(who, "*", kind, pattern, name, op, permission)


# The grants


def test_a_partner_named_as_the_hub_is_refused() -> None:
    with pytest.raises(AccessError, match="'partner-hub' would share the hub's Kafka identity"):
        grants(["caf", "partner-hub"])
    with pytest.raises(AccessError, match="'relay' would share"):
        grants(["caf", "relay"], hub_user="relay")
    assert grants(["caf", "partner-hub"], hub_user="relay")  # another name for the hub: fine


def test_a_hub_group_that_a_partner_may_use_is_refused() -> None:
    with pytest.raises(AccessError, match=r"'caf\.hub' starts with 'caf\.'"):
        grants(["caf"], hub_group="caf.hub")
    assert grants(["caf"], hub_group="caf-hub")


def test_partner_ids_that_would_break_the_patterns_are_refused() -> None:
    with pytest.raises(AccessError, match="not partner ids"):
        grants(["caf.nord"])  # its group prefix would be `caf.nord.`, inside caf's `caf.`
    with pytest.raises(AccessError, match="twice"):
        grants(["caf", "caf"])
    with pytest.raises(AccessError, match="unknown authentication"):
        grants(["caf"], authentication="plain")  # type: ignore[arg-type]


def test_principals_follow_the_authentication() -> None:
    assert principal("caf", "scram-sha-512") == "User:caf"
    assert principal("caf", "tls") == "User:CN=caf"
    assert {g.principal for g in grants(["caf"], authentication="tls")} == {
        "User:CN=partner-hub",
        "User:CN=caf",
    }


def test_a_partners_topics_are_named_exactly_and_nothing_creates_a_topic() -> None:
    found = grants(["caf", "caf2"])
    partner_topics = [g for g in found if g.user != "partner-hub" and g.resource == "topic"]
    assert {(g.user, g.name, g.pattern) for g in partner_topics} == {
        ("caf", "hub.in.caf", "literal"),
        ("caf", "hub.out.caf", "literal"),
        ("caf2", "hub.in.caf2", "literal"),
        ("caf2", "hub.out.caf2", "literal"),
    }
    assert all(g.allow for g in found)
    assert not any(op in {"Create", "Delete", "Alter", "All"} for g in found for op in g.operations)


# The evaluator


def test_without_a_matching_allow_the_answer_is_no() -> None:
    assert not authorized([], "User:caf", "TOPIC", "hub.in.caf", "Write")
    only_read = [_allow("User:caf", "TOPIC", "LITERAL", "hub.in.caf", "READ")]
    assert authorized(only_read, "User:caf", "TOPIC", "hub.in.caf", "Read")
    assert not authorized(only_read, "User:caf", "TOPIC", "hub.in.caf", "Write")
    assert not authorized(only_read, "User:caf", "GROUP", "hub.in.caf", "Read")
    assert not authorized(only_read, "User:caf2", "TOPIC", "hub.in.caf", "Read")


def test_a_matching_deny_wins_over_every_allow() -> None:
    bindings = [
        _allow("User:caf", "TOPIC", "LITERAL", "hub.out.caf", "READ"),
        _allow("User:caf", "TOPIC", "LITERAL", "*", "ALL"),
        _allow("User:*", "TOPIC", "PREFIXED", "hub.out.", "READ", "DENY"),
    ]
    assert not authorized(bindings, "User:caf", "TOPIC", "hub.out.caf", "Read")
    assert authorized(bindings, "User:caf", "TOPIC", "hub.out.caf", "Write")  # deny is READ only
    assert authorized(bindings, "User:caf", "TOPIC", "hub.in.caf", "Read")
    deny_all = [*bindings, _allow("User:caf", "TOPIC", "LITERAL", "hub.in.caf", "ALL", "DENY")]
    assert not authorized(deny_all, "User:caf", "TOPIC", "hub.in.caf", "Describe")


def test_literal_is_the_exact_name_and_prefixed_is_every_name_it_starts() -> None:
    literal = [_allow("User:caf", "TOPIC", "LITERAL", "hub.in.caf", "WRITE")]
    assert not authorized(literal, "User:caf", "TOPIC", "hub.in.caf2", "Write")
    assert not authorized(literal, "User:caf", "TOPIC", "hub.in.ca", "Write")
    prefixed = [_allow("User:caf", "TOPIC", "PREFIXED", "hub.in.caf", "WRITE")]
    assert authorized(prefixed, "User:caf", "TOPIC", "hub.in.caf", "Write")
    assert authorized(prefixed, "User:caf", "TOPIC", "hub.in.caf2", "Write")
    assert not authorized(prefixed, "User:caf", "TOPIC", "hub.in.ca", "Write")


def test_the_wildcard_is_a_literal_star_and_user_star() -> None:
    everything = [_allow("User:caf", "GROUP", "LITERAL", "*", "READ")]
    assert authorized(everything, "User:caf", "GROUP", "anything", "Read")
    star_prefix = [_allow("User:caf", "GROUP", "PREFIXED", "*", "READ")]
    assert not authorized(star_prefix, "User:caf", "GROUP", "anything", "Read")
    assert authorized(star_prefix, "User:caf", "GROUP", "*x", "Read")
    anyone = [_allow("User:*", "GROUP", "LITERAL", "g", "READ")]
    assert authorized(anyone, "User:intruder", "GROUP", "g", "Read")
    not_a_prefix = [_allow("User:ca", "GROUP", "LITERAL", "g", "READ")]
    assert not authorized(not_a_prefix, "User:caf", "GROUP", "g", "Read")


def test_implied_operations_are_those_of_kafka_only() -> None:
    for granted in ("READ", "WRITE", "DELETE", "ALTER"):
        one = [_allow("User:caf", "TOPIC", "LITERAL", "t", granted)]
        assert authorized(one, "User:caf", "TOPIC", "t", "Describe"), granted
        assert not authorized(one, "User:caf", "TOPIC", "t", "DescribeConfigs"), granted
    alter_configs = [_allow("User:caf", "TOPIC", "LITERAL", "t", "ALTER_CONFIGS")]
    assert authorized(alter_configs, "User:caf", "TOPIC", "t", "DescribeConfigs")
    assert not authorized(alter_configs, "User:caf", "TOPIC", "t", "Describe")
    describe = [_allow("User:caf", "TOPIC", "LITERAL", "t", "DESCRIBE")]
    assert not authorized(describe, "User:caf", "TOPIC", "t", "Read")
    idempotent = [_allow("User:caf", "CLUSTER", "LITERAL", "kafka-cluster", "IDEMPOTENT_WRITE")]
    assert not authorized(idempotent, "User:caf", "CLUSTER", "kafka-cluster", "Describe")
    # A DENY of READ leaves DESCRIBE to what WRITE implies.
    mixed = [
        _allow("User:caf", "TOPIC", "LITERAL", "t", "WRITE"),
        _allow("User:caf", "TOPIC", "LITERAL", "t", "READ", "DENY"),
    ]
    assert authorized(mixed, "User:caf", "TOPIC", "t", "Describe")
    all_ops = [_allow("User:caf", "TOPIC", "LITERAL", "t", "ALL")]
    assert authorized(all_ops, "User:caf", "TOPIC", "t", "All")
    assert not authorized(describe, "User:caf", "TOPIC", "t", "All")


def test_a_binding_for_one_host_is_not_for_another() -> None:
    one_host = [Binding("User:caf", "10.0.0.1", "TOPIC", "LITERAL", "t", "READ", "ALLOW")]
    assert authorized(one_host, "User:caf", "TOPIC", "t", "Read", host="10.0.0.1")
    assert not authorized(one_host, "User:caf", "TOPIC", "t", "Read", host="10.0.0.2")


def test_operations_are_read_however_they_are_spelled() -> None:
    assert operation("DescribeConfigs") == operation("describe_configs") == "DESCRIBE_CONFIGS"
    assert operation("IdempotentWrite") == "IDEMPOTENT_WRITE"
    with pytest.raises(UnreadableAclError):
        operation("Launch")


STRIMZI = """\
apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaUser
metadata: {name: caf}
spec:
  authentication: {type: tls}
  authorization:
    type: simple
    acls:
      - resource: {type: topic, name: hub.out., patternType: prefix}
        operations: [Read, DescribeConfigs]
      - resource: {type: cluster}
        operation: IdempotentWrite
      - resource: {type: group, name: caf}
        operations: [Read]
        host: 10.0.0.1
        type: deny
---
apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaTopic
metadata: {name: ignored}
"""


def test_strimzi_users_are_read_as_the_user_operator_creates_them() -> None:
    assert from_strimzi(STRIMZI) == [
        Binding("User:CN=caf", "*", "TOPIC", "PREFIXED", "hub.out.", "READ", "ALLOW"),
        Binding("User:CN=caf", "*", "TOPIC", "PREFIXED", "hub.out.", "DESCRIBE_CONFIGS", "ALLOW"),
        Binding(
            "User:CN=caf", "*", "CLUSTER", "LITERAL", "kafka-cluster", "IDEMPOTENT_WRITE", "ALLOW"
        ),
        Binding("User:CN=caf", "10.0.0.1", "GROUP", "LITERAL", "caf", "READ", "DENY"),
    ]
    scram = STRIMZI.replace("type: tls", "type: scram-sha-512")
    assert {b.principal for b in from_strimzi(scram)} == {"User:caf"}
    with pytest.raises(UnreadableAclError, match="unknown authentication"):
        from_strimzi(STRIMZI.replace("type: tls", "type: oauth"))


def test_script_lines_are_read_as_kafka_acls_reads_its_arguments() -> None:
    script = """\
#!/bin/sh
set -eu
kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --create --topic hub.in.caf
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add \
--allow-principal 'User:CN=caf' --operation Read --operation Describe --topic hub.out.caf --topic x
/opt/kafka/bin/kafka-acls.sh --add --deny-principal User:* --deny-host 10.0.0.1 --operation All \
--group caf. --resource-pattern-type prefixed  # a comment
kafka-acls.sh --add --allow-principal User:caf --operation IdempotentWrite --cluster
"""
    bindings = from_script(script.replace("\\\n", ""))
    assert bindings == [
        Binding("User:CN=caf", "*", "TOPIC", "LITERAL", "hub.out.caf", "READ", "ALLOW"),
        Binding("User:CN=caf", "*", "TOPIC", "LITERAL", "hub.out.caf", "DESCRIBE", "ALLOW"),
        Binding("User:CN=caf", "*", "TOPIC", "LITERAL", "x", "READ", "ALLOW"),
        Binding("User:CN=caf", "*", "TOPIC", "LITERAL", "x", "DESCRIBE", "ALLOW"),
        Binding("User:*", "10.0.0.1", "GROUP", "PREFIXED", "caf.", "ALL", "DENY"),
        Binding(
            "User:caf", "*", "CLUSTER", "LITERAL", "kafka-cluster", "IDEMPOTENT_WRITE", "ALLOW"
        ),
    ]


@pytest.mark.parametrize(
    "line",
    [
        "kafka-acls.sh --add --allow-principal User:caf --operation Read --topic t --producer",
        "kafka-acls.sh --remove --allow-principal User:caf --operation Read --topic t",
        "kafka-acls.sh --add --allow-principal User:caf --topic t",
        "kafka-acls.sh --add --allow-principal User:caf --operation Read",
        (
            "kafka-acls.sh --add --allow-principal User:caf --operation Read --topic t "
            "--resource-pattern-type match"
        ),
    ],
)
def test_a_script_line_the_reader_would_have_to_guess_is_refused(line: str) -> None:
    with pytest.raises(UnreadableAclError):
        from_script(line)
