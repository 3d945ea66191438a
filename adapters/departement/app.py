"""The département adapter: the case-management application's webhook and reply API, on the hub."""

from __future__ import annotations

import asyncio

import aiohttp

from adapters.departement.mapping import idempotency_key, webhook_body
from adapters.departement.settings import PARTNER, DepartementSettings
from adapters.departement.signing import signed_headers
from adapters.sdk import Adapter, Handling, Incoming, serve, serve_api

REFUSED = (409, 422)
REASONS = {"not_competent", "wrong_office", "outside_territory", "duplicate", "incomplete", "other"}


class WebhookError(RuntimeError):
    """The application did not take the notice; the adapter tries again later."""


class Webhook:
    """The institution side: each delivery POSTed, signed, to the application's webhook.

    The signature covers the call's timestamp, idempotency key and body (`signing`): the
    application checks it with `verify` and refuses a call older than five minutes.
    2xx: processed. 409 or 422 with `{"reason_code": ...}`: refused (a `hub.receipt` code).
    Anything else (a redirect too: it is never followed, the notice goes to `url` only), or no
    answer: not handed over, tried again with back-off.
    """

    def __init__(
        self, url: str, secret: bytes, timeout: float, session: aiohttp.ClientSession
    ) -> None:
        """POST to `url`, signing with `secret`."""
        self._url, self._secret, self._session = url, secret, session
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def receive(self, notice: Incoming) -> Handling:
        """Hand one delivery to the application."""
        body = webhook_body(notice)
        signed = signed_headers(self._secret, idempotency_key(notice), body)
        headers = {"Content-Type": "application/json", **signed}
        async with self._session.post(  # never elsewhere: a redirect is an answer, refused
            self._url, data=body, headers=headers, timeout=self._timeout, allow_redirects=False
        ) as response:
            if 200 <= response.status < 300:  # noqa: PLR2004 - the success range
                return Handling("processed")
            if response.status in REFUSED:
                reason = await _reason(response)
                return Handling("refused", reason)
            raise WebhookError(f"the application answered {response.status}")


async def _reason(response: aiohttp.ClientResponse) -> str:
    try:
        code = (await response.json(content_type=None)).get("reason_code")
    except (ValueError, AttributeError):
        code = None
    return code if code in REASONS else "other"


async def run(settings: DepartementSettings, stop: asyncio.Event) -> None:
    """Run until `stop` is set: deliver to the webhook, serve the reply API."""
    async with aiohttp.ClientSession() as session:
        webhook = Webhook(
            settings.webhook_url,
            settings.webhook_secret.get_secret_value().encode(),
            settings.webhook_timeout_seconds,
            session,
        )
        adapter = Adapter.from_settings(PARTNER, settings, webhook)
        await serve_api(adapter, settings, stop)


def main() -> None:
    """`python -m adapters.departement`: run until SIGTERM or Ctrl-C."""
    serve(lambda stop: run(DepartementSettings(), stop), PARTNER)
