"""What the case-management application sends and receives, in HTTP terms (pure functions)."""

from __future__ import annotations

import hashlib
import hmac
import json

from adapters.sdk import Incoming

SIGNATURE_HEADER = "X-Hub-Signature-256"
IDEMPOTENCY_HEADER = "Idempotency-Key"


def webhook_body(notice: Incoming) -> bytes:
    """The JSON the application receives for one delivered notice."""
    return json.dumps(notice.as_document(), ensure_ascii=False, separators=(",", ":")).encode()


def signature(secret: bytes, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of the exact body, so the application can check the sender."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def idempotency_key(notice: Incoming) -> str:
    """One key per delivery: the application ignores a delivery it has already taken."""
    return f"{notice.notice_id}/{notice.recipient}"
