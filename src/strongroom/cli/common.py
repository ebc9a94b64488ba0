"""What every offline command shares: where the data is, and opening the core on it."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from strongroom.errors import StrongroomError
from strongroom.server.config import ROOT_KEY_FILE, ServerConfig, env_path
from strongroom.server.wiring import open_core
from strongroom.service.core import Core
from strongroom.trust.key_file import RootKeyFileError


def data_dir_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("STRONGROOM_DATA_DIR", ".strongroom")),
                        help="directory of the database, keys and TLS material (default ./.strongroom)")


def database_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database", default=os.environ.get("STRONGROOM_DATABASE") or None, metavar="URL",
                        help="postgresql://user:password@host:port/dbname (default: SQLite in the data dir)")


def store_arguments(parser: argparse.ArgumentParser) -> None:
    data_dir_argument(parser)
    database_argument(parser)
    parser.add_argument("--root-key-file", type=Path, default=env_path("STRONGROOM_ROOT_KEY_FILE"),
                        help="the root key file (default DATA_DIR/root.key)")


def run_with_core(args: argparse.Namespace, action: Callable[[Core], int | None]) -> int:
    """Open the core on the configured data, run ``action``, and turn core errors into messages."""
    root_key = args.root_key_file or args.data_dir / ROOT_KEY_FILE
    try:
        core = open_core(ServerConfig(data_dir=args.data_dir, root_key_file=root_key, database_url=args.database))
    except (RootKeyFileError, StrongroomError) as exc:
        print(f"strongroom: {exc}", file=sys.stderr)
        return 2
    try:
        return action(core) or 0
    except StrongroomError as exc:
        print(f"strongroom: {exc.message}", file=sys.stderr)
        return 1
    finally:
        core.close()
