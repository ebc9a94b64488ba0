"""Under continuous writes from two connections, the background checkpointer still keeps the WAL short."""

from __future__ import annotations

import threading
from pathlib import Path

from strongroom.storage import sqlite as sqlite_store
from strongroom.storage.sqlite import SqliteStore


def test_the_wal_stays_short_under_continuous_writes(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(sqlite_store, "WAL_RESTART_FRAMES", 256)  # 1 MiB instead of 512 MiB
    monkeypatch.setattr(sqlite_store, "CHECKPOINT_INTERVAL_SECONDS", 0.01)
    path = tmp_path / "strongroom.db"
    stores = [SqliteStore(path, background_checkpoints=True), SqliteStore(path, background_checkpoints=True)]
    longest, stop = 0, threading.Event()

    def write(store: SqliteStore) -> None:
        while not stop.is_set():
            with store.transaction(cached=False, durable=False):
                store._db.execute("CREATE TABLE IF NOT EXISTS filler (x BLOB)")
                store._db.executemany("INSERT INTO filler VALUES (?)", [(bytes(1000),)] * 10)
            stop.wait(0.001)  # a worker's next turn

    writers = [threading.Thread(target=write, args=(store,)) for store in stores]
    for writer in writers:
        writer.start()
    try:
        wal = Path(f"{path}-wal")
        for _ in range(200):
            stop.wait(0.01)
            longest = max(longest, wal.stat().st_size if wal.exists() else 0)
    finally:
        stop.set()
        for writer in writers:
            writer.join()
        for store in stores:
            store.close()
    assert path.stat().st_size > 8 << 20  # the writers wrote far more than the WAL ever held
    assert longest < 4 << 20
