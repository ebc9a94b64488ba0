"""Audit events and their hash chain.

Each stored event carries ``hash = SHA-256(previous hash || canonical JSON of the event)``; the first
event's previous hash is 32 zero bytes. Changing, inserting or deleting an event breaks every link after it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson

GENESIS = bytes(32)


@dataclass(slots=True)  # not frozen: built per request, and a frozen one costs 3-4x to build
class AuditEvent:
    """One request, as recorded: the indexed fields and the full record (a CloudTrail-shaped dict)."""

    event_time: float
    event_id: str
    event_name: str
    principal_arn: str | None
    key_arn: str | None
    error_code: str | None
    record: dict[str, Any]


@dataclass(slots=True)  # not frozen: built per request, and a frozen one costs 3-4x to build
class StoredAuditEvent:
    seq: int
    event: AuditEvent
    record_json: str
    prev_hash: bytes
    hash: bytes


def canonical(record: dict[str, Any]) -> str:
    return orjson.dumps(record, option=orjson.OPT_SORT_KEYS).decode()


def chain_hash(prev_hash: bytes, record_json: str) -> bytes:
    return hashlib.sha256(prev_hash + record_json.encode()).digest()


@dataclass(frozen=True, slots=True)
class AuditFilter:
    since: float | None = None
    until: float | None = None
    key_arn: str | None = None
    principal_arn: str | None = None
    event_name: str | None = None
    errors_only: bool = False
    after_seq: int = 0
    limit: int = 1000
