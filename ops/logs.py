"""Log records carry the request id and task name; formatters scrub secrets from every line.

`LOG_FORMAT=plain` (default) writes one readable line; `LOG_FORMAT=json` one JSON object per
line for a log shipper. Both pass the finished line through `ops.scrub.scrub_text`.
"""

import logging
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from common.request_id import current_request_id, task_name_var
from ops.scrub import scrub_text

PLAIN_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(task)s"


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        record.task = task_name_var.get()
        return True


class PlainFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return scrub_text(super().format(record))


class JsonFormatter(_JsonFormatter):
    def format(self, record: logging.LogRecord) -> str:
        return scrub_text(super().format(record))


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    """The LOGGING dict for settings (also applied to Celery workers and beat)."""
    formatter: dict[str, Any] = (
        {
            "()": "ops.logs.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
        if log_format == "json"
        else {"()": "ops.logs.PlainFormatter", "format": PLAIN_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_context": {"()": "ops.logs.RequestContextFilter"}},
        "formatters": {"main": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "main",
                "filters": ["request_context"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django and Celery attach their own handlers; keep one copy of each line.
            "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "django.db.backends": {"level": "WARNING"},
            # The development server's request lines too (their paths hold the webhook token).
            "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "celery": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
    }
