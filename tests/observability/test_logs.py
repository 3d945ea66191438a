import json
import logging
import sys

import pytest

from hub.observability.logs import JsonFormatter, keep_values_out_of_logs, trace_id


def test_a_line_is_one_json_object_with_the_ids_and_an_error_by_type_only() -> None:
    try:
        raise ValueError("a message that could quote a record")  # noqa: TRY301
    except ValueError:
        record = logging.LogRecord("hub.relay", logging.ERROR, "f", 1, "batch %s", ("x",), None)
        record.exc_info = sys.exc_info()
    record.notice_id, record.case_id, record.contract = "n-1", "c-1", "ip.transmission"
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "batch x"
    assert (line["notice_id"], line["case_id"], line["contract"]) == (
        "n-1",
        "c-1",
        "ip.transmission",
    )
    assert line["error"] == "ValueError"
    assert "could quote" not in json.dumps(line)


def test_the_producer_that_logs_values_stays_at_info_even_when_all_else_is_debug(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    producer = logging.getLogger("aiokafka.producer.producer")
    producer.setLevel(logging.NOTSET)
    keep_values_out_of_logs()
    producer.debug("Sending (key=%s value=%s)", b"k", b"Martin")
    assert "Martin" not in caplog.text


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "4bf92f3577b34da6a3ce929d0e0e4736",
        ),
        ("00-Martin-Dupont-01", None),
        (None, None),
    ],
)
def test_only_a_well_formed_traceparent_gives_a_trace_id(
    header: str | None, expected: str | None
) -> None:
    assert trace_id(header) == expected
