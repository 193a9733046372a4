"""Structured logs: one JSON object per line, with the submission a job works on when known."""

import json
import logging
from datetime import UTC, datetime
from typing import Any


class JsonFormatter(logging.Formatter):
    """{"time", "level", "logger", "message"}, plus "submission_id" and "exception" when set."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        submission_id = getattr(record, "submission_id", None)
        if submission_id is not None:
            entry["submission_id"] = submission_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        # default=str: a log line must never fail because an argument is not JSON-serialisable.
        return json.dumps(entry, default=str)

