"""What only the PostgreSQL store has: concurrent migrations, the change feed's fail-safe, bounded waits."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import psycopg
import pytest

from strongroom.errors import DependencyUnavailableError
from strongroom.storage.migrations import migrations_for
from strongroom.storage.pg_changes import LISTENER_NAME
from strongroom.storage.pg_setup import LOCK_SPACE, MIGRATIONS_TABLE, connection_settings
from strongroom.storage.postgres import PostgresStore

ACCOUNT = "111122223333"


def poll(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def test_nodes_starting_together_apply_each_migration_once(postgres_dsn: str) -> None:
    stores: list[PostgresStore] = []
    errors: list[BaseException] = []

    def start() -> None:
        try:
            stores.append(PostgresStore(postgres_dsn))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    try:
        assert not errors and len(stores) == 4
        with psycopg.connect(postgres_dsn) as conn:
            applied = [row[0] for row in conn.execute(f"SELECT version FROM {MIGRATIONS_TABLE} ORDER BY version")]
        assert applied == [n for n, _ in migrations_for("postgres")]
    finally:
        for store in stores:
            store.close()


def test_while_the_change_feed_is_down_every_call_reports_a_change(postgres_dsn: str) -> None:
    store = PostgresStore(postgres_dsn)
    try:
        store.changed_elsewhere()
        assert not store.changed_elsewhere()
        with psycopg.connect(postgres_dsn, autocommit=True) as admin:
            killed = admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s "
                                   "AND datname = current_database()", (LISTENER_NAME,)).fetchall()
        assert killed == [(True,)]
        assert poll(lambda: not store._feed.connected), "the feed did not notice its connection was gone"
        assert store.changed_elsewhere() and store.changed_elsewhere()  # caches bypassed on every call
        assert poll(store._feed.trusted), "the feed did not reconnect"
        assert store.changed_elsewhere()  # what was committed while nobody listened
        assert not store.changed_elsewhere()
    finally:
        store.close()


def test_a_write_waiting_on_the_cluster_lock_gives_up_instead_of_hanging(postgres_dsn: str) -> None:
    store = PostgresStore(postgres_dsn, statement_timeout=0.5)
    try:
        with psycopg.connect(postgres_dsn) as blocker:  # another node, stuck inside a write transaction
            blocker.execute("SELECT pg_advisory_xact_lock(%s, 1)", (LOCK_SPACE,))
            with pytest.raises(DependencyUnavailableError):
                store.ensure_account(ACCOUNT, 1.0)
            blocker.rollback()
        store.ensure_account(ACCOUNT, 1.0)  # and works again once the lock is free
        assert store.list_accounts() == [ACCOUNT]
    finally:
        store.close()


def test_what_the_database_url_sets_wins_over_the_defaults() -> None:
    settings = connection_settings("postgresql://u@h/db?connect_timeout=9&options=-c%20work_mem%3D8MB",
                                   connect_timeout=3, statement_timeout=5)
    assert "connect_timeout" not in settings and settings["tcp_user_timeout"] == 5000
    assert settings["options"].startswith("-c work_mem=8MB ") and "statement_timeout=5000" in settings["options"]
