"""Accounts, users with their identity policies, and access keys with fixed ids and secrets."""

from __future__ import annotations

import hmac
import json

from strongroom.domain.context import principal_arn
from strongroom.seed.model import SeedAccessKey, SeedAccount, SeedUser
from strongroom.seed.run import SeedRun


def put_account(run: SeedRun, entry: SeedAccount) -> None:
    principals = run.core.principals
    account_id = entry.account_id
    if account_id not in principals.list_accounts():
        run.step(entry.line, f"account {account_id}", lambda: principals.create_account(account_id))
        run.changed(f"account {account_id} created")
    for user in entry.users:
        run.step(user.line, f"user {user.name}", lambda user=user: _put_user(run, account_id, user))
    for key in entry.access_keys:
        run.step(key.line, f"access key {key.access_key_id}", lambda key=key: _put_access_key(run, account_id, key))


def _put_user(run: SeedRun, account_id: str, entry: SeedUser) -> None:
    principals = run.core.principals
    arn = principal_arn(account_id, entry.name)
    if entry.name not in {u.user_name for u in principals.list_users(account_id)}:
        principals.create_user(account_id, entry.name)
        run.changed(f"user {arn} created")
    current = principals.list_user_policies(account_id, entry.name)
    for name, document in entry.policies.items():
        if name not in current or json.loads(current[name]) != json.loads(document):
            principals.put_user_policy(account_id, entry.name, name, document)
            run.changed(f"identity policy {name} of {arn} {'replaced' if name in current else 'attached'}")


def _put_access_key(run: SeedRun, account_id: str, entry: SeedAccessKey) -> None:
    credentials = run.core.credentials
    listed = next((k for k in credentials.list() if k.access_key_id == entry.access_key_id), None)
    current = credentials.lookup(entry.access_key_id) if listed is not None else None
    if (current is not None and listed is not None and listed.expires_at is None
            and (current.account_id, current.user_name) == (account_id, entry.user)
            and (entry.secret is None or hmac.compare_digest(current.secret_access_key, entry.secret))):
        return
    if listed is not None:
        credentials.delete(entry.access_key_id)
    created = credentials.create(account_id, user_name=entry.user, access_key_id=entry.access_key_id,
                                 secret_access_key=entry.secret)
    run.changed(f"access key {entry.access_key_id} {'replaced' if listed else 'created'} for "
                f"{principal_arn(account_id, entry.user)}")
    if entry.secret is None:
        run.report.generated_secrets[entry.access_key_id] = created.key.secret_access_key
