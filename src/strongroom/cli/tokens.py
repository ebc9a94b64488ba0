"""``strongroom tokens create|list|revoke``: the bearer tokens of the Vault API, for operators."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from strongroom.cli.common import run_with_core, store_arguments
from strongroom.errors import NotFoundError
from strongroom.service.core import Core


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    actions = commands.add_parser("tokens", help="manage bearer tokens (the Vault API's)").add_subparsers(
        dest="action", required=True)
    create = actions.add_parser("create", help="issue a token owned by an account root or user (shown once)")
    create.add_argument("--account", required=True, help="12-digit account id")
    create.add_argument("--user", default="root", help="the owning user (default: the account root)")
    create.add_argument("--policy", action="append", default=[], help="a path policy (repeatable; 'root' for all)")
    create.add_argument("--ttl", type=float, default=None, metavar="SECONDS", help="0: never expires")
    listing = actions.add_parser("list", help="list live tokens by accessor (never the tokens)")
    listing.add_argument("--account", help="only this account")
    revoke = actions.add_parser("revoke", help="revoke a token and the tokens it created")
    revoke.add_argument("accessor")
    for action in (create, listing, revoke):
        store_arguments(action)
        action.set_defaults(run=run)


def _stamp(epoch: float | None) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds") if epoch else "never"


def run(args: argparse.Namespace) -> int:
    def act(core: Core) -> int:
        if args.action == "create":
            issued = core.tokens.issue(args.account, args.user, policies=tuple(args.policy or ["default"]),
                                       ttl=args.ttl, display_name="operator")
            print(f"token = {issued.token}\naccessor = {issued.record.accessor}\n"
                  f"policies = {','.join(issued.record.policies)}\nexpires = {_stamp(issued.record.expires_at)}")
        elif args.action == "list":
            for token in core.tokens.list(args.account):
                print(f"{token.accessor}\t{token.account_id}\t{token.user_name}\t{','.join(token.policies)}\t"
                      f"expires {_stamp(token.expires_at)}")
        else:
            try:
                core.tokens.by_accessor(args.accessor)
            except NotFoundError:
                print(f"strongroom: no token with accessor {args.accessor}", file=sys.stderr)
                return 1
            core.tokens.revoke(args.accessor)
        return 0
    return run_with_core(args, act)
