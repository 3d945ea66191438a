"""Topic names: each partner has exactly one inbound and one outbound topic."""

from __future__ import annotations

INBOUND_PREFIX = "hub.in."
OUTBOUND_PREFIX = "hub.out."


def inbound(partner: str) -> str:
    """The topic a partner writes to and the hub reads."""
    return f"{INBOUND_PREFIX}{partner}"


def outbound(partner: str) -> str:
    """The topic the hub writes to and a partner reads."""
    return f"{OUTBOUND_PREFIX}{partner}"


def partner_of(topic: str) -> str | None:
    """The partner whose inbound topic this is, or None for any other topic."""
    return topic.removeprefix(INBOUND_PREFIX) if topic.startswith(INBOUND_PREFIX) else None


def all_topics(partners: tuple[str, ...]) -> list[str]:
    """Every topic the hub needs for these partners."""
    return [name for partner in partners for name in (inbound(partner), outbound(partner))]
