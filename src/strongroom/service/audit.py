"""The audit trail: every request recorded, durably and hash-chained, before its answer leaves.

Front ends build the record (they know their wire format) and call ``record`` with it, or with a function
that builds it when its batch is written. Outside a server each ``record`` is written at once. A server
worker ``flush``es the events of each turn of its event loop in one transaction and sends that turn's answers
only after it, so an answer never leaves without its event stored (a failed write turns the whole batch into
errors).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from strongroom.domain.audit import GENESIS, AuditEvent, AuditFilter, StoredAuditEvent, canonical, chain_hash
from strongroom.domain.clock import Clock
from strongroom.domain.keys import DAY_SECONDS
from strongroom.storage.base import Store

log = logging.getLogger("strongroom.audit")
PendingEvent = AuditEvent | Callable[[], AuditEvent]  # an event, or what builds it when its batch is written

# The operations GetKeyLastUsage reports (AWS: the last successful cryptographic operation).
CRYPTOGRAPHIC_OPERATIONS = (
    "Encrypt", "Decrypt", "ReEncrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext", "Sign", "Verify", "GenerateMac", "VerifyMac", "DeriveSharedSecret",
    "Encapsulate", "Decapsulate",
)


@dataclass(frozen=True, slots=True)
class ChainCheck:
    events: int
    first_broken_seq: int | None = None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.first_broken_seq is None


class AuditTrail:
    def __init__(self, store: Store, clock: Clock, *, autoflush: bool = True, durable: bool = False) -> None:
        self.durable = durable  # False: each batch survives a crash of the process, not of the machine
        self._store = store
        self._clock = clock
        self.autoflush = autoflush
        self._pending: list[PendingEvent] = []
        self.write_failures = 0

    def record(self, event: PendingEvent) -> None:
        """``event``, or a function that builds it when its batch is written. Built there, a turn's events are
        made in one loop over the batch instead of one at a time between requests: measured 3-4 % more
        throughput under full load (the request path keeps less code and data in the CPU's caches). A function
        that fails fails its batch, as a failed write does: no answer leaves without its event."""
        self._pending.append(event)
        if self.autoflush:
            self.flush()

    def flush(self) -> None:
        """Write every pending event in one transaction, continuing the chain. Raises if that fails."""
        pending, self._pending = self._pending, []
        self.write(pending)

    def write(self, pending: list[PendingEvent]) -> None:
        """Append ``pending`` events to the chain in one transaction (the store keeps them as one batch)."""
        if not pending:
            return
        try:
            events = [event if isinstance(event, AuditEvent) else event() for event in pending]
            records = [canonical(event.record) for event in events]  # before the write lock is taken

            def link(last: tuple[int, bytes] | None) -> list[StoredAuditEvent]:
                seq, prev = last or (0, GENESIS)
                rows = []
                for event, record_json in zip(events, records, strict=True):
                    digest = chain_hash(prev, record_json)
                    seq += 1
                    rows.append(StoredAuditEvent(seq, event, record_json, prev, digest))
                    prev = digest
                return rows

            self._store.chain_audit(link, durable=self.durable)
        except Exception:
            self.write_failures += 1
            log.exception("could not write %d audit events; their requests fail", len(pending))
            raise

    def query(self, where: AuditFilter) -> list[StoredAuditEvent]:
        return self._store.query_audit(where)

    def all(self, where: AuditFilter | None = None) -> Iterator[StoredAuditEvent]:
        where = where or AuditFilter()
        while True:
            page = self._store.query_audit(where)
            yield from page
            if len(page) < where.limit:
                return
            where = AuditFilter(where.since, where.until, where.key_arn, where.principal_arn, where.event_name,
                                where.errors_only, page[-1].seq, where.limit)

    def verify(self) -> ChainCheck:
        """Walk the chain from its oldest retained event; report the first event that does not fit."""
        count, previous = 0, None
        for stored in self.all():
            count += 1
            if previous is not None and stored.seq != previous.seq + 1:
                return ChainCheck(count, stored.seq, f"events {previous.seq + 1}..{stored.seq - 1} are missing")
            if previous is not None and stored.prev_hash != previous.hash:
                return ChainCheck(count, stored.seq, "does not link to the event before it")
            if chain_hash(stored.prev_hash, stored.record_json) != stored.hash:
                return ChainCheck(count, stored.seq, "its content does not match its hash")
            record = stored.event.record
            if (record.get("eventName"), record.get("eventID")) != (stored.event.event_name, stored.event.event_id):
                return ChainCheck(count, stored.seq, "its indexed fields do not match its record")
            previous = stored
        return ChainCheck(count)

    def purge(self, retention_days: float) -> int:
        """Drop events older than the retention, a written batch at a time (once its newest event is older);
        the oldest kept event then starts the chain."""
        return self._store.purge_audit(self._clock.now() - retention_days * DAY_SECONDS)

    def last_key_usage(self, key_arn: str) -> StoredAuditEvent | None:
        return self._store.last_key_usage(key_arn, CRYPTOGRAPHIC_OPERATIONS)

    def tracking_start(self) -> float | None:
        return self._store.first_audit_time()
