"""What the case-management application sends and receives, in HTTP terms (pure functions)."""

from __future__ import annotations

import json

from adapters.sdk import Incoming


def webhook_body(notice: Incoming) -> bytes:
    """The JSON the application receives for one delivered notice."""
    return json.dumps(notice.as_document(), ensure_ascii=False, separators=(",", ":")).encode()


def idempotency_key(notice: Incoming) -> str:
    """One key per delivery: the application ignores a delivery it has already taken.

    `<source>/<notice id>/<office>` (`/academie/dsden/n-1/departement/sdas`): a delivery is
    the notice's source and id and the office, so two senders' notices sharing an id are two
    deliveries, each taken.
    """
    return f"{notice.source}/{notice.notice_id}/{notice.recipient}"
