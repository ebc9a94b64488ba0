"""``strongroom backup FILE | restore FILE | migrate``: the data store as a whole (storage/backup.py).

Backup runs online, against a running server's database. Restore goes into an empty data directory or an
empty PostgreSQL database, from either backend to either. Both need the root of trust the backup was made
under (its KEK seals the file); a root that unseals by itself: a key file, PKCS#11 or a KMS.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

from strongroom.cli.common import store_arguments
from strongroom.cli.progress import ProgressBar, progress
from strongroom.errors import StrongroomError
from strongroom.server.config import ROOT_KEY_FILE, ConfigError, ServerConfig, env_path
from strongroom.storage import backup
from strongroom.storage.factory import open_store
from strongroom.trust.base import RootConfigError, RootOfTrustError
from strongroom.trust.factory import is_auto, kind_of, open_auto_root
from strongroom.trust.key_file import RootKeyFileError

_REFUSALS = (StrongroomError, ConfigError, RootConfigError, RootOfTrustError, RootKeyFileError, OSError)


def add_parsers(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    take = commands.add_parser("backup", help="write a consistent, integrity-protected backup of the data store")
    put = commands.add_parser("restore", help="restore a backup into an empty data directory or database")
    for parser, run in ((take, run_backup), (put, run_restore)):
        parser.add_argument("file", type=Path, help="the backup file")
        store_arguments(parser)
        parser.add_argument("--root-of-trust", choices=("file", "pkcs11", "kms"),
                            default=os.environ.get("STRONGROOM_ROOT_OF_TRUST"),
                            help="the root that wrapped the data store's KEK (default: --config's kind, else file)")
        parser.add_argument("--config", type=Path, default=env_path("STRONGROOM_CONFIG"),
                            help="TOML file with a [root_of_trust] table")
        parser.set_defaults(run=run)
    migrate = commands.add_parser("migrate", help="apply the database schema migrations (servers also do on start)")
    store_arguments(migrate)
    migrate.set_defaults(run=run_migrate)


def _unwrapper(args: argparse.Namespace) -> Callable[[bytes], bytes]:
    """Recovers the KEK from a wrapped-KEK record with the configured root of trust."""
    config = ServerConfig(data_dir=args.data_dir, root_key_file=args.root_key_file or args.data_dir / ROOT_KEY_FILE,
                          root_of_trust=args.root_of_trust, config_file=args.config)
    settings = config.root_settings()
    if not is_auto(settings):
        raise ConfigError("backup and restore need a root of trust that unseals by itself (file, pkcs11, kms)")

    def unwrap(record: bytes) -> bytes:
        from strongroom.trust import envelope

        meta = envelope.unpack_for(record, kind_of(settings)).meta
        return bytes(open_auto_root(settings, meta).unwrap_kek(record))
    return unwrap


def rows_of(snapshot: backup.Snapshot) -> int:
    return sum(len(rows) for _, rows in snapshot.tables.values())


class _CountedRows(list):  # type: ignore[type-arg]
    """A table's rows that advance a progress bar as the store reads them to insert them."""

    def __init__(self, rows: list[tuple], bar: ProgressBar) -> None:  # type: ignore[type-arg]
        super().__init__(rows)
        self._bar = bar

    def __iter__(self) -> Iterator[tuple]:  # type: ignore[type-arg]
        for row in super().__iter__():
            yield row
            self._bar.advance()


def counting_rows(snapshot: backup.Snapshot, bar: ProgressBar) -> backup.Snapshot:
    """The same snapshot, its rows counted on ``bar`` as they are inserted."""
    return replace(snapshot, tables={name: (columns, _CountedRows(rows, bar))
                                     for name, (columns, rows) in snapshot.tables.items()})


def _fail(exc: BaseException) -> int:
    print(f"strongroom: {getattr(exc, 'message', None) or exc}", file=sys.stderr)
    return 1


def run_backup(args: argparse.Namespace) -> int:
    try:
        unwrap = _unwrapper(args)
        store = open_store(args.database, args.data_dir)
        # The store is read in one snapshot and the file sealed in one piece: the bar tells the two apart.
        with progress("backing up") as bar:
            try:
                snapshot = backup.take(store)  # type: ignore[arg-type]
            finally:
                store.close()
            bar.total = rows_of(snapshot)
            backup.write(args.file, snapshot, unwrap)
            bar.advance(rows_of(snapshot))
    except _REFUSALS as exc:
        return _fail(exc)
    print(f"backed up {snapshot.count('keys')} keys, {snapshot.count('aliases')} aliases, "
          f"{snapshot.count('access_keys')} access keys (schema {snapshot.schema_version}, {snapshot.dialect}) "
          f"to {args.file}")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    try:
        with progress("restoring") as bar:
            snapshot = backup.read(args.file, _unwrapper(args))  # verified before anything is written
            bar.total = rows_of(snapshot)
            created = not args.database and not args.data_dir.exists()
            store = open_store(args.database, args.data_dir)
            if created:
                os.chmod(args.data_dir, 0o700)
            try:
                backup.restore(store, counting_rows(snapshot, bar))  # type: ignore[arg-type]
            finally:
                store.close()
    except _REFUSALS as exc:
        return _fail(exc)
    print(f"restored {snapshot.count('keys')} keys, {snapshot.count('aliases')} aliases, "
          f"{snapshot.count('access_keys')} access keys from {args.file} (taken on {snapshot.dialect})")
    return 0


def run_migrate(args: argparse.Namespace) -> int:
    try:
        store = open_store(args.database, args.data_dir)
        try:
            print(f"schema version {store.schema_version()}")  # type: ignore[attr-defined]
        finally:
            store.close()
    except _REFUSALS as exc:
        return _fail(exc)
    return 0
