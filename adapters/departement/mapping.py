"""What the case-management application sends and receives, in HTTP terms (pure functions)."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from adapters.sdk import Incoming

SIGNATURE_HEADER = "X-Hub-Signature-256"
IDEMPOTENCY_HEADER = "Idempotency-Key"


def webhook_body(notice: Incoming) -> bytes:
    """The JSON the application receives for one delivered notice."""
    document = {
        "notice_id": notice.notice_id,
        "contract": notice.contract,
        "from": notice.source,
        "to": notice.recipient,
        "case_id": notice.case_id,
        "answers": notice.answers,
        "schema": notice.dataschema,
        "payload": notice.payload,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def signature(secret: bytes, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of the exact body, so the application can check the sender."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def idempotency_key(notice: Incoming) -> str:
    """One key per delivery: the application ignores a delivery it has already taken."""
    return f"{notice.notice_id}/{notice.recipient}"


class ReplyError(ValueError):
    """A reply the API cannot accept; the message is returned to the application."""


@dataclass(frozen=True, slots=True)
class Reply:
    """A notice the application sends: contract, office, payload, and what it answers."""

    contract: str
    office: str
    payload: dict[str, Any]
    case_id: str | None = None
    answers: str | None = None


def reply_from(document: Any) -> Reply:
    """Read a reply posted to the API; raise `ReplyError` saying what is wrong."""
    if not isinstance(document, dict):
        raise ReplyError("expected a JSON object")
    missing = [k for k in ("contract", "office", "payload") if k not in document]
    if missing:
        raise ReplyError(f"missing: {', '.join(missing)}")
    if not isinstance(document["payload"], dict):
        raise ReplyError("payload must be an object")
    extra = set(document) - {"contract", "office", "payload", "case_id", "answers"}
    if extra:
        raise ReplyError(f"unknown fields: {', '.join(sorted(extra))}")
    texts = {k: document.get(k) for k in ("contract", "office", "case_id", "answers")}
    if any(v is not None and not isinstance(v, str) for v in texts.values()):
        raise ReplyError("contract, office, case_id and answers are strings")
    return Reply(
        document["contract"],
        document["office"],
        document["payload"],
        document.get("case_id"),
        document.get("answers"),
    )
