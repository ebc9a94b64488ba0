"""The audit trail as both stores keep it: one row per batch of events (one audit write), not one per event.

A server writes the events of each event-loop turn in one transaction. Stored one row per event, with an index
entry per event for time and for key, that rewrote about 3.8 KB of database pages per request under load;
one row per batch, plus one ``audit_batch_keys`` entry per key the batch names, writes about a third of that.

A batch row holds ``first_seq``..``last_seq``, the earliest and latest event times, the hash chained before
its first event and the hash of its last, and ``events``: one line per event, a JSON header
``[seq, time, event id, event name, principal ARN, key ARN, error code, hash (hex)]``, a tab, then the event's
canonical JSON exactly as it was hashed. Lookups select candidate batches by sequence, time or key and filter
their events here. Purging removes whole batches whose latest event is older than the cutoff.

``events`` is stored as bytes: the lines in UTF-8, zlib-compressed (level 1). A turn's events repeat the same
names and identities, so 37 KB of lines become about 3 KB: on SQLite the row fits its page instead of nine
overflow pages and a turn writes 5 WAL frames instead of 13 (measured under full Encrypt load: about 8 % more
throughput, a third less system CPU, a trail about a tenth the size on disk). Batches stored before (migration
8) hold their UTF-8 text uncompressed; a zlib stream starts with 0x78, a batch's text with ``[``.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass

import orjson

from strongroom.domain.audit import AuditEvent, AuditFilter, StoredAuditEvent

Rows = Callable[[str, tuple], list[tuple]]
Write = Callable[[str, tuple], int]
_PAGE = 64  # batches read per query


@dataclass(frozen=True, slots=True)
class _Batch:
    first_seq: int
    last_seq: int
    min_time: float
    max_time: float
    prev_hash: bytes
    last_hash: bytes
    events: bytes


def encode(rows: list[StoredAuditEvent]) -> tuple[_Batch, set[str]]:
    """The batch row of consecutive ``rows``, and the key ARNs they name."""
    lines = []
    for r in rows:
        e = r.event
        header = orjson.dumps([r.seq, e.event_time, e.event_id, e.event_name, e.principal_arn, e.key_arn,
                               e.error_code, r.hash.hex()]).decode()
        lines.append(f"{header}\t{r.record_json}")
    times = [r.event.event_time for r in rows]
    batch = _Batch(rows[0].seq, rows[-1].seq, min(times), max(times), rows[0].prev_hash, rows[-1].hash,
                   zlib.compress("\n".join(lines).encode(), 1))
    return batch, {r.event.key_arn for r in rows if r.event.key_arn is not None}


def decode(prev_hash: bytes, events: bytes) -> Iterator[StoredAuditEvent]:
    """The events of a stored batch, from its ``prev_hash`` and ``events`` column."""
    text = (zlib.decompress(events) if events[:1] == b"\x78" else events).decode()
    for line in text.split("\n"):
        header, _, record_json = line.partition("\t")
        seq, event_time, event_id, event_name, principal_arn, key_arn, error_code, digest = orjson.loads(header)
        event = AuditEvent(event_time, event_id, event_name, principal_arn, key_arn, error_code,
                           orjson.loads(record_json))
        stored = StoredAuditEvent(seq, event, record_json, prev_hash, bytes.fromhex(digest))
        prev_hash = stored.hash
        yield stored


LAST_LINK = "SELECT last_seq, last_hash FROM audit_batches ORDER BY first_seq DESC LIMIT 1"
_INSERT_BATCH = ("INSERT INTO audit_batches (first_seq, last_seq, min_time, max_time, prev_hash, last_hash, events) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?)")


def _batch_values(batch: _Batch) -> tuple:
    return (batch.first_seq, batch.last_seq, batch.min_time, batch.max_time, batch.prev_hash, batch.last_hash,
            batch.events)


def _matches(where: AuditFilter, stored: StoredAuditEvent) -> bool:
    e = stored.event
    return (stored.seq > where.after_seq
            and (where.since is None or e.event_time >= where.since)
            and (where.until is None or e.event_time < where.until)
            and (where.key_arn is None or e.key_arn == where.key_arn)
            and (where.principal_arn is None or e.principal_arn == where.principal_arn)
            and (where.event_name is None or e.event_name == where.event_name)
            and (not where.errors_only or e.error_code is not None))


class AuditBatches:
    """The audit operations of ``Store`` over one dialect's ``rows`` and ``write`` (run in the caller's
    transaction). SQL is written with ``?`` marks; PostgreSQL's are swapped in."""

    def __init__(self, dialect: str, rows: Rows, write: Write) -> None:
        self._postgres = dialect == "postgres"
        self._rows = rows
        self._write = write

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self._postgres else sql

    def last_link(self) -> tuple[int, bytes] | None:
        found = self._rows(LAST_LINK, ())
        return (found[0][0], bytes(found[0][1])) if found else None

    def append(self, rows: list[StoredAuditEvent]) -> None:
        if not rows:
            return
        if self._postgres:
            self._write(*self.insert_statement(rows))
            return
        batch, keys = encode(rows)
        self._write(_INSERT_BATCH, _batch_values(batch))
        for key_arn in sorted(keys):
            self._write("INSERT INTO audit_batch_keys (key_arn, first_seq) VALUES (?, ?)", (key_arn, batch.first_seq))

    def insert_statement(self, rows: list[StoredAuditEvent]) -> tuple[str, tuple]:
        """PostgreSQL: one statement that inserts the batch row and its key rows (one round trip)."""
        batch, keys = encode(rows)
        sql = self._sql(f"WITH batch AS ({_INSERT_BATCH} RETURNING first_seq) INSERT INTO audit_batch_keys "
                        "(key_arn, first_seq) SELECT key_arn, first_seq FROM batch, unnest(?::text[]) AS key_arn")
        return sql, (*_batch_values(batch), sorted(keys))

    def query(self, where: AuditFilter) -> list[StoredAuditEvent]:
        found: list[StoredAuditEvent] = []
        for stored in self._scan(where):
            found.append(stored)
            if len(found) == where.limit:
                break
        return found

    def _scan(self, where: AuditFilter) -> Iterator[StoredAuditEvent]:
        clauses, params = ["last_seq > ?"], [where.after_seq]
        if where.since is not None:
            clauses.append("max_time >= ?")
            params.append(where.since)
        if where.until is not None:
            clauses.append("min_time < ?")
            params.append(where.until)
        if where.key_arn is not None:
            clauses.append("first_seq IN (SELECT first_seq FROM audit_batch_keys WHERE key_arn = ?)")
            params.append(where.key_arn)
        sql = self._sql(f"SELECT first_seq, prev_hash, events FROM audit_batches WHERE first_seq > ? AND "
                        f"{' AND '.join(clauses)} ORDER BY first_seq LIMIT {_PAGE}")
        after_batch = 0
        while True:
            page = self._rows(sql, (after_batch, *params))
            for first_seq, prev_hash, events in page:
                after_batch = first_seq
                yield from (s for s in decode(bytes(prev_hash), bytes(events)) if _matches(where, s))
            if len(page) < _PAGE:
                return

    def purge(self, before: float) -> int:
        """Drop the batches whose latest event is older than ``before`` (their key entries go with them)."""
        condition = self._sql("FROM audit_batches WHERE max_time < ?")
        counted = self._rows(f"SELECT COALESCE(SUM(last_seq - first_seq + 1), 0) {condition}", (before,))
        self._write(self._sql("DELETE FROM audit_batch_keys WHERE first_seq IN (SELECT first_seq FROM "
                              "audit_batches WHERE max_time < ?)"), (before,))
        self._write(f"DELETE {condition}", (before,))
        return int(counted[0][0])

    def first_time(self) -> float | None:
        found = self._rows("SELECT min_time FROM audit_batches ORDER BY first_seq LIMIT 1", ())
        return found[0][0] if found else None

    def last_key_usage(self, key_arn: str, event_names: tuple[str, ...]) -> StoredAuditEvent | None:
        """The newest event of ``key_arn`` without an error whose name is one of ``event_names``."""
        sql = self._sql("SELECT b.first_seq, b.prev_hash, b.events FROM audit_batches b JOIN audit_batch_keys k "
                        "ON k.first_seq = b.first_seq WHERE k.key_arn = ? AND b.first_seq < ? "
                        f"ORDER BY b.first_seq DESC LIMIT {_PAGE}")
        before = 1 << 62
        while True:
            page = self._rows(sql, (key_arn, before))
            for first_seq, prev_hash, events in page:
                before = first_seq
                for stored in reversed(list(decode(bytes(prev_hash), bytes(events)))):
                    e = stored.event
                    if e.key_arn == key_arn and e.error_code is None and e.event_name in event_names:
                        return stored
            if len(page) < _PAGE:
                return None


class AuditBatchStore:
    """The audit-trail methods of ``Store``, the same for both stores: a store sets ``_audit`` (its dialect's
    ``AuditBatches``) and has ``transaction``."""

    _audit: AuditBatches
    transaction: Callable[..., AbstractContextManager[None]]

    def last_audit_link(self) -> tuple[int, bytes] | None:
        return self._audit.last_link()

    def chain_audit(self, link: Callable[[tuple[int, bytes] | None], list[StoredAuditEvent]], *,
                    durable: bool) -> None:
        with self.transaction(cached=False, durable=durable):
            self._audit.append(link(self._audit.last_link()))

    def query_audit(self, where: AuditFilter) -> list[StoredAuditEvent]:
        return self._audit.query(where)

    def purge_audit(self, before: float) -> int:
        with self.transaction(cached=False):
            return self._audit.purge(before)

    def first_audit_time(self) -> float | None:
        return self._audit.first_time()

    def last_key_usage(self, key_arn: str, event_names: tuple[str, ...]) -> StoredAuditEvent | None:
        return self._audit.last_key_usage(key_arn, event_names)
