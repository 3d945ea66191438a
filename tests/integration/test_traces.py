"""One trace follows a notice: from the ISG's adapter, through the hub, to the CRIP's adapter,
and its receipt back, across four processes exporting to an OTLP receiver over real HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from hub.edge.embedded import EmbeddedBroker, die_with_parent, free_port
from tests.conftest import example
from tests.integration.conftest import HubProcess, hub_process, until_listening
from tests.integration.otlp import Receiver, Span

pytestmark = [pytest.mark.kafka, pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(180)]
TOKEN, SECRET = "trace-token-" + "t" * 32, "trace-secret-" + "s" * 32


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with Receiver() as found:
        yield found


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def cast(receiver: Receiver, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """The broker, the hub, the ISG's and the département's adapters; the ISG API's address."""
    folder = tmp_path_factory.mktemp("traces")
    with EmbeddedBroker(log_path=folder / "broker.log") as bootstrap:
        hub: HubProcess = hub_process(bootstrap, folder, **receiver.env())
        hub.start()
        await asyncio.to_thread(hub.wait_ready)
        isg_port, departement_port = free_port(), free_port()
        adapters = {
            "isg": {"ISG_API_PORT": str(isg_port)},
            "departement": {
                "DEPARTEMENT_API_PORT": str(departement_port),
                "DEPARTEMENT_WEBHOOK_URL": f"{receiver.url}/webhook",
                "DEPARTEMENT_WEBHOOK_SECRET": SECRET,
            },
        }
        processes = []
        for partner, own in adapters.items():
            prefix = partner.upper()
            env = {
                **os.environ,
                **receiver.env(),
                **own,
                f"{prefix}_KAFKA_BOOTSTRAP": bootstrap,
                f"{prefix}_ROOT": str(folder / partner),
                f"{prefix}_API_TOKEN": TOKEN,
                f"{prefix}_RESEND_AFTER_SECONDS": "5",
            }
            with (folder / f"{partner}.log").open("wb") as log:
                processes.append(
                    subprocess.Popen(  # noqa: ASYNC220 - starting it does not block
                        [sys.executable, "-m", f"adapters.{partner}"],
                        env=env,
                        stdout=log,
                        stderr=log,
                        preexec_fn=die_with_parent,  # noqa: PLW1509 - only prctl
                    )
                )
        try:
            await until_listening(isg_port)
            await until_listening(departement_port)
            yield f"http://127.0.0.1:{isg_port}"
        finally:
            for process in processes:
                process.terminate()
                process.wait(30)
            hub.stop()


def _roots(spans: list[Span], trace_id: str) -> list[Span]:
    ids = {s.span_id for s in spans if s.trace_id == trace_id}
    return [s for s in spans if s.trace_id == trace_id and s.parent_id not in ids]


def _tree(spans: list[Span], trace_id: str) -> Span:
    mine = {s.span_id: s for s in spans if s.trace_id == trace_id}
    roots = [s for s in mine.values() if s.parent_id not in mine]
    for span in mine.values():
        if span.parent_id in mine:
            mine[span.parent_id].children.append(span)
    assert len(roots) == 1, [(r.service, r.name) for r in roots]
    return roots[0]


OURS = ("send ", "accept ", "deliver ", "receive ", "receipt")


def _shape(span: Span) -> tuple[Any, ...]:
    """The span and its descendants, FastStream's own spans (create, publish, process) folded
    away so that ours hang from ours."""
    return (span.service, span.name, tuple(sorted(_ours_below(span))))


def _ours_below(span: Span) -> list[tuple[Any, ...]]:
    found = []
    for child in span.children:
        if child.name.startswith(OURS):
            found.append(_shape(child))
        else:
            found += _ours_below(child)
    return found


async def test_one_trace_spans_sender_hub_recipient_and_receipt(
    cast: str, receiver: Receiver
) -> None:
    ip = {  # an urgent IP, not one of serious and immediate danger: it reaches the CRIP alone
        **example("ip.transmission", "school-social-worker-serious-danger", major=2),
        "urgency": "urgent",
        "sender_role": "isg_social_worker",
        "sender_service": {"name": "Intervenante sociale, groupement de gendarmerie 87"},
    }
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        body = {"contract": "ip.transmission", "office": "isg", "payload": ip}
        async with http.post(f"{cast}/notices", json=body) as response:
            assert response.status == 202, await response.text()
            notice_id = (await response.json())["notice_id"]

    def receive_receipt() -> list[Span]:
        return [s for s in receiver.spans if s.name == "receive hub.receipt"]

    async with asyncio.timeout(90):
        while not receive_receipt():  # noqa: ASYNC110 - spans come from other processes
            await asyncio.sleep(0.2)
    [send] = [s for s in receiver.spans if s.name == "send ip.transmission"]
    # Each process exports its spans in batches of its own: a parent may arrive after its
    # child. Wait until every span of the trace has its parent, or the time runs out.
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(30):
            while len(_roots(receiver.spans, send.trace_id)) > 1:  # noqa: ASYNC110
                await asyncio.sleep(0.2)
    root = _tree(receiver.spans, send.trace_id)
    assert _shape(root) == (
        "adapter-isg",
        "send ip.transmission",
        (
            (
                "partner-hub",
                "accept ip.transmission",
                (
                    (
                        "partner-hub",
                        "deliver ip.transmission",
                        (
                            (
                                "adapter-departement",
                                "receive ip.transmission",
                                (
                                    (
                                        "adapter-departement",
                                        "receipt",
                                        (
                                            (
                                                "partner-hub",
                                                "accept hub.receipt",
                                                (
                                                    (
                                                        "partner-hub",
                                                        "deliver hub.receipt",
                                                        (
                                                            (
                                                                "adapter-isg",
                                                                "receive hub.receipt",
                                                                (),
                                                            ),
                                                        ),
                                                    ),
                                                ),
                                            ),
                                        ),
                                    ),
                                ),
                            ),
                        ),
                    ),
                ),
            ),
        ),
    )
    in_trace = [s for s in receiver.spans if s.trace_id == send.trace_id]
    [accept] = [s for s in in_trace if s.name == "accept ip.transmission"]
    [deliver] = [s for s in in_trace if s.name == "deliver ip.transmission"]
    assert accept.attributes["hub.notice_id"] == notice_id
    assert deliver.attributes["hub.office"] == "departement/crip"
    # FastStream's telemetry middleware is in the same trace, between the hops.
    faststream = {s.name for s in in_trace if not s.name.startswith(OURS)}
    assert {"hub.in.isg create", "hub.out.departement create", "hub.out.departement process"} <= (
        faststream
    )
    # Ids, contracts, offices and codes only: no value of the notice in any attribute.
    values = json.dumps([s.attributes for s in receiver.spans if s.trace_id == send.trace_id])
    for personal in (ip["child"]["last_name"], ip["address"]["line1"], ip["sender_reference"]):
        assert personal not in values
