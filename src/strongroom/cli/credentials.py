"""``strongroom credentials create|list|delete``: access keys of an account root or a user."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from strongroom.cli.common import run_with_core, store_arguments
from strongroom.service.core import Core


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = commands.add_parser("credentials", help="manage access keys")
    actions = p.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create an access key pair (the secret is shown once)")
    create.add_argument("--account", required=True, help="12-digit account id")
    create.add_argument("--user", default="root", help="user name (default: the account root)")
    create.add_argument("--session-duration", type=int, metavar="SECONDS",
                        help="create temporary credentials with a session token, valid this long (900-43200)")
    listing = actions.add_parser("list", help="list access keys (never their secrets)")
    listing.add_argument("--account", help="only this account")
    delete = actions.add_parser("delete", help="delete an access key")
    delete.add_argument("access_key_id")
    for action in (create, listing, delete):
        store_arguments(action)
        action.set_defaults(run=run)


def _stamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def run(args: argparse.Namespace) -> int:
    def act(core: Core) -> int:
        if args.action == "create":
            created = core.credentials.create(args.account, user_name=args.user,
                                              session_seconds=args.session_duration)
            key = created.key
            print(f"account_id = {key.account_id}\naws_access_key_id = {key.access_key_id}\n"
                  f"aws_secret_access_key = {key.secret_access_key}")
            if created.session_token:
                print(f"aws_session_token = {created.session_token}\nexpiration = {_stamp(key.expires_at or 0)}")
        elif args.action == "list":
            for item in core.credentials.list(args.account):
                expiry = f"\texpires {_stamp(item.expires_at)}" if item.expires_at else ""
                print(f"{item.access_key_id}\t{item.account_id}\t{item.user_name}\t{item.status}\t"
                      f"{_stamp(item.created_at)}{expiry}")
        elif not core.credentials.delete(args.access_key_id):
            print(f"strongroom: no access key {args.access_key_id}", file=sys.stderr)
            return 1
        return 0
    return run_with_core(args, act)
