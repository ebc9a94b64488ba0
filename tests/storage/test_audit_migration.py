"""Migration 7 turns an audit trail of one row per event into batches, keeping every event and its chain."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from strongroom.domain.audit import GENESIS, AuditFilter, canonical, chain_hash
from strongroom.domain.clock import SystemClock
from strongroom.service.audit import AuditTrail
from strongroom.storage.base import Store
from strongroom.storage.migrations import migrations_for
from strongroom.storage.pg_setup import MIGRATIONS_TABLE
from strongroom.storage.postgres import PostgresStore
from strongroom.storage.sqlite import SqliteStore

KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROOT = "arn:aws:iam::111122223333:root"
BEFORE_BATCHES = 6


def old_rows() -> list[tuple]:
    """Three events as schema 6 stored them: (seq, time, id, name, principal, key, error, record, prev, hash)."""
    rows, prev = [], GENESIS
    for seq, name, key, error in ((1, "CreateKey", KEY, None), (2, "Encrypt", KEY, None),
                                  (3, "Decrypt", None, "InvalidCiphertextException")):
        record = canonical({"eventID": f"e-{seq}", "eventName": name, "note": "tab\there, quote \" there"})
        digest = chain_hash(prev, record)
        rows.append((seq, 1_800_000_000.25 + seq, f"e-{seq}", name, ROOT, key, error, record, prev, digest))
        prev = digest
    return rows


def check_migrated(store: Store) -> None:
    trail = AuditTrail(store, SystemClock())
    assert trail.verify().intact and trail.verify().events == 3
    events = trail.query(AuditFilter())
    assert [(s.seq, s.event.event_name, s.event.key_arn, s.event.error_code) for s in events] == [
        (1, "CreateKey", KEY, None), (2, "Encrypt", KEY, None), (3, "Decrypt", None, "InvalidCiphertextException")]
    assert events[0].event.event_time == pytest.approx(1_800_000_001.25)
    assert events[2].record_json == old_rows()[2][7]
    assert [s.seq for s in trail.query(AuditFilter(key_arn=KEY))] == [1, 2]
    used = trail.last_key_usage(KEY)
    assert used is not None and used.seq == 2
    trail.record(trail.query(AuditFilter(after_seq=2))[0].event)  # the chain goes on from the migrated events
    assert trail.verify().intact and trail.verify().events == 4
    stored = [bytes(events)[:1] for _, events in
              store._audit._rows("SELECT first_seq, events FROM audit_batches ORDER BY first_seq", ())]
    assert stored == [b"[", b"[", b"[", b"\x78"]  # migrated batches as UTF-8 text, the new one zlib-compressed


def test_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "strongroom.db"
    with sqlite3.connect(path) as db:
        for _, sql in migrations_for("sqlite")[:BEFORE_BATCHES]:
            for statement in sql.split(";"):
                if statement.strip():
                    db.execute(statement)
        db.executemany("INSERT INTO audit_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", old_rows())
        db.execute(f"PRAGMA user_version = {BEFORE_BATCHES}")
    store = SqliteStore(path)
    try:
        check_migrated(store)
    finally:
        store.close()


def test_postgres(postgres_dsn: str) -> None:
    with psycopg.connect(postgres_dsn) as conn:
        conn.execute(f"CREATE TABLE {MIGRATIONS_TABLE} (version INTEGER PRIMARY KEY, "
                     "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
        for number, sql in migrations_for("postgres")[:BEFORE_BATCHES]:
            conn.execute(sql.encode())
            conn.execute(f"INSERT INTO {MIGRATIONS_TABLE} (version) VALUES (%s)", (number,))
        conn.cursor().executemany("INSERT INTO audit_events VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                                  old_rows())
    store = PostgresStore(postgres_dsn)
    try:
        check_migrated(store)
    finally:
        store.close()
