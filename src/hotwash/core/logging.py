"""How Hotwash's log records are written: readable text (the default) or one
JSON object per line (HOTWASH_LOG_FORMAT=json), for a log collector.

settings.py builds Django's LOGGING from `logging_config()`. Every record
passes `RequestIdFilter`, which gives it the id of the request being served
(`hotwash.core.request_id`), so a record written during a request, by any
logger, can be matched with that request's access line and with the proxy's.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as _LibraryJsonFormatter

if TYPE_CHECKING:  # settings.py imports this module: nothing of Django's at run time
    from django.http import HttpRequest

LOG_FORMATS = ("text", "json")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

# The id of the request this thread is serving; None outside a request (the
# worker, a command). Set and reset by hotwash.core.request_id.
current_request_id: ContextVar[str | None] = ContextVar("hotwash_request_id", default=None)
# Where the request keeps its id (in its WSGI environment, as servers keep
# their own keys), for the records Django writes about a request after the
# middleware has returned: "Not Found: /path" and other 4xx and 5xx lines.
REQUEST_ID_KEY = "hotwash.request_id"


class RequestIdFilter(logging.Filter):
    """Gives every record a `request_id` attribute: the id of the request
    the record is about (Django's request log passes it along) or of the
    one being served, or None. It lets every record through."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            about: HttpRequest | None = getattr(record, "request", None)
            meta = getattr(about, "META", None)
            from_request = meta.get(REQUEST_ID_KEY) if isinstance(meta, dict) else None
            record.request_id = from_request or current_request_id.get()
        return True


class JsonFormatter(_LibraryJsonFormatter):
    """One JSON object per record: time (ISO 8601, UTC), level, logger and
    message first, then request_id and whatever the record was given as
    `extra` (the access line's route, status, duration, ...), and the
    traceback as `exc_info` when there is one."""

    def __init__(self) -> None:
        super().__init__(
            ["levelname", "name", "message"],
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
            # Django's request log passes the request object along; its
            # method and path are in the message already.
            reserved_attrs=[*RESERVED_ATTRS, "request"],
        )

    def add_fields(
        self,
        log_data: dict[str, Any],
        record: logging.LogRecord,
        message_dict: dict[str, Any],
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        # The time first, where people and collectors look for it.
        time = log_data.pop("time")
        fields = dict(log_data)
        log_data.clear()
        log_data.update({"time": time, **fields})


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    """Django's LOGGING: everything to standard error through one handler,
    in the chosen format, from `level` up."""
    console: dict[str, Any] = {"class": "logging.StreamHandler", "filters": ["request_id"]}
    loggers: dict[str, Any] = {
        # httpx writes every outgoing request's full URL at INFO, and a
        # webhook's URL may hold its secret (a chat's incoming-webhook path):
        # Hotwash logs failed deliveries itself, without it.
        "httpx": {"level": "WARNING"},
    }
    if log_format == "json":
        console["formatter"] = "json"
        # granian's own lines (its access line with `hotwash serve
        # --access-log`, its workers' messages) go through the same handler,
        # so the stream stays one JSON object per line. Applied in granian's
        # workers, which load the Django application after granian set up its
        # logging; the server's parent process keeps granian's own set-up.
        loggers |= {
            "granian.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "_granian": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        }
    # Text keeps what Hotwash always printed: the message alone.
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "hotwash.core.logging.RequestIdFilter"}},
        "formatters": {"json": {"()": "hotwash.core.logging.JsonFormatter"}},
        "handlers": {"console": console},
        "loggers": loggers,
        "root": {"handlers": ["console"], "level": level},
    }
