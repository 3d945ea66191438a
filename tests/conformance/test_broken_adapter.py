"""The kit fails a deliberately broken adapter, each fault in the check that looks for it."""

from __future__ import annotations

import pytest

from hub.settings import PROJECT_ROOT

pytestmark = pytest.mark.kafka
SUITE = """
from adapters.conformance import ConformanceSuite
from tests.conformance.broken import BrokenDriver


class TestBroken(ConformanceSuite):
    driver = staticmethod(BrokenDriver)
"""


def test_the_kit_fails_a_broken_adapter_on_each_broken_rule(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(PROJECT_ROOT))
    pytester.makepyfile(test_broken=SUITE)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-rA", "-o", "asyncio_default_fixture_loop_scope=function"
    )
    outcomes = {
        line.split("::")[-1].split(" ")[0]: line.split(" ")[0]
        for line in result.outlines
        if line.startswith(("PASSED", "FAILED", "ERROR"))
    }
    assert outcomes == {
        "test_every_notice_it_sends_is_one_the_hub_accepts": "FAILED",
        "test_it_sends_a_notice_again_under_its_id_until_the_hub_answers": "FAILED",
        "test_it_stops_sending_a_notice_the_hub_rejected": "PASSED",
        "test_each_delivery_reaches_the_institution_once_and_is_receipted": "PASSED",
        "test_a_notice_delivered_again_is_not_handed_over_again": "FAILED",
        "test_two_senders_notices_under_one_id_are_each_handed_over_and_receipted": "PASSED",
        "test_a_notice_not_yet_answered_is_sent_again_after_a_restart": "FAILED",
    }, result.stdout.str()
    result.stdout.fnmatch_lines_random(
        [
            "*no traceparent, so no trace can follow it*",
            "*still waiting for * sent again while the hub is silent*",
            "*was handed over more than once to ?'caf/caf'?*",  # [ ] would be a class
            "*still waiting for * sent again after the adapter restarted*",
        ]
    )


def test_a_suite_without_a_driver_says_what_it_lacks(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(PROJECT_ROOT))
    pytester.makepyfile(
        test_nodriver="from adapters.conformance import ConformanceSuite\n\n\n"
        "class TestNoDriver(ConformanceSuite):\n    pass\n"
    )
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-x", "-o", "asyncio_default_fixture_loop_scope=function"
    )
    result.stdout.fnmatch_lines(["*TestNoDriver gives no `driver`: a callable making its Driver*"])
    assert result.ret != 0
