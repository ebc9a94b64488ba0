"""Scale test: Encrypt latency and server memory with 100, 10,000 and 1,000,000 keys in the store.

The stores are filled directly through the storage layer (not the API): each key gets its own wrapped
material from ``Core.keys.new_version`` (the wrap is bound to key id and version, so no blob is reused),
and rows go in with ``executemany`` inside one transaction, using SqliteStore's own SQL and row mapping.

One Strongroom server per store size runs at the same time, and the cells of every size are interleaved
in each repetition, so sizes are compared under the same machine conditions (paired by repetition).

Two kinds of cell per size, both Encrypt at the same concurrency:
* ``hot``: one key, replayed: the cached path (is anything proportional to the store size?).
* ``spread``: one pre-signed request per key for up to ``spread_keys`` keys sampled uniformly from the
  store, sent in a shuffled cycle: at 1,000,000 keys nearly every request misses the workers' caches
  (SQLite lookup + unwrap of the key material); small stores are cached after the first pass.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.processes import free_port
from bench.signing import Request
from bench.systems import DEV_ACCOUNT_ID, System, start_strongroom
from strongroom.domain.keys import Key
from strongroom.domain.references import new_key_id
from strongroom.service.core import Core
from strongroom.storage import sqlite as sqlite_store
from strongroom.storage.records import StoredVersion
from strongroom.storage.sqlite import SqliteStore
from strongroom.trust.key_file import FileRootOfTrust

REGION = "us-east-1"
DATABASE_FILE = "strongroom.db"
ROOT_KEY_FILE = "root.key"


def _bulk_sql() -> tuple[Callable[[Key], tuple], str, Callable[[StoredVersion], tuple], str] | None:
    """SqliteStore's own row mappings and column lists, for executemany; None if this version lacks them.

    (The store has no bulk-insert method; these module-level helpers are what ``insert_key`` and
    ``add_version`` use, so the rows are exactly the ones the store itself writes.)
    """
    try:
        key_row, key_columns = sqlite_store._key_row, sqlite_store._KEY_COLUMNS
        version_row = sqlite_store._version_row
        version_columns = sqlite_store._VERSION_COLUMNS
    except AttributeError:
        return None
    return key_row, key_columns, version_row, version_columns


@dataclass
class ScaleStore:
    keys: int
    data_dir: Path
    key_ids: list[str]
    build: dict[str, float]  # seconds: init, material (wraps), insert, commit, total

    def db_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.data_dir.glob(DATABASE_FILE + "*"))


def init_data_dir(data_dir: Path, log_dir: Path) -> None:
    """Let the server create its dev files (root key, KEK, dev account) once, then stop it."""
    system = start_strongroom(f"init {data_dir.name}", data_dir, free_port(), 1, log_dir)
    try:
        pass  # started and answered /health: the dev files exist
    finally:
        system.process.stop()


def add_keys(data_dir: Path, count: int, *, chunk: int = 50_000, progress: bool = False) -> tuple[list[str], dict]:
    """Insert ``count`` enabled symmetric keys, each with its own wrapped version 1, in one transaction."""
    timings = {"material": 0.0, "insert": 0.0, "commit": 0.0}
    store = SqliteStore(data_dir / DATABASE_FILE)
    core = Core(store, FileRootOfTrust(data_dir / ROOT_KEY_FILE))
    bulk = _bulk_sql()
    ids: list[str] = []
    try:
        store._db.execute("PRAGMA cache_size = -262144")  # 256 MiB page cache for this bulk load only
        started = time.perf_counter()
        with store.transaction():
            for first in range(0, count, chunk):
                t0 = time.perf_counter()
                batch = [new_key_id() for _ in range(min(chunk, count - first))]
                now = time.time()
                keys = [Key(key_id=key_id, account_id=DEV_ACCOUNT_ID, region=REGION, created_at=now,
                            description="bench scale key") for key_id in batch]
                versions = [core.keys.new_version(key_id, 1, None) for key_id in batch]
                t1 = time.perf_counter()
                if bulk is not None:
                    key_row, key_columns, version_row, version_columns = bulk
                    key_rows = [key_row(key) for key in keys]
                    version_rows = [(key_id, *version_row(v)) for key_id, v in zip(batch, versions, strict=True)]
                    store._db.executemany(f"INSERT INTO keys ({key_columns}) VALUES "
                                          f"({', '.join('?' * len(key_rows[0]))})", key_rows)
                    store._db.executemany(f"INSERT INTO key_versions (key_id, {version_columns}) VALUES "
                                          f"({', '.join('?' * len(version_rows[0]))})", version_rows)
                else:  # the store's public method, row by row, still inside the one transaction
                    for key, version in zip(keys, versions, strict=True):
                        store.insert_key(key, version)
                t2 = time.perf_counter()
                timings["material"] += t1 - t0
                timings["insert"] += t2 - t1
                ids.extend(batch)
                if progress and count >= 200_000 and (first // chunk) % 4 == 3:
                    print(f"  ... {len(ids):,} keys ({time.perf_counter() - started:.0f} s)", flush=True)
            t3 = time.perf_counter()
        timings["commit"] = time.perf_counter() - t3
    finally:
        t4 = time.perf_counter()
        core.close()  # the last connection closing checkpoints the WAL into the database file
        timings["commit"] += time.perf_counter() - t4
    return ids, timings


def build_store(data_dir: Path, keys: int, log_dir: Path) -> ScaleStore:
    t0 = time.perf_counter()
    init_data_dir(data_dir, log_dir)
    t1 = time.perf_counter()
    ids, timings = add_keys(data_dir, keys, progress=True)
    timings = {"init": t1 - t0, **timings, "total": time.perf_counter() - t0}
    return ScaleStore(keys, data_dir, ids, {k: round(v, 2) for k, v in timings.items()})


def spread_sample(key_ids: list[str], limit: int, seed: int) -> list[str]:
    """Up to ``limit`` distinct keys, uniformly sampled, in a shuffled order."""
    rng = random.Random(seed)
    return rng.sample(key_ids, min(limit, len(key_ids)))


def signed_encrypts(system: System, key_ids: list[str]) -> list[Request]:
    return [system.request("Encrypt", key_id=key_id) for key_id in key_ids]


def store_summary(store: ScaleStore) -> dict[str, Any]:
    return {"keys": store.keys, "db_mib": round(store.db_bytes() / 2**20, 1), "build_seconds": store.build}
