"""Request IDs and JSON log lines.

A request keeps the ID its client or proxy sent in `X-Request-ID` when that is a short string of
safe characters, and gets a new one otherwise. While the request is served the ID sits in a context
variable, so every log record written for it carries the ID (`RequestIdFilter`), whoever wrote it.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import uuid
from typing import Any

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("spark_request_id", default="-")
# Letters, digits and . _ : - only, at most 128 of them: nothing that could break a log line or a header.
_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id_from(header: str | None) -> str:
    """The incoming ID if it is safe to repeat, else a new random one (32 hex characters)."""
    if header and _SAFE_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def current_request_id() -> str:
    """The ID of the request being served in this context, "-" outside one."""
    return REQUEST_ID.get()


def install_record_factory() -> None:
    """Give every log record the request ID when it is made, whichever handler later formats it."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "spark_request_id", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = REQUEST_ID.get()
        return record

    factory.spark_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (the one of the request being served, or "-")."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request ID, the record's `fields`
    (the request log's method, path, status…) and the traceback, if any."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", REQUEST_ID.get()),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)
