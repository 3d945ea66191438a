"""Who may do what on the cluster: one Kafka identity per partner, and the hub's own.

The hub believes a record comes from the partner whose `hub.in` topic it arrived on: the
topic, enforced by these ACLs, is the proof of a record's origin. So each partner may write
its own inbound topic and read its own outbound topic, both named exactly (LITERAL: `hub.in.caf`
is a string prefix of `hub.in.caf2`), and use only the consumer groups that start with its id
and a dot. The hub reads every inbound topic and writes every outbound one. Nobody else gets
anything, and nothing here creates a topic: the cluster's declared topics own them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from hub.catalogue.directory_file import PARTNER_ID
from hub.wire.topics import INBOUND_PREFIX, OUTBOUND_PREFIX, inbound, outbound

ResourceType = Literal["topic", "group", "cluster"]
PatternType = Literal["literal", "prefixed"]
# Kafka's operation names as Strimzi and kafka-acls.sh both spell them.
Operation = Literal["Read", "Write", "Describe", "DescribeConfigs", "IdempotentWrite"]
Authentication = Literal["scram-sha-512", "tls"]
AUTHENTICATIONS: tuple[Authentication, ...] = get_args(Authentication)

HUB_USER = "partner-hub"
CLUSTER = "kafka-cluster"  # the one name Kafka gives the cluster resource
GROUP_SEPARATOR = "."  # `caf.` is not a prefix of `caf2.`: partner ids hold no dot


class AccessError(ValueError):
    """The partners and the hub's identity cannot be given distinct, non-overlapping rights."""


@dataclass(frozen=True)
class Grant:
    """One ACL binding: `principal` may do `operations` on the resources the pattern matches."""

    user: str  # the Kafka user: the SCRAM user name, or the certificate's common name
    principal: str  # the user as the broker's authorizer names it
    resource: ResourceType
    pattern: PatternType
    name: str
    operations: tuple[Operation, ...]
    allow: bool = True


def principal(user: str, authentication: Authentication) -> str:
    """How the broker names `user`: `User:<name>` for SCRAM, `User:CN=<name>` for mutual TLS."""
    if authentication == "tls":
        return f"User:CN={user}"
    return f"User:{user}"


def partner_groups(partner: str) -> str:
    """The prefix every consumer group of `partner` starts with (`caf.`, e.g. `caf.adapter`)."""
    return f"{partner}{GROUP_SEPARATOR}"


def grants(
    partners: Sequence[str],
    *,
    hub_user: str = HUB_USER,
    hub_group: str = "partner-hub",
    authentication: Authentication = "scram-sha-512",
) -> list[Grant]:
    """Every ACL the cluster needs for the hub and `partners`: the hub's first, then each partner's.

    Raise `AccessError` when a partner's identity or groups would be the hub's.
    """
    if authentication not in AUTHENTICATIONS:
        raise AccessError(f"unknown authentication {authentication!r}: one of {AUTHENTICATIONS}")
    _check(partners, hub_user, hub_group)
    hub = principal(hub_user, authentication)
    found = [
        Grant(hub_user, hub, "topic", "prefixed", INBOUND_PREFIX, ("Read", "DescribeConfigs")),
        Grant(hub_user, hub, "topic", "prefixed", OUTBOUND_PREFIX, ("Write", "DescribeConfigs")),
        Grant(hub_user, hub, "group", "literal", hub_group, ("Read",)),
        Grant(hub_user, hub, "cluster", "literal", CLUSTER, ("IdempotentWrite",)),
    ]
    for partner in partners:
        who = principal(partner, authentication)
        found += [
            Grant(partner, who, "topic", "literal", inbound(partner), ("Write",)),
            Grant(partner, who, "topic", "literal", outbound(partner), ("Read",)),
            Grant(partner, who, "group", "prefixed", partner_groups(partner), ("Read",)),
            Grant(partner, who, "cluster", "literal", CLUSTER, ("IdempotentWrite",)),
        ]
    return found


def _check(partners: Sequence[str], hub_user: str, hub_group: str) -> None:
    bad = [partner for partner in partners if not PARTNER_ID.match(partner)]
    if bad:
        raise AccessError(f"not partner ids (a letter, then letters, digits, '-'): {bad}")
    if len(set(partners)) != len(partners):
        raise AccessError("a partner is listed twice")
    if hub_user in partners:
        raise AccessError(
            f"the partner {hub_user!r} would share the hub's Kafka identity {hub_user!r}: "
            "rename the partner or give the hub another principal name"
        )
    for partner in partners:
        if hub_group.startswith(partner_groups(partner)):
            raise AccessError(
                f"the hub's consumer group {hub_group!r} starts with {partner_groups(partner)!r}, "
                f"which partner {partner!r} may use: give the hub another group"
            )
