"""``strongroom keys list|describe|create|rotate|disable|enable|schedule-deletion|cancel-deletion``: an account's
keys for people at a terminal, offline (see cli/acting.py); ``--output json`` for scripts.

A key is named by its id, its ARN or ``alias/NAME``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator, Sequence
from functools import partial
from typing import Any

from strongroom.cli.acting import AccountActor, actor_arguments, run_as_account
from strongroom.cli.aliases import alias_name, all_aliases
from strongroom.cli.output import (
    JSON,
    cell,
    output_argument,
    timestamp,
    write_fields,
    write_json,
    write_json_list,
    write_table,
)
from strongroom.domain.aliases import Alias, check_alias_name
from strongroom.domain.context import RequestContext
from strongroom.domain.key_specs import FAMILY, USAGES
from strongroom.domain.keys import MAX_PENDING_WINDOW_DAYS, MIN_PENDING_WINDOW_DAYS, Key, KeyState
from strongroom.domain.pagination import MAX_LIMIT, Page
from strongroom.errors import InvalidRequestError, StrongroomError
from strongroom.protocols.aws.key_ids import key_ref

PAGE_SIZE = MAX_LIMIT  # keys per ListKeys call: the most the API gives
KEY_COLUMNS = ("KEY ID", "ALIASES", "STATE", "SPEC", "USAGE", "CREATED", "DESCRIPTION")
KEY_ARGUMENT_HELP = "the key: its id, ARN or alias/NAME"


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    actions = commands.add_parser("keys", help="list, describe, create, rotate, disable and delete keys") \
        .add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="the account's keys in the region, with their aliases")
    listing.add_argument("--state", action="append", default=[], help="only keys in this state (repeatable): "
                         "Enabled, Disabled, PendingDeletion, PendingImport")
    listing.add_argument("--spec", help="only keys of this key spec, e.g. SYMMETRIC_DEFAULT, RSA_2048")
    listing.add_argument("--alias-prefix", help="only keys with an alias that starts so (alias/ may be left out)")
    listing.add_argument("--limit", type=int, help="show at most this many keys")
    create = actions.add_parser("create", help="create a key")
    create.add_argument("--key-spec", default="SYMMETRIC_DEFAULT", help="default SYMMETRIC_DEFAULT")
    create.add_argument("--key-usage", help="default: the spec's only usage, else ENCRYPT_DECRYPT")
    create.add_argument("--description", default="")
    create.add_argument("--alias", action="append", default=[], help="alias/NAME for the new key (repeatable)")
    create.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE", help="a tag (repeatable)")
    named = {name: actions.add_parser(name, help=text) for name, text in (
        ("describe", "everything about one key"),
        ("rotate", "rotate now: new key material encrypts, every earlier version still decrypts"),
        ("disable", "refuse every use of the key until it is enabled"),
        ("enable", "allow the key's use again"),
        ("schedule-deletion", "delete the key once a waiting period (7-30 days) has passed"),
        ("cancel-deletion", "keep a key that is pending deletion (it stays disabled)"))}
    for action in named.values():
        action.add_argument("key", help=KEY_ARGUMENT_HELP)
    named["schedule-deletion"].add_argument("--pending-window-in-days", type=int, metavar="DAYS",
                                            help="7 to 30 (default 30)")
    for action in (listing, create, *named.values()):
        actor_arguments(action)
        output_argument(action)
        action.set_defaults(run=run)


# --- what is shown ----------------------------------------------------------------------------


def key_document(key: Key, aliases: Sequence[str]) -> dict[str, Any]:
    """A key for ``--output json``: these names and their meaning stay."""
    return {"key_id": key.key_id, "arn": key.arn, "aliases": list(aliases), "state": str(key.state),
            "key_spec": key.key_spec, "key_usage": key.key_usage, "origin": key.origin,
            "description": key.description, "created": timestamp(key.created_at),
            "current_version": key.current_version, "rotation_period_days": key.rotation_period_days,
            "next_rotation": timestamp(key.next_rotation_at), "deletion_date": timestamp(key.deletion_date),
            "pending_window_days": key.pending_window_days, "tags": dict(sorted(key.tags.items()))}


def key_fields(key: Key, aliases: Sequence[str]) -> list[tuple[str, str]]:
    rotation = (f"every {key.rotation_period_days} days, next {timestamp(key.next_rotation_at)}"
                if key.rotation_period_days else "automatic rotation off")
    fields = [("Key ID", key.key_id), ("ARN", key.arn), ("Aliases", ", ".join(aliases)), ("State", str(key.state)),
              ("Key spec", key.key_spec), ("Key usage", key.key_usage), ("Origin", key.origin),
              ("Description", key.description), ("Created", timestamp(key.created_at) or ""),
              ("Current version", str(key.current_version)), ("Rotation", rotation)]
    if key.deletion_date is not None:
        fields.append(("Deletion date", timestamp(key.deletion_date) or ""))
    fields.append(("Tags", ", ".join(f"{k}={v}" for k, v in sorted(key.tags.items()))))
    return fields


def key_row(key: Key, aliases: Sequence[str]) -> tuple[str, ...]:
    return (key.key_id, cell(",".join(aliases)), str(key.state), key.key_spec, key.key_usage,
            cell(timestamp(key.created_at)), cell(key.description))


def _metadata(key: Key) -> dict[str, Any]:
    """What a change answered, for its audit event (AWS's KeyMetadata, in brief)."""
    return {"KeyMetadata": {"KeyId": key.key_id, "Arn": key.arn, "KeyState": str(key.state),
                            "KeySpec": key.key_spec, "KeyUsage": key.key_usage}}


# --- reading input ----------------------------------------------------------------------------


def parse_tags(texts: Iterable[str]) -> list[tuple[str, str]]:
    tags = []
    for text in texts:
        name, found, value = text.partition("=")
        if not found or not name:
            raise InvalidRequestError(f"--tag {text!r}: expected KEY=VALUE")
        tags.append((name, value))
    return tags


def _state_name(text: str) -> str:
    return text.replace("-", "").replace("_", "").lower()


def parse_states(texts: Iterable[str]) -> set[KeyState]:
    """``Enabled``, ``pending-deletion``, ``PENDING_DELETION`` … as key states."""
    by_name = {_state_name(state.value): state for state in KeyState}
    states = set()
    for text in texts:
        state = by_name.get(_state_name(text))
        if state is None:
            raise InvalidRequestError(f"--state {text!r}: use one of {', '.join(s.value for s in KeyState)}")
        states.add(state)
    return states


def only_usage(key_spec: str) -> str | None:
    """The usage of a spec that has one (HMAC_256: GENERATE_VERIFY_MAC), so that it need not be given."""
    family = FAMILY.get(key_spec)
    usages = USAGES[family] if family is not None else ()
    return usages[0] if len(usages) == 1 else None


def parse_spec(text: str | None) -> str | None:
    if text is None:
        return None
    if text.upper() not in FAMILY:
        raise InvalidRequestError(f"--spec {text!r} is not a key spec (e.g. {', '.join(list(FAMILY)[:4])})")
    return text.upper()


# --- reading the core -------------------------------------------------------------------------


def all_keys(actor: AccountActor) -> Iterator[Key]:
    """Every key of the account in the region, a page at a time (one ListKeys call per page)."""
    def page(marker: str | None, ctx: RequestContext) -> Page[Key]:
        return actor.core.keys.list_keys(ctx, PAGE_SIZE, marker)

    marker: str | None = None
    while True:
        params: dict[str, Any] = {"Limit": PAGE_SIZE, **({"Marker": marker} if marker else {})}
        found = actor.call("ListKeys", partial(page, marker), params)
        yield from found.items
        if found.next_marker is None:
            return
        marker = found.next_marker


def alias_index(actor: AccountActor, prefix: str | None) -> dict[str, list[str]]:
    """Alias names by key id: the account's aliases (or those starting with ``prefix``), read once.

    Aliases are listed by name; keys by id, a page at a time, so a listing holds the aliases but never all
    keys."""
    index: dict[str, list[str]] = {}
    for alias in all_aliases(actor):
        if prefix is None or alias.name.startswith(prefix):
            index.setdefault(alias.target_key_id, []).append(alias.name)
    return index


def key_aliases(actor: AccountActor, key: Key) -> list[str]:
    return [alias.name for alias in all_aliases(actor, key.key_id)]


def create_alias(actor: AccountActor, name: str, key_id: str) -> Alias:
    return actor.call("CreateAlias", lambda ctx: actor.core.aliases.create_alias(ctx, name, key_id),
                      {"AliasName": name, "TargetKeyId": key_id})


def describe(actor: AccountActor, text: str) -> Key:
    return actor.call("DescribeKey", lambda ctx: actor.core.keys.describe_key(ctx, key_ref(text)), {"KeyId": text})


# --- the commands -----------------------------------------------------------------------------


def _list(actor: AccountActor, args: argparse.Namespace) -> None:
    states, spec = parse_states(args.state), parse_spec(args.spec)
    prefix = alias_name(args.alias_prefix) if args.alias_prefix else None
    if args.limit is not None and args.limit < 0:
        raise InvalidRequestError("--limit must not be negative")
    index = alias_index(actor, prefix)

    def matching() -> Iterator[Key]:
        shown = 0
        for key in all_keys(actor):
            if args.limit is not None and shown >= args.limit:
                return
            if (states and key.state not in states) or (spec and key.key_spec != spec) or \
                    (prefix and key.key_id not in index):
                continue
            shown += 1
            yield key

    if args.output == JSON:
        write_json_list("keys", (key_document(key, index.get(key.key_id, ())) for key in matching()))
    else:
        write_table(KEY_COLUMNS, (key_row(key, index.get(key.key_id, ())) for key in matching()))


def _create(actor: AccountActor, args: argparse.Namespace) -> int:
    tags = parse_tags(args.tag)
    names = [alias_name(text) for text in args.alias]
    for name in names:
        check_alias_name(name)  # before the key exists: a bad name makes nothing
    spec = args.key_spec.upper()
    usage = args.key_usage.upper() if args.key_usage else only_usage(spec)
    params: dict[str, Any] = {"KeySpec": spec, "KeyUsage": usage, "Description": args.description,
                              "Tags": [{"TagKey": k, "TagValue": v} for k, v in tags]}
    key = actor.call("CreateKey", lambda ctx: actor.core.keys.create_key(
        ctx, description=args.description, key_usage=usage, key_spec=spec, tags=tags),
        {k: v for k, v in params.items() if v is not None}, _metadata)
    made: list[str] = []
    for name in names:
        try:
            create_alias(actor, name, key.key_id)
        except StrongroomError as exc:
            print(f"strongroom: created key {key.key_id}, but not its alias {name}: {exc.message}", file=sys.stderr)
            return 1
        made.append(name)
    _show(args, key, made)
    return 0


def _show(args: argparse.Namespace, key: Key, aliases: Sequence[str]) -> None:
    if args.output == JSON:
        write_json(key_document(key, aliases))
    else:
        write_fields(key_fields(key, aliases))


def _change(actor: AccountActor, args: argparse.Namespace) -> None:
    """rotate, disable, enable, schedule-deletion and cancel-deletion: one call, then what became of the key."""
    keys, text = actor.core.keys, args.key
    params: dict[str, Any] = {"KeyId": text}
    if args.action == "rotate":
        key = actor.call("RotateKeyOnDemand", lambda ctx: actor.core.rotation.rotate_key_on_demand(ctx, key_ref(text)),
                         params, lambda k: {"KeyId": k.key_id})
        message = f"{key.key_id}: rotated; version {key.current_version} is current, earlier versions still decrypt"
    elif args.action in ("disable", "enable"):
        change = keys.disable_key if args.action == "disable" else keys.enable_key
        key = actor.call("DisableKey" if args.action == "disable" else "EnableKey",
                         lambda ctx: change(ctx, key_ref(text)), params)
        message = f"{key.key_id}: {key.state}"
    elif args.action == "schedule-deletion":
        days = args.pending_window_in_days
        if days is not None:
            if not MIN_PENDING_WINDOW_DAYS <= days <= MAX_PENDING_WINDOW_DAYS:
                raise InvalidRequestError(f"--pending-window-in-days must be {MIN_PENDING_WINDOW_DAYS} to "
                                          f"{MAX_PENDING_WINDOW_DAYS} (AWS's rule), not {days}")
            params["PendingWindowInDays"] = days
        key = actor.call("ScheduleKeyDeletion", lambda ctx: keys.schedule_key_deletion(ctx, key_ref(text), days),
                         params, lambda k: {"KeyId": k.arn, "DeletionDate": timestamp(k.deletion_date),
                                            "KeyState": str(k.state), "PendingWindowInDays": k.pending_window_days})
        message = (f"{key.key_id} will be deleted on {timestamp(key.deletion_date)} ({key.pending_window_days} days "
                   f"from now); until then `strongroom keys cancel-deletion {key.key_id}` keeps it")
    else:
        key = actor.call("CancelKeyDeletion", lambda ctx: keys.cancel_key_deletion(ctx, key_ref(text)), params,
                         lambda k: {"KeyId": k.arn})
        message = f"{key.key_id}: deletion cancelled; the key is {key.state}"
    if args.output == JSON:
        write_json(key_document(key, key_aliases(actor, key)))
    else:
        print(message)


def run(args: argparse.Namespace) -> int:
    def act(actor: AccountActor) -> int | None:
        if args.action == "list":
            _list(actor, args)
        elif args.action == "create":
            return _create(actor, args)
        elif args.action == "describe":
            key = describe(actor, args.key)
            _show(args, key, key_aliases(actor, key))
        else:
            _change(actor, args)
        return 0
    return run_as_account(args, act)
