"""The webhook's signature: what it covers, and what `verify` refuses."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from adapters.departement.signing import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureError,
    signed_headers,
    verify,
)

SECRET = b"a-webhook-secret-of-at-least-32-characters"
KEY = "n-1/departement/crip"
BODY = b'{"notice_id":"n-1","payload":{"name":"Zqx-canari"}}'
NOW = 1_800_000_000


def test_the_signature_covers_timestamp_key_and_body_and_verifies() -> None:
    headers = signed_headers(SECRET, KEY, BODY, now=NOW + 0.9)
    signed = f"{NOW}.{KEY}.".encode() + BODY
    assert headers == {
        TIMESTAMP_HEADER: str(NOW),
        IDEMPOTENCY_HEADER: KEY,
        SIGNATURE_HEADER: "sha256=" + hmac.new(SECRET, signed, hashlib.sha256).hexdigest(),
    }
    assert verify(SECRET, headers, BODY, now=NOW) == KEY
    lower = {name.lower(): value for name, value in headers.items()}
    assert verify(SECRET, lower, BODY, now=NOW) == KEY  # headers in any case


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({TIMESTAMP_HEADER: str(NOW - 1)}, "the signature does not match"),
        ({IDEMPOTENCY_HEADER: "n-2/departement/crip"}, "the signature does not match"),
        ({SIGNATURE_HEADER: "sha256=" + "0" * 64}, "the signature does not match"),
        ({TIMESTAMP_HEADER: "17e8"}, "X-Hub-Timestamp must be seconds since the epoch"),
        ({TIMESTAMP_HEADER: "-1"}, "X-Hub-Timestamp must be seconds since the epoch"),
    ],
)
def test_a_call_altered_in_any_signed_part_is_refused(change: dict[str, str], problem: str) -> None:
    headers = {**signed_headers(SECRET, KEY, BODY, now=NOW), **change}
    with pytest.raises(SignatureError) as refused:
        verify(SECRET, headers, BODY, now=NOW)
    assert str(refused.value) == problem


def test_another_body_or_secret_is_refused_quoting_nothing() -> None:
    headers = signed_headers(SECRET, KEY, BODY, now=NOW)
    for secret, body in [(SECRET, BODY + b" "), (b"another-secret-of-at-least-32-chars!", BODY)]:
        with pytest.raises(SignatureError) as refused:
            verify(secret, headers, body, now=NOW)
        assert str(refused.value) == "the signature does not match"
    old_style = "sha256=" + hmac.new(SECRET, BODY, hashlib.sha256).hexdigest()
    with pytest.raises(SignatureError, match="does not match"):  # the body alone no longer
        verify(SECRET, {**headers, SIGNATURE_HEADER: old_style}, BODY, now=NOW)


@pytest.mark.parametrize("offset", [0, 300, -300])
def test_a_call_within_five_minutes_is_taken(offset: int) -> None:
    headers = signed_headers(SECRET, KEY, BODY, now=NOW)
    assert verify(SECRET, headers, BODY, now=NOW + offset) == KEY


@pytest.mark.parametrize("offset", [301, -301, 10**9])
def test_a_call_more_than_five_minutes_away_is_refused(offset: int) -> None:
    headers = signed_headers(SECRET, KEY, BODY, now=NOW)
    with pytest.raises(SignatureError) as refused:
        verify(SECRET, headers, BODY, now=NOW + offset)
    assert str(refused.value) == "the call is more than 5 minutes away from this clock"


def test_a_call_without_its_headers_is_refused_naming_them() -> None:
    headers = signed_headers(SECRET, KEY, BODY, now=NOW)
    with pytest.raises(SignatureError) as refused:
        verify(SECRET, {SIGNATURE_HEADER: headers[SIGNATURE_HEADER]}, BODY, now=NOW)
    assert str(refused.value) == "missing X-Hub-Timestamp, Idempotency-Key"


def test_the_clock_is_the_default() -> None:
    assert verify(SECRET, signed_headers(SECRET, KEY, BODY), BODY) == KEY
