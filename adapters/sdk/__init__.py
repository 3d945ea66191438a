"""The adapter SDK: what every partner adapter uses to talk to the hub, from here alone.

`Adapter` joins an institution's system (an `Institution`) to its two hub topics, with a
durable outbox for what it sends and an inbox so each delivery reaches it once. A
file-exchange adapter runs `exchange_files` with a `Reader` of its exports; one serving the
HTTP API runs `serve_api`; either is started as a process by `serve`.
"""

from adapters.sdk.adapter import Adapter
from adapters.sdk.files import (
    Exported,
    ExportError,
    Reader,
    decode,
    json_exports,
    notices_json,
)
from adapters.sdk.http import serve_api
from adapters.sdk.inbox import Handling
from adapters.sdk.notices import Incoming, Institution, InvalidNotice
from adapters.sdk.outbox import Settlement
from adapters.sdk.process import exchange_files, serve
from adapters.sdk.received import ReceivedFolder
from adapters.sdk.settings import AdapterSettings, ApiSettings, FileExchangeSettings, Secret

__all__ = [
    "Adapter",
    "AdapterSettings",
    "ApiSettings",
    "ExportError",
    "Exported",
    "FileExchangeSettings",
    "Handling",
    "Incoming",
    "Institution",
    "InvalidNotice",
    "Reader",
    "ReceivedFolder",
    "Secret",
    "Settlement",
    "decode",
    "exchange_files",
    "json_exports",
    "notices_json",
    "serve",
    "serve_api",
]
