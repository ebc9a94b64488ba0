"""Bearer tokens Strongroom issues: random, stored only as SHA-256 digests, with a TTL, renewal and
revocation (a token's children go with it), each owned by a principal so that key policies, identity policies
and grants decide what its holder may do, as for an access key. The path policies a token carries
(``policies``) are checked as well, by ``PathPolicies``.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass

from strongroom.domain.clock import Clock
from strongroom.domain.context import ROOT_USER, Caller, principal_arn
from strongroom.domain.engines import BearerToken
from strongroom.errors import AuthenticationError, ExpiredCredentialsError, InvalidRequestError, NotFoundError
from strongroom.service.caches import BoundedCache, StoreCaches
from strongroom.storage.base import Store

TOKEN_PREFIX = "hvs."
DEFAULT_TTL_SECONDS = 32 * 86400.0  # Vault's default max lease TTL
_MAX_CACHED = 4096


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str  # shown once, to whoever asked for it
    record: BearerToken

    def __repr__(self) -> str:
        return f"IssuedToken(<secret>, {self.record!r})"


class Tokens:
    def __init__(self, store: Store, clock: Clock, caches: StoreCaches) -> None:
        self._store = store
        self._clock = clock
        self._caches = caches
        self._by_digest: BoundedCache[bytes, BearerToken | None] = BoundedCache(_MAX_CACHED)
        caches.register(self._by_digest)

    def issue(self, account_id: str, user_name: str = ROOT_USER, *, policies: tuple[str, ...] = ("default",),
              ttl: float | None = None, explicit_max_ttl: float = 0.0, renewable: bool = True,
              display_name: str = "token", meta: dict[str, str] | None = None, parent: str | None = None,
              token: str | None = None) -> IssuedToken:
        """A new token for the principal ``user_name`` of ``account_id``. ``ttl`` 0: it never expires; None: the
        default. ``token``: a chosen value (the dev server's fixed token), else a random one."""
        if self._store.get_user(account_id, user_name) is None and user_name != ROOT_USER:
            raise NotFoundError(f"user {user_name} of account {account_id} does not exist")
        ttl = DEFAULT_TTL_SECONDS if ttl is None else ttl
        if ttl < 0 or explicit_max_ttl < 0:
            raise InvalidRequestError("ttl must not be negative")
        if explicit_max_ttl and (ttl == 0 or ttl > explicit_max_ttl):
            ttl = explicit_max_ttl
        value = token or TOKEN_PREFIX + base64.urlsafe_b64encode(os.urandom(24)).decode().rstrip("=")
        if len(value) < 16:
            raise InvalidRequestError("a chosen token must be at least 16 characters")
        now = self._clock.now()
        record = BearerToken(base64.urlsafe_b64encode(os.urandom(18)).decode(), digest(value), account_id, user_name,
                             tuple(sorted(set(policies))), display_name, dict(meta or {}), now, ttl,
                             now + ttl if ttl else None, explicit_max_ttl, renewable and ttl > 0, parent)
        with self._store.transaction():
            self._store.ensure_account(account_id, now)
            self._store.engines.put_token(record)
        return IssuedToken(value, record)

    def authenticate(self, token: str) -> BearerToken:
        """The live token ``token`` is, or AuthenticationError (unknown, revoked) / ExpiredCredentialsError."""
        self._caches.sync()
        key = digest(token)  # looked up by digest: the token itself is never compared or kept
        try:
            found = self._by_digest[key]
        except KeyError:
            found = self._store.engines.get_token(key)
            self._by_digest.put(key, found)
        if found is None:
            raise AuthenticationError("permission denied")
        if found.expired(self._clock.now()):
            raise ExpiredCredentialsError("permission denied")
        return found

    @staticmethod
    def caller(token: BearerToken) -> Caller:
        return Caller(token.account_id, token.accessor, principal_arn(token.account_id, token.user_name),
                      token.user_name)

    def by_accessor(self, accessor: str) -> BearerToken:
        found = self._store.engines.get_token_by_accessor(accessor)
        if found is None or found.expired(self._clock.now()):
            raise NotFoundError("token not found")
        return found

    def renew(self, token: BearerToken, increment: float | None = None) -> BearerToken:
        """Extend a renewable token by ``increment`` (default: its TTL), never past its explicit max TTL."""
        if not token.renewable:
            raise InvalidRequestError("lease is not renewable")
        now = self._clock.now()
        expires = now + (increment if increment else token.ttl)
        if token.explicit_max_ttl:
            expires = min(expires, token.created_at + token.explicit_max_ttl)
        self._store.engines.set_token_expiry(token.accessor, expires)
        self._by_digest.clear()  # other processes see the change through the store
        return self.by_accessor(token.accessor)

    def revoke(self, accessor: str) -> int:
        """Revoke a token and every token it created, in one transaction."""
        with self._store.transaction():
            tree, pending = [], [accessor]
            while pending:
                current = pending.pop()
                tree.append(current)
                pending.extend(self._store.engines.child_tokens(current))
            count = self._store.engines.delete_tokens(list(reversed(tree)))
        self._by_digest.clear()  # other processes see the change through the store
        return count

    def list(self, account_id: str | None = None) -> list[BearerToken]:
        now = self._clock.now()
        return [t for t in self._store.engines.list_tokens(account_id) if not t.expired(now)]
