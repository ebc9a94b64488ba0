"""Accounts and their access keys: created by operators, looked up on every signed request."""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass

from strongroom.domain.clock import Clock
from strongroom.domain.context import AccessKey
from strongroom.errors import InvalidRequestError
from strongroom.service.caches import StoreCaches
from strongroom.service.key_hierarchy import KeyHierarchy, access_key_label
from strongroom.storage.base import Store
from strongroom.storage.records import StoredAccessKey

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_ACCESS_KEY_ID = re.compile(r"^[A-Z0-9]{16,128}$")
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


@dataclass(frozen=True, slots=True)
class AccessKeySummary:
    access_key_id: str
    account_id: str
    user_name: str
    status: str
    created_at: float


def new_account_id() -> str:
    return str(secrets.randbelow(9 * 10**11) + 10**11)


def new_access_key_id() -> str:
    return "AKIA" + "".join(secrets.choice(_ALPHABET) for _ in range(16))


def new_secret_access_key() -> str:
    return base64.b64encode(secrets.token_bytes(30)).decode().replace("+", "A").replace("/", "B")


class Credentials:
    def __init__(self, store: Store, secrets: KeyHierarchy, clock: Clock, caches: StoreCaches) -> None:
        self._store = store
        self._secrets = secrets
        self._clock = clock
        self._caches = caches
        self._by_id: dict[str, AccessKey | None] = {}
        caches.register(self._by_id)

    def create(self, account_id: str, *, user_name: str = "root", access_key_id: str | None = None,
               secret_access_key: str | None = None) -> AccessKey:
        if not _ACCOUNT_ID.match(account_id):
            raise InvalidRequestError(f"account id {account_id!r} must be 12 digits")
        access_key_id = access_key_id or new_access_key_id()
        if not _ACCESS_KEY_ID.match(access_key_id):
            raise InvalidRequestError("access key id must be 16-128 upper-case letters or digits")
        secret_access_key = secret_access_key or new_secret_access_key()
        if len(secret_access_key) < 16:
            raise InvalidRequestError("secret access key must be at least 16 characters")
        now = self._clock.now()
        with self._store.transaction():
            self._store.ensure_account(account_id, now)
            self._store.put_access_key(StoredAccessKey(
                access_key_id, account_id, user_name,
                self._secrets.wrap(secret_access_key.encode(), access_key_label(access_key_id)), "Active", now))
        self._by_id.pop(access_key_id, None)
        return AccessKey(access_key_id, account_id, user_name, secret_access_key)

    def list(self, account_id: str | None = None) -> list[AccessKeySummary]:
        return [AccessKeySummary(k.access_key_id, k.account_id, k.user_name, k.status, k.created_at)
                for k in self._store.list_access_keys(account_id)]

    def delete(self, access_key_id: str) -> bool:
        self._by_id.pop(access_key_id, None)
        return self._store.delete_access_key(access_key_id)

    def lookup(self, access_key_id: str) -> AccessKey | None:
        """The active access key with this id, secret unwrapped, or None."""
        self._caches.sync()
        try:
            return self._by_id[access_key_id]
        except KeyError:
            pass
        stored = self._store.get_access_key(access_key_id)
        found = None
        if stored is not None and stored.status == "Active":
            secret = self._secrets.unwrap(stored.wrapped_secret, access_key_label(access_key_id)).decode()
            found = AccessKey(stored.access_key_id, stored.account_id, stored.user_name, secret, stored.status)
        if len(self._by_id) > 10_000:
            self._by_id.clear()
        self._by_id[access_key_id] = found
        return found
