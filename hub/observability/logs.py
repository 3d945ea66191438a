"""Structured logs: one JSON object a line, with the ids an operator follows a notice by.

A line carries its message and, where they apply, the notice id, case id, contract, trace id,
sending office and outcome; never a payload value. An exception is logged by its type only:
messages and tracebacks of infrastructure errors can quote what they were handling.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from hub.core.intake import Admitted, Rejected
from hub.wire.envelope import TRACEPARENT, header_value

OWN_LOGGERS = ("hub", "adapter")  # loggers whose lines quote ids and codes only
FIELDS = (
    "notice_id",
    "case_id",
    "contract",
    "trace_id",
    "sender",
    "outcome",
    "reasons",
    "offices",
    "deadline",
)


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object."""

    def format(self, record: logging.LogRecord) -> str:
        """The record's time, level, logger, message and known fields."""
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({f: getattr(record, f) for f in FIELDS if hasattr(record, f)})
        if record.exc_info and record.exc_info[0] is not None:
            line["error"] = record.exc_info[0].__name__
        elif hasattr(record, "error"):
            line["error"] = record.error
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(level: str = "INFO", *, structured: bool = True) -> None:
    """Send every log line to stderr, as JSON (or as text for a person at a terminal).

    Every record goes through one handler, which reduces exceptions to their type: the
    libraries' loggers (FastStream's included) are made to pass their records to it.
    """
    handler = logging.StreamHandler(sys.stderr)
    if structured:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(ExceptionsByTypeOnly())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    for name in list(logging.root.manager.loggerDict):
        if name.split(".")[0] == "faststream":  # FastStream's own handlers print tracebacks
            library = logging.getLogger(name)
            library.handlers.clear()
            library.propagate = True
    keep_values_out_of_logs()


def library_logger() -> logging.Logger:
    """The logger FastStream's brokers are given, so that their lines reach the one handler.

    It reduces exceptions itself, before any handler (a test's included) sees its records.
    """
    logger = logging.getLogger("faststream")
    if not any(isinstance(f, ExceptionsByTypeOnly) for f in logger.filters):
        logger.addFilter(ExceptionsByTypeOnly())
    return logger


class ExceptionsByTypeOnly(logging.Filter):
    """Reduces a record's exception to its type: no message, no traceback.

    An exception's message and traceback can quote what was being handled (a record's value,
    a field's name). The hub's and the adapters' own lines never quote a value, so only their
    traceback goes; a library's line that carries an exception is also reduced to its type
    (FastStream writes "<type>: <message>").
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the record, with its exception reduced to the type's name."""
        if record.exc_info and record.exc_info[0] is not None:
            kind = record.exc_info[0].__name__
            record.exc_info, record.exc_text, record.stack_info = None, None, None
            record.error = kind
            if record.name.split(".")[0] not in OWN_LOGGERS:
                record.msg, record.args = f"{kind} (in {record.name})", ()
        return True


# Loggers of client libraries that write record values at DEBUG: aiokafka's producer logs
# every record's key and value ("Sending (key=... value=...)").
VALUE_LOGGERS = ("aiokafka.producer.producer",)


def keep_values_out_of_logs() -> None:
    """Hold the loggers that would write record values at INFO, whatever the root level."""
    for name in VALUE_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.INFO:
            logger.setLevel(logging.INFO)


def trace_id(traceparent: str | None) -> str | None:
    """The trace id of a well-formed W3C `traceparent` header, else None."""
    return traceparent.split("-")[1] if traceparent and TRACEPARENT.match(traceparent) else None


def log_decisions(
    log: logging.Logger, notices: Sequence[Admitted], rejections: Sequence[Rejected]
) -> None:
    """One line per decision of a batch, with ids and codes only."""
    if not log.isEnabledFor(logging.INFO):
        return
    for notice in notices:
        env = notice.envelope
        outcome = "resumed" if notice.resumed else "accepted"
        log.info(
            "notice %s",
            outcome,
            extra={
                "outcome": outcome,
                "notice_id": env.id,
                "case_id": notice.case_id,
                "contract": notice.contract.id,
                "trace_id": trace_id(env.traceparent),
                "sender": env.sender,
                "offices": [d.recipient.address for d in notice.deliveries],
            },
        )
    for rejection in rejections:
        log.info(
            "record rejected",
            extra={
                "outcome": "rejected",
                "notice_id": rejection.notice_id,
                "case_id": rejection.case_id,
                "contract": rejection.contract,
                "trace_id": trace_id(header_value(rejection.record, "traceparent")),
                "sender": rejection.recipient,
                "reasons": sorted({r.code for r in rejection.reasons}),
            },
        )
