"""Accounts, users and the identity policies attached to users (there is no IAM here, so we keep them)."""

from __future__ import annotations

import re

from strongroom.domain.clock import Clock
from strongroom.domain.context import ROOT_USER, Caller
from strongroom.domain.policy import PolicyDocument, parse_policy
from strongroom.errors import InvalidRequestError, NotFoundError
from strongroom.service.caches import StoreCaches
from strongroom.service.credentials import check_account_id, new_account_id
from strongroom.storage.base import Store
from strongroom.storage.records import StoredUser

_USER_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
_POLICY_NAME = re.compile(r"^[\w+=,.@-]{1,128}$")


class Principals:
    def __init__(self, store: Store, clock: Clock, caches: StoreCaches) -> None:
        self._store = store
        self._clock = clock
        self._caches = caches
        self._identity: dict[tuple[str, str], tuple[PolicyDocument, ...]] = {}
        caches.register(self._identity)

    # --- accounts -----------------------------------------------------------------------------

    def create_account(self, account_id: str | None = None) -> str:
        account_id = account_id or new_account_id()
        check_account_id(account_id)
        self._store.ensure_account(account_id, self._clock.now())
        return account_id

    def list_accounts(self) -> list[str]:
        return self._store.list_accounts()

    # --- users --------------------------------------------------------------------------------

    def create_user(self, account_id: str, user_name: str) -> StoredUser:
        check_account_id(account_id)
        if not _USER_NAME.match(user_name) or user_name == ROOT_USER:
            raise InvalidRequestError(f"invalid user name {user_name!r}: use 1-64 letters, digits or +=,.@_-")
        user = StoredUser(account_id, user_name, self._clock.now())
        with self._store.transaction():
            self._store.ensure_account(account_id, user.created_at)
            self._store.insert_user(user)
        return user

    def list_users(self, account_id: str) -> list[StoredUser]:
        return self._store.list_users(account_id)

    def delete_user(self, account_id: str, user_name: str) -> None:
        """Delete a user with its policies and access keys."""
        if not self._store.delete_user(account_id, user_name):
            raise NotFoundError(f"User {user_name} does not exist in account {account_id}")
        self._caches.clear_all()  # the user's cached access keys and policies go with it

    # --- identity policies --------------------------------------------------------------------

    def put_user_policy(self, account_id: str, user_name: str, policy_name: str, document: str) -> None:
        if not _POLICY_NAME.match(policy_name):
            raise InvalidRequestError(f"invalid policy name {policy_name!r}")
        parse_policy(document, key_policy=False)
        with self._store.transaction():
            if self._store.get_user(account_id, user_name) is None:
                raise NotFoundError(f"User {user_name} does not exist in account {account_id}")
            self._store.put_identity_policy(account_id, user_name, policy_name, document)
        self._identity.pop((account_id, user_name), None)

    def delete_user_policy(self, account_id: str, user_name: str, policy_name: str) -> None:
        if not self._store.delete_identity_policy(account_id, user_name, policy_name):
            raise NotFoundError(f"User {user_name} has no policy named {policy_name}")
        self._identity.pop((account_id, user_name), None)

    def list_user_policies(self, account_id: str, user_name: str) -> dict[str, str]:
        return self._store.list_identity_policies(account_id, user_name)

    def identity_policies(self, caller: Caller) -> tuple[PolicyDocument, ...]:
        """The compiled identity policies of a caller (an account root has none: it may do anything)."""
        if caller.is_root:
            return ()
        self._caches.sync()
        cache_key = (caller.account_id, caller.user_name)
        found = self._identity.get(cache_key)
        if found is None:
            texts = self._store.list_identity_policies(caller.account_id, caller.user_name)
            found = tuple(parse_policy(text, key_policy=False) for text in texts.values())
            self._identity[cache_key] = found
        return found
