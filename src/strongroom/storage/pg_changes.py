"""Cross-node cache invalidation for PostgreSQL: one LISTEN connection per store, in a daemon thread.

Every write transaction of a ``PostgresStore`` sends ``NOTIFY strongroom_changes, '<its token>'`` just before
COMMIT; PostgreSQL delivers it to every listener the moment the commit is visible (milliseconds). The thread
here bumps ``generation`` for each notification from another store, so ``changed_elsewhere`` reads two
attributes and the clock, and makes no round trip.

When nothing can be known, the store reports "changed" on every call, so caches are bypassed and every request
reads the database: while the connection is down (``connected`` is False; a server that goes away closes the
socket and is noticed at once), and once the connection has been silent for longer than ``STALE_AFTER``. A
heartbeat (``SELECT 1`` twice a second) keeps a healthy connection fresh; a silent network failure makes it
stale within a second. The reconnect itself bumps ``generation``, to cover what was committed while nobody
listened. Hence the bound: a commit through any node is honoured by every other node within one second.
"""

from __future__ import annotations

import logging
import select
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg

log = logging.getLogger("strongroom.storage")

CHANNEL = "strongroom_changes"
LISTENER_NAME = "strongroom-change-feed"  # its application_name, to find it in pg_stat_activity
STALE_AFTER = 1.0  # seconds without a sign of life before a listening connection is not trusted


class ChangeFeed:
    def __init__(self, dsn: str, settings: dict[str, Any], own_token: str, *,
                 on_reconnect: Callable[[], None] | None = None, heartbeat: float = 0.5,
                 retry_delay: float = 0.25) -> None:
        self._dsn = dsn
        self._settings = settings
        self._token = own_token
        self._on_reconnect = on_reconnect
        self._heartbeat = heartbeat
        self._retry_delay = retry_delay
        self.generation = 0  # written only by the feed's thread
        self.connected = False
        self.alive_at = 0.0  # time.monotonic() of the last sign of life of the connection
        self._stopping = threading.Event()
        self._ready = threading.Event()
        self._wake_r, self._wake_w = socket.socketpair()
        self._thread = threading.Thread(target=self._run, name="strongroom-change-feed", daemon=True)

    def trusted(self) -> bool:
        """Listening, and heard from within STALE_AFTER seconds: no notification can have been missed."""
        return self.connected and time.monotonic() - self.alive_at <= STALE_AFTER

    def start(self, wait: float) -> bool:
        """Start listening; True once LISTEN is in place (within ``wait`` seconds)."""
        self._thread.start()
        return self._ready.wait(wait)

    def stop(self) -> None:
        self._stopping.set()
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass
        if self._thread.is_alive():
            self._thread.join(5)
        self._wake_r.close()
        self._wake_w.close()

    def _run(self) -> None:
        listened = False  # LISTEN has been in place at least once
        quiet = False  # a failure to connect has been logged already
        while not self._stopping.is_set():
            try:
                self._listen(reconnected=listened)
            except Exception as exc:  # psycopg.Error mostly; the thread must outlive anything
                if self.connected or not quiet:
                    log.warning("database change feed down (%s); caches are bypassed until it is back", exc)
            finally:
                listened = listened or self.connected
                quiet = True
                self.connected = False
                self._ready.set()  # a first attempt that failed still ends the wait in start()
            self._stopping.wait(self._retry_delay)

    def _listen(self, *, reconnected: bool) -> None:
        """Listen until stopped, or until the connection fails (psycopg.Error)."""
        settings = {**self._settings, "application_name": LISTENER_NAME}
        with psycopg.connect(self._dsn, autocommit=True, **settings) as conn:
            conn.add_notify_handler(self._notified)
            conn.execute(f"LISTEN {CHANNEL}")
            self.generation += 1
            self.alive_at = time.monotonic()
            self.connected = True
            self._ready.set()
            if reconnected:
                log.warning("database change feed is back")
                if self._on_reconnect is not None:
                    try:
                        self._on_reconnect()
                    except Exception:
                        log.exception("after the change feed came back")
            sock = conn.pgconn.socket
            while not self._stopping.is_set():
                readable, _, _ = select.select([sock, self._wake_r], [], [], self._heartbeat)
                if self._wake_r in readable:
                    break
                conn.execute("SELECT 1")  # delivers pending notifications; proves the connection alive
                self.alive_at = time.monotonic()

    def _notified(self, notify: psycopg.Notify) -> None:
        if notify.payload != self._token:
            self.generation += 1
