"""``strongroom accounts …`` and ``strongroom users …``: who may call, and their identity policies."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from strongroom.cli.common import run_with_core, store_arguments
from strongroom.domain.context import principal_arn
from strongroom.service.core import Core


def add_parsers(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    accounts = commands.add_parser("accounts", help="manage accounts").add_subparsers(dest="action", required=True)
    create = accounts.add_parser("create", help="create an account (a new 12-digit id unless given)")
    create.add_argument("--account", help="the 12-digit account id to create")
    listing = accounts.add_parser("list", help="list accounts")
    for action in (create, listing):
        store_arguments(action)
        action.set_defaults(run=run_accounts)

    users = commands.add_parser("users", help="manage users and their identity policies")
    actions = users.add_subparsers(dest="action", required=True)
    specs = {
        "create": "create a user", "list": "list the users of an account", "delete": "delete a user, its keys "
        "and policies", "put-policy": "attach (or replace) an identity policy", "delete-policy": "detach an "
        "identity policy", "list-policies": "show a user's identity policies",
    }
    for name, help_text in specs.items():
        action = actions.add_parser(name, help=help_text)
        action.add_argument("--account", required=True, help="12-digit account id")
        if name != "list":
            action.add_argument("--user", required=True, help="user name")
        if name in ("put-policy", "delete-policy"):
            action.add_argument("--policy-name", required=True)
        if name == "put-policy":
            action.add_argument("--policy-document", required=True,
                                help="the policy JSON, or file://PATH to read it from a file")
        store_arguments(action)
        action.set_defaults(run=run_users)


def run_accounts(args: argparse.Namespace) -> int:
    def act(core: Core) -> None:
        if args.action == "create":
            print(core.principals.create_account(args.account))
        else:
            print("\n".join(core.principals.list_accounts()))
    return run_with_core(args, act)


def _document(value: str) -> str:
    return Path(value[len("file://"):]).read_text() if value.startswith("file://") else value


def run_users(args: argparse.Namespace) -> int:
    def act(core: Core) -> None:
        principals, account = core.principals, args.account
        if args.action == "create":
            user = principals.create_user(account, args.user)
            print(principal_arn(user.account_id, user.user_name))
        elif args.action == "list":
            for user in principals.list_users(account):
                print(principal_arn(user.account_id, user.user_name))
        elif args.action == "delete":
            principals.delete_user(account, args.user)
        elif args.action == "put-policy":
            principals.put_user_policy(account, args.user, args.policy_name, _document(args.policy_document))
        elif args.action == "delete-policy":
            principals.delete_user_policy(account, args.user, args.policy_name)
        else:
            for name, document in principals.list_user_policies(account, args.user).items():
                print(f"# {name}\n{document}")
    try:
        return run_with_core(args, act)
    except OSError as exc:
        print(f"strongroom: {exc}", file=sys.stderr)
        return 1
