"""``strongroom aliases list|create|update|delete``: the aliases of an account's keys, offline (see cli/acting.py)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from functools import partial
from typing import Any

from strongroom.cli.acting import AccountActor, actor_arguments, run_as_account
from strongroom.cli.output import JSON, cell, output_argument, timestamp, write_json, write_json_list, write_table
from strongroom.domain.aliases import ALIAS_PREFIX, Alias
from strongroom.domain.context import RequestContext
from strongroom.domain.pagination import MAX_LIMIT, Page
from strongroom.protocols.aws.key_ids import key_ref

PAGE_SIZE = MAX_LIMIT  # aliases per ListAliases call: the most the API gives
ALIAS_COLUMNS = ("ALIAS", "KEY ID", "CREATED", "UPDATED")


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    actions = commands.add_parser("aliases", help="list, create, retarget and delete aliases of keys") \
        .add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="the account's aliases, by name")
    listing.add_argument("--key", help="only the aliases of this key (id, ARN or alias/NAME)")
    create = actions.add_parser("create", help="give a key a new alias")
    update = actions.add_parser("update", help="point an alias at another key (of the same spec and usage)")
    delete = actions.add_parser("delete", help="delete an alias (its key stays)")
    for action in (create, update, delete):
        action.add_argument("name", help="alias/NAME (or NAME)")
    for action in (create, update):
        action.add_argument("key", help="the target key: id, ARN or alias/NAME")
    for action in (listing, create, update, delete):
        actor_arguments(action)
        output_argument(action)
        action.set_defaults(run=run)


def alias_name(text: str) -> str:
    """``orders`` and ``alias/orders`` both name ``alias/orders``."""
    return text if text.startswith(ALIAS_PREFIX) else ALIAS_PREFIX + text


def alias_document(alias: Alias) -> dict[str, Any]:
    return {"name": alias.name, "arn": alias.arn, "target_key_id": alias.target_key_id,
            "created": timestamp(alias.created_at), "updated": timestamp(alias.updated_at)}


def all_aliases(actor: AccountActor, key: str | None = None) -> Iterator[Alias]:
    """Every alias of the account (or of one key), by name, a page at a time (one ListAliases call per page)."""
    def page(marker: str | None, ctx: RequestContext) -> Page[Alias]:
        return actor.core.aliases.list_aliases(ctx, key_ref(key) if key else None, PAGE_SIZE, marker)

    marker: str | None = None
    while True:
        params = {"KeyId": key, "Limit": PAGE_SIZE, "Marker": marker}
        found = actor.call("ListAliases", partial(page, marker), {k: v for k, v in params.items() if v is not None})
        yield from found.items
        if found.next_marker is None:
            return
        marker = found.next_marker


def _changed(alias: Alias) -> dict[str, Any]:
    return {"AliasName": alias.name, "TargetKeyId": alias.target_key_id}


def run(args: argparse.Namespace) -> int:
    def act(actor: AccountActor) -> None:
        aliases = actor.core.aliases
        as_json = args.output == JSON
        if args.action == "list":
            found = all_aliases(actor, args.key)
            if as_json:
                write_json_list("aliases", map(alias_document, found))
            else:
                write_table(ALIAS_COLUMNS, ((a.name, a.target_key_id, cell(timestamp(a.created_at)),
                                             cell(timestamp(a.updated_at))) for a in found))
            return
        name = alias_name(args.name)
        if args.action == "delete":
            actor.call("DeleteAlias", lambda ctx: aliases.delete_alias(ctx, name), {"AliasName": name})
            if as_json:
                write_json({"deleted": name})
            else:
                print(f"deleted {name}")
            return
        change = aliases.create_alias if args.action == "create" else aliases.update_alias
        operation = "CreateAlias" if args.action == "create" else "UpdateAlias"
        alias = actor.call(operation, lambda ctx: change(ctx, name, key_ref(args.key)),
                           {"AliasName": name, "TargetKeyId": args.key}, _changed)
        if as_json:
            write_json(alias_document(alias))
        else:
            print(f"{alias.name} -> {alias.target_key_id}")
    return run_as_account(args, act)
