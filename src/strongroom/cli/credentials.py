"""``strongroom credentials create|list|delete``: access keys of an account, in the data directory."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from strongroom.errors import StrongroomError
from strongroom.server.config import ROOT_KEY_FILE, ServerConfig, env_path
from strongroom.server.wiring import open_core
from strongroom.trust.key_file import RootKeyFileError


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from strongroom.cli.main import data_dir_argument

    p = commands.add_parser("credentials", help="manage access keys")
    actions = p.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create an access key pair (the secret is shown once)")
    create.add_argument("--account", required=True, help="12-digit account id")
    create.add_argument("--user", default="root", help="user name (default: the account root)")
    listing = actions.add_parser("list", help="list access keys (never their secrets)")
    listing.add_argument("--account", help="only this account")
    delete = actions.add_parser("delete", help="delete an access key")
    delete.add_argument("access_key_id")
    for action in (create, listing, delete):
        data_dir_argument(action)
        action.add_argument("--root-key-file", type=Path, default=env_path("STRONGROOM_ROOT_KEY_FILE"))
        action.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    root_key = args.root_key_file or args.data_dir / ROOT_KEY_FILE
    try:
        core = open_core(ServerConfig(data_dir=args.data_dir, root_key_file=root_key))
    except RootKeyFileError as exc:
        print(f"strongroom: {exc}", file=sys.stderr)
        return 2
    try:
        if args.action == "create":
            key = core.credentials.create(args.account, user_name=args.user)
            print(f"account_id = {key.account_id}\naws_access_key_id = {key.access_key_id}\n"
                  f"aws_secret_access_key = {key.secret_access_key}")
        elif args.action == "list":
            for item in core.credentials.list(args.account):
                created = datetime.fromtimestamp(item.created_at, UTC).isoformat(timespec="seconds")
                print(f"{item.access_key_id}\t{item.account_id}\t{item.user_name}\t{item.status}\t{created}")
        elif not core.credentials.delete(args.access_key_id):
            print(f"strongroom: no access key {args.access_key_id}", file=sys.stderr)
            return 1
    except StrongroomError as exc:
        print(f"strongroom: {exc.message}", file=sys.stderr)
        return 1
    finally:
        core.close()
    return 0
