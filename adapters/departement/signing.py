"""The département adapter's webhook signature: made by the adapter, checked by the application.

Each call is signed with HMAC-SHA256, under the secret both share, over its timestamp (seconds
since the epoch), its idempotency key and its exact body: `"{timestamp}.{key}.".encode() +
body`. A call more than five minutes from the receiver's clock is refused, so a recorded call
cannot be replayed later; inside the window, the receiver drops a key it has already taken.
Standard library only: the application may import this module, or copy it.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

SIGNATURE_HEADER = "X-Hub-Signature-256"
TIMESTAMP_HEADER = "X-Hub-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
WINDOW_SECONDS = 300
TIMESTAMP_DIGITS = 12  # seconds since the epoch, for thousands of years


class SignatureError(ValueError):
    """A call to refuse (HTTP 401): unsigned, altered, signed with another secret, or stale."""


def signature(secret: bytes, timestamp: str, key: str, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of `"{timestamp}.{key}."` followed by the exact body."""
    signed = f"{timestamp}.{key}.".encode() + body
    return "sha256=" + hmac.new(secret, signed, hashlib.sha256).hexdigest()


def signed_headers(
    secret: bytes, key: str, body: bytes, now: float | None = None
) -> dict[str, str]:
    """The headers that sign one call: its timestamp, its idempotency key and the signature."""
    timestamp = str(int(time.time() if now is None else now))
    return {
        TIMESTAMP_HEADER: timestamp,
        IDEMPOTENCY_HEADER: key,
        SIGNATURE_HEADER: signature(secret, timestamp, key, body),
    }


def verify(secret: bytes, headers: Mapping[str, str], body: bytes, now: float | None = None) -> str:
    """Check a call's signature and age; its idempotency key, or `SignatureError`.

    `headers` are read in any case; `body` is the exact bytes received; `now` defaults to the
    clock. The error says what is wrong, never quoting a header or the body. A key returned
    must still be looked up: a call taken once, then replayed inside the window, verifies.
    """
    found = {name.lower(): value for name, value in headers.items()}
    names = (TIMESTAMP_HEADER, IDEMPOTENCY_HEADER, SIGNATURE_HEADER)
    missing = [name for name in names if name.lower() not in found]
    if missing:
        raise SignatureError(f"missing {', '.join(missing)}")
    timestamp, key, given = (found[name.lower()] for name in names)
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= TIMESTAMP_DIGITS):
        raise SignatureError(f"{TIMESTAMP_HEADER} must be seconds since the epoch")
    expected = signature(secret, timestamp, key, body)
    if not hmac.compare_digest(given.encode(errors="surrogateescape"), expected.encode()):
        raise SignatureError("the signature does not match")
    if abs((time.time() if now is None else now) - int(timestamp)) > WINDOW_SECONDS:
        raise SignatureError("the call is more than 5 minutes away from this clock")
    return key
