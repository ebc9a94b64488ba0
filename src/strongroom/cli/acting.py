"""Offline commands that act for an account as its root principal (``strongroom keys``, ``strongroom aliases``).

Each core call is made as an API call is: admitted by the front door, authorized by the core against key policies
and grants, and recorded as one audit event, with ``cli`` as its protocol. The account is ``--account``, else the
dev account of the data directory (whose access key ``strongroom server --dev`` keeps in DATA_DIR/dev-credentials),
else the command refuses. The store is opened beside a running server, as the other offline commands open it
(SQLite in WAL mode, or PostgreSQL); the server drops what it cached of a key that a command changed.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from strongroom import __version__
from strongroom.cli.common import store_arguments
from strongroom.domain.context import ROOT_USER, Caller, RequestContext, principal_arn
from strongroom.domain.keys import Key
from strongroom.domain.unique_ids import unique_id
from strongroom.errors import InvalidRequestError, StrongroomError
from strongroom.protocols.audit_record import RequestSource, audit_event
from strongroom.server.config import DEFAULT_REGION, ROOT_KEY_FILE, ConfigError, ServerConfig
from strongroom.server.dev import CREDENTIALS_FILE
from strongroom.server.wiring import open_core
from strongroom.service.core import Core
from strongroom.service.credentials import check_account_id
from strongroom.trust.key_file import RootKeyFileError

T = TypeVar("T")
PROTOCOL = "cli"
EVENT_SOURCE = "cli.strongroom"
ACCESS_KEY_ID = "cli"  # what the audit trail shows as the caller's key: no access key is involved
SOURCE = "localhost"


def actor_arguments(parser: argparse.ArgumentParser) -> None:
    store_arguments(parser)
    parser.add_argument("--account", help="12-digit account id (default: the data directory's dev account)")
    parser.add_argument("--region", default=DEFAULT_REGION, help=f"the keys' region (default {DEFAULT_REGION})")


def _user_agent() -> str:
    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no user name for this uid (some containers)
        who = str(os.getuid())
    return f"strongroom-cli/{__version__} (os-user {who})"


class AccountActor:
    """Core calls as the root of one account, each admitted, authorized and audited as an API call is."""

    def __init__(self, core: Core, account_id: str, region: str) -> None:
        self.core = core
        self.account_id = account_id
        self.region = region
        self._caller = Caller(account_id, ACCESS_KEY_ID, principal_arn(account_id, ROOT_USER), ROOT_USER)
        self._source = RequestSource(SOURCE, secure=False, headers={"user-agent": _user_agent()})

    def context(self) -> RequestContext:
        # No network is crossed: a local command is as private as TLS (aws:SecureTransport is true).
        return RequestContext(self._caller, self.region, secure_transport=True, request_id=unique_id(),
                              protocol=PROTOCOL)

    def call(self, operation: str, do: Callable[[RequestContext], T], params: Mapping[str, Any] | None = None,
             response: Callable[[T], dict[str, Any]] | None = None) -> T:
        """``do(ctx)`` as the API operation ``operation`` (``CreateKey``, ``ListAliases``, …), recorded with its
        request parameters and, for a change, what it answered."""
        ctx = self.context()
        try:
            self.core.front_door.admit(ctx, operation)
            result = do(ctx)
        except StrongroomError as exc:
            self._record(ctx, operation, params, None, type(exc).__name__, exc.message)
            raise
        except Exception:
            self._record(ctx, operation, params, None, "InternalError", "")
            raise
        if isinstance(result, Key):
            ctx.note.key(result)  # a key just made was never looked up: name it in the event
        self._record(ctx, operation, params, response(result) if response is not None else None, None, None)
        return result

    def _record(self, ctx: RequestContext, operation: str, params: Mapping[str, Any] | None,
                answer: dict[str, Any] | None, error_code: str | None, error_message: str | None) -> None:
        self.core.front_door.record(audit_event(
            request=self._source, request_id=ctx.request_id, now=self.core.clock.now(), operation=operation,
            admin=False, ctx=ctx, params=dict(params) if params is not None else {}, response=answer,
            error_code=error_code, error_message=error_message, protocol=PROTOCOL, event_source=EVENT_SOURCE))


def dev_account_id(core: Core, data_dir: Path) -> str | None:
    """The account of the dev access key in DATA_DIR/dev-credentials, if that file and key exist."""
    path = data_dir / CREDENTIALS_FILE
    if not path.is_file():
        return None
    values = {}
    for line in path.read_text().splitlines():
        name, found, value = line.lstrip("# ").partition("=")
        if found:
            values[name.strip()] = value.strip()
    access_key_id = values.get("aws_access_key_id")
    known = core.credentials.lookup(access_key_id) if access_key_id else None
    return known.account_id if known is not None else values.get("account_id")


def _account(core: Core, args: argparse.Namespace) -> str:
    account_id = args.account or dev_account_id(core, args.data_dir)
    if account_id is None:
        raise InvalidRequestError(f"--account is required: {args.data_dir} has no dev account")
    check_account_id(account_id)
    if account_id not in core.principals.list_accounts():
        raise InvalidRequestError(f"account {account_id} does not exist (see `strongroom accounts list`)")
    return account_id


def _fail(message: str) -> int:
    print(f"strongroom: {message}", file=sys.stderr)
    return 1


def run_as_account(args: argparse.Namespace, action: Callable[[AccountActor], int | None]) -> int:
    """Open the core, act for the account, and turn every refusal into one line on standard error (exit 1)."""
    if not args.database and not args.data_dir.is_dir():
        return _fail(f"no data directory {args.data_dir} (pass --data-dir, or start `strongroom server --dev`)")
    root_key = args.root_key_file or args.data_dir / ROOT_KEY_FILE
    if not root_key.is_file():  # checked before the store is opened, which would create a database here
        return _fail(f"no root key file {root_key} (pass --root-key-file, or --data-dir of a Strongroom)")
    config = ServerConfig(data_dir=args.data_dir, root_key_file=root_key, database_url=args.database)
    try:
        # Request-rate quotas guard a server from its callers; this process makes its own few calls.
        core = open_core(replace(config, quotas_enabled=False))
    except (RootKeyFileError, ConfigError, StrongroomError, OSError) as exc:
        return _fail(getattr(exc, "message", None) or str(exc))
    try:
        return action(AccountActor(core, _account(core, args), args.region)) or 0
    except StrongroomError as exc:
        return _fail(exc.message)
    except BrokenPipeError:  # ``strongroom keys list | head``: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    finally:
        core.close()
