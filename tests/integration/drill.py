"""A hub drilled on its deadline clock: stopped, started again on a later day, and looked at."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from tests.integration.conftest import HubProcess

CHECKED = b"closed in their case"  # the watch's line once a check's alerts are recorded


def live_again(hub: HubProcess, as_of: datetime | str) -> int:
    """The hub stopped, and started again believing it is `as_of`; the checks that alerted."""
    assert hub.stop() == 0, hub.log.read_text()
    checks = hub.log.read_bytes().count(CHECKED)
    hub.env["HUB_DEADLINES_AS_OF"] = as_of if isinstance(as_of, str) else as_of.isoformat()
    hub.start()
    hub.wait_ready()
    return checks


def steps_of(hub: HubProcess, notice: str, kind: str) -> list[dict[str, Any]]:
    """The steps of this kind the trace API shows for a notice."""
    status, body = hub.look(notice)
    assert status == 200, body
    return [s for s in json.loads(body)["steps"] if s["kind"] == kind]
