"""Access keys: created by operators, looked up on every signed request.

Long-term keys belong to an account's root or to a user. Temporary keys also carry a session token (stored
only as a SHA-256 digest) and an expiry, as STS credentials do; a request signed with one must present the
token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from strongroom.domain.clock import Clock
from strongroom.domain.context import ROOT_USER, AccessKey
from strongroom.errors import AuthenticationError, ExpiredCredentialsError, InvalidRequestError, NotFoundError
from strongroom.service.caches import StoreCaches
from strongroom.service.key_hierarchy import KeyHierarchy, access_key_label
from strongroom.storage.base import Store
from strongroom.storage.records import StoredAccessKey

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_ACCESS_KEY_ID = re.compile(r"^[A-Z0-9]{16,128}$")
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
MAX_SESSION_SECONDS = 12 * 3600
INVALID_TOKEN = "The security token included in the request is invalid."
EXPIRED_TOKEN = "The security token included in the request is expired"


@dataclass(frozen=True, slots=True)
class AccessKeySummary:
    access_key_id: str
    account_id: str
    user_name: str
    status: str
    created_at: float
    expires_at: float | None


@dataclass(frozen=True, slots=True)
class NewCredentials:
    """What is shown once, at creation: the secret and (for temporary keys) the session token."""

    key: AccessKey
    session_token: str | None = None


def check_account_id(account_id: str) -> None:
    if not _ACCOUNT_ID.match(account_id):
        raise InvalidRequestError(f"account id {account_id!r} must be 12 digits")


def new_account_id() -> str:
    return str(secrets.randbelow(9 * 10**11) + 10**11)


def new_access_key_id(prefix: str = "AKIA") -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(16))


def new_secret_access_key() -> str:
    return base64.b64encode(secrets.token_bytes(30)).decode().replace("+", "A").replace("/", "B")


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class Credentials:
    def __init__(self, store: Store, secrets_: KeyHierarchy, clock: Clock, caches: StoreCaches) -> None:
        self._store = store
        self._secrets = secrets_
        self._clock = clock
        self._caches = caches
        self._by_id: dict[str, AccessKey | None] = {}
        caches.register(self._by_id)

    def create(self, account_id: str, *, user_name: str = ROOT_USER, access_key_id: str | None = None,
               secret_access_key: str | None = None, session_seconds: int | None = None) -> NewCredentials:
        check_account_id(account_id)
        temporary = session_seconds is not None
        if temporary and not 900 <= session_seconds <= MAX_SESSION_SECONDS:  # type: ignore[operator]
            raise InvalidRequestError(f"session duration must be between 900 and {MAX_SESSION_SECONDS} seconds")
        access_key_id = access_key_id or new_access_key_id("ASIA" if temporary else "AKIA")
        if not _ACCESS_KEY_ID.match(access_key_id):
            raise InvalidRequestError("access key id must be 16-128 upper-case letters or digits")
        secret_access_key = secret_access_key or new_secret_access_key()
        if len(secret_access_key) < 16:
            raise InvalidRequestError("secret access key must be at least 16 characters")
        token = secrets.token_urlsafe(96) if temporary else None
        now = self._clock.now()
        expires_at = now + session_seconds if session_seconds is not None else None
        digest = _digest(token) if token else None
        with self._store.transaction():
            self._store.ensure_account(account_id, now)
            if user_name != ROOT_USER and self._store.get_user(account_id, user_name) is None:
                raise NotFoundError(f"User {user_name} does not exist in account {account_id}")
            self._store.put_access_key(StoredAccessKey(
                access_key_id, account_id, user_name,
                self._secrets.wrap(secret_access_key.encode(), access_key_label(access_key_id)), "Active", now,
                digest, expires_at))
        self._by_id.pop(access_key_id, None)
        key = AccessKey(access_key_id, account_id, user_name, secret_access_key, "Active", digest, expires_at)
        return NewCredentials(key, token)

    def list(self, account_id: str | None = None) -> list[AccessKeySummary]:
        return [AccessKeySummary(k.access_key_id, k.account_id, k.user_name, k.status, k.created_at, k.expires_at)
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
            found = AccessKey(stored.access_key_id, stored.account_id, stored.user_name, secret, stored.status,
                              stored.session_token_digest, stored.expires_at)
        if len(self._by_id) > 10_000:
            self._by_id.clear()
        self._by_id[access_key_id] = found
        return found

    def check_session(self, key: AccessKey, session_token: str | None) -> None:
        """A temporary key needs its own token, unexpired; a long-term key takes no token."""
        if key.session_token_digest is None:
            if session_token is not None:
                raise AuthenticationError(INVALID_TOKEN)
            return
        if session_token is None or not hmac.compare_digest(_digest(session_token), key.session_token_digest):
            raise AuthenticationError(INVALID_TOKEN)
        if key.expires_at is not None and self._clock.now() >= key.expires_at:
            raise ExpiredCredentialsError(EXPIRED_TOKEN)
