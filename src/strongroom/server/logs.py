"""Logging: JSON lines (or plain text), and (``server --access-log``) one line per request with no secrets in it."""

from __future__ import annotations

import logging
import sys
import time
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson

ACCESS = logging.getLogger("strongroom.access")
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


_json_access = False  # JSON access lines are written directly: the logging machinery triples their cost
_pending_access: list[str] = []  # JSON access lines of this event-loop turn, written by ``flush_access``


class TextFormatter(logging.Formatter):
    """For people at a terminal: time, level, logger, message, then the record's extra facts as ``key=value``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        facts = " ".join(f"{k}={v}" for k, v in vars(record).items() if k not in _STANDARD and v is not None)
        return f"{line}  {facts}" if facts else line


def configure(level: str, fmt: str) -> None:
    global _json_access
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    _json_access = fmt == "json"


def access(facts: dict[str, Any], status: int, seconds: float) -> None:
    """One line per request (at INFO): who, what, which key, how it ended, how long it took. JSON lines wait
    for ``flush_access`` (once per event-loop turn, before the turn's answers leave): one write per turn."""
    if not ACCESS.isEnabledFor(logging.INFO):
        return
    if _json_access:
        now = time.time()
        line = {"time": _stamp(int(now)) + f".{int(now % 1 * 1000):03d}+00:00", "level": "INFO",
                "logger": ACCESS.name, "message": f"{facts.get('frontend')} {facts.get('operation')} {status}",
                **facts, "status": status, "duration_ms": round(seconds * 1000, 3)}
        _pending_access.append(orjson.dumps(line, default=str).decode())
        return
    ACCESS.info("%s %s %d", facts.get("frontend"), facts.get("operation"), status,
                extra={**facts, "status": status, "duration_ms": round(seconds * 1000, 3)})


def flush_access() -> None:
    if _pending_access:
        lines = "\n".join(_pending_access) + "\n"
        _pending_access.clear()
        sys.stderr.write(lines)


@lru_cache(maxsize=4)
def _stamp(second: int) -> str:
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
