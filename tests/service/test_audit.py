"""The audit trail's hash chain, in process."""

import sqlite3

import pytest

from strongroom.domain.audit import AuditEvent, AuditFilter
from strongroom.domain.keys import DAY_SECONDS
from tests.storage.audit_rows import tamper


def event(n: int, key: str | None = None, error: str | None = None, name: str = "Encrypt") -> AuditEvent:
    record = {"eventName": name, "eventID": f"id-{n}", "n": n}
    return AuditEvent(1_800_000_000.0 + n, f"id-{n}", name, "arn:aws:iam::111122223333:root", key, error, record)


def test_chain_intact_then_tampering_and_deletion_found(core, data_dir):
    for n in range(1, 6):
        core.audit.record(event(n))
    check = core.audit.verify()
    assert check.intact and check.events == 5
    tamper(data_dir / "strongroom.db", 3, '"n":3', '"n":4')
    broken = core.audit.verify()
    assert (broken.first_broken_seq, broken.reason) == (3, "its content does not match its hash")
    with sqlite3.connect(data_dir / "strongroom.db") as db:
        db.execute("DELETE FROM audit_batches WHERE first_seq IN (2, 3)")  # each event was its own batch
    assert core.audit.verify().first_broken_seq == 4


def test_batched_events_chain_across_flushes(core):
    core.audit.autoflush = False
    for n in range(1, 4):
        core.audit.record(event(n))
    assert core.audit.query(AuditFilter()) == []  # nothing is written before the flush
    core.audit.flush()
    core.audit.record(event(4))
    core.audit.flush()
    stored = core.audit.query(AuditFilter())
    assert [s.seq for s in stored] == [1, 2, 3, 4]
    assert all(b.prev_hash == a.hash for a, b in zip(stored, stored[1:], strict=False))
    assert core.audit.verify().intact


def test_events_built_when_written_and_a_failing_build_fails_its_whole_batch(core):
    core.audit.autoflush = False
    built: list[int] = []

    def later(n: int):
        def build() -> AuditEvent:
            built.append(n)
            return event(n)
        return build

    core.audit.record(later(1))
    core.audit.record(event(2))
    assert built == []  # nothing is built before the batch is written
    core.audit.flush()
    assert built == [1]
    assert [(s.seq, s.event.event_id) for s in core.audit.query(AuditFilter())] == [(1, "id-1"), (2, "id-2")]

    def broken() -> AuditEvent:
        raise ValueError("a record that cannot be made")

    core.audit.record(event(3))
    core.audit.record(broken)
    with pytest.raises(ValueError):
        core.audit.flush()
    assert core.audit.write_failures == 1
    assert [s.seq for s in core.audit.query(AuditFilter())] == [1, 2]  # nothing of the failed batch
    core.audit.record(event(4))
    core.audit.flush()
    assert [s.seq for s in core.audit.query(AuditFilter())] == [1, 2, 3]
    assert core.audit.verify().intact


def test_filters_last_usage_and_retention(core, clock):
    key = "arn:aws:kms:us-east-1:111122223333:key/k"
    core.audit.record(event(1, key))
    core.audit.record(event(2, key, error="DisabledException"))
    core.audit.record(event(3, key, name="DescribeKey"))
    core.audit.record(event(4))
    assert [s.seq for s in core.audit.query(AuditFilter(key_arn=key))] == [1, 2, 3]
    assert [s.seq for s in core.audit.query(AuditFilter(errors_only=True))] == [2]
    assert core.audit.last_key_usage(key).seq == 1  # the last *successful cryptographic* use
    clock.advance(400 * DAY_SECONDS)
    assert core.audit.purge(365) == 4
    assert core.audit.verify().intact
